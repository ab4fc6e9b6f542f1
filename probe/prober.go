// Copyright 2026 The django_health_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package probe runs probes: one HTTP request to a Django site, its answer
// read once, and what it tells (status, checks, DEBUG pages, ALLOWED_HOSTS
// rejections, health-check backends, TLS) as a Result and its metrics.
package probe

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// Request is one probe to run.
type Request struct {
	// Target is the target as asked for (a URL or a configured name).
	Target string
	URL    *url.URL
	Module string
	// Policy restricts where the probe may connect and be redirected;
	// nil for none (no allow_targets, or a configured target).
	Policy *config.AllowList
}

// Prober runs probes with the modules of one configuration. A reload builds
// a new Prober; a probe in flight finishes with the one it started with.
type Prober struct {
	cfg     *config.Config
	modules map[string]*module
}

// module is a config.Module prepared for probing: its round tripper built
// and its literal matchers laid out.
type module struct {
	cfg *config.Module
	rt  *moduleTransport
	// literals are matched while the body streams: the Django markers
	// first (from djangoLit, -1 when the detectors are off), then the
	// keyword checks (checkLit[i] for check i, -1 for other checks).
	literals  []string
	djangoLit int
	checkLit  []int
	keepBody  bool // a regex or json check needs the whole body
	accept    string
	userAgent string
	scanners  sync.Pool
}

// scanner returns a scanner with the module's literals, reset.
func (m *module) scanner() *scanner {
	if s, ok := m.scanners.Get().(*scanner); ok {
		return s
	}
	s := &scanner{literals: make([]*literal, len(m.literals))}
	for i, l := range m.literals {
		s.literals[i] = newLiteral(l)
	}
	return s
}

func (m *module) releaseScanner(s *scanner) {
	s.keep, s.limit, s.sizeHint = 0, 0, 0
	m.scanners.Put(s)
}

var probeIDs atomic.Uint64

// NewProber prepares every module of cfg. It fails when a module's HTTP
// client cannot be built (a TLS file that cannot be read, for one), so that
// a reload with such a file keeps the running configuration.
func NewProber(cfg *config.Config, userAgent string) (*Prober, error) {
	p := &Prober{cfg: cfg, modules: make(map[string]*module, len(cfg.Modules))}
	names := make([]string, 0, len(cfg.Modules))
	for name := range cfg.Modules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m, err := newModule(cfg.Modules[name], userAgent)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", name, err)
		}
		p.modules[name] = m
	}
	return p, nil
}

func newModule(mc *config.Module, userAgent string) (*module, error) {
	// One round tripper per module, keep-alives off: every probe opens a
	// new connection and measures connect and TLS, but the TLS settings,
	// CA pool and auth wrappers are built once, not once a probe.
	rt, err := newModuleTransport(mc.HTTP.HTTPClientConfig)
	if err != nil {
		return nil, err
	}
	m := &module{cfg: mc, rt: rt, userAgent: userAgent, djangoLit: -1, checkLit: make([]int, len(mc.Checks))}
	if mc.Django.DetectDebug || mc.Django.DetectDisallowedHost {
		m.djangoLit = len(m.literals)
		m.literals = append(m.literals, djangoMarkers...)
	}
	for i, c := range mc.Checks {
		m.checkLit[i] = -1
		switch c.Type() {
		case config.CheckKeyword:
			m.checkLit[i] = len(m.literals)
			m.literals = append(m.literals, c.Keyword)
		case config.CheckForbidKeyword:
			m.checkLit[i] = len(m.literals)
			m.literals = append(m.literals, c.ForbidKeyword)
		case config.CheckRegex, config.CheckForbidRegex, config.CheckJSON:
			m.keepBody = true
		}
	}
	if mc.Django.HealthCheck != config.HealthCheckNone {
		m.accept = healthAccept
	}
	return m, nil
}

// Config is the configuration the prober was built from.
func (p *Prober) Config() *config.Config { return p.cfg }

// HasModule reports whether a module exists.
func (p *Prober) HasModule(name string) bool {
	_, ok := p.modules[name]
	return ok
}

// Probe runs one probe. ctx carries its deadline; logger receives the
// probe's log lines, which the result also keeps.
func (p *Prober) Probe(ctx context.Context, req Request, logger *slog.Logger) *Result {
	r := &Result{
		ID:            probeIDs.Add(1),
		Target:        req.Target,
		Module:        req.Module,
		Start:         time.Now(),
		Success:       true,
		ContentLength: -1,
	}
	log := newProbeLog(r, logger)
	m, ok := p.modules[req.Module]
	if !ok {
		r.fail("unknown module " + req.Module)
		r.Duration = time.Since(r.Start)
		return r
	}
	r.DetectDebug = m.cfg.Django.DetectDebug
	r.DetectHost = m.cfg.Django.DetectDisallowedHost
	if deadline, ok := ctx.Deadline(); ok {
		log.Info("Beginning probe", "target", req.URL.String(), "module", req.Module, "timeout_seconds", time.Until(deadline).Seconds())
	}
	if m.cfg.HTTP.HTTPClientConfig.ProxyURL.URL != nil {
		// The connection goes to the proxy, which decides where it leads;
		// redirects are still checked against allow_targets.
		ctx = context.WithValue(ctx, noDialGuardKey{}, true)
	}
	p.probeHTTP(ctx, req, m, r, log)
	r.Duration = time.Since(r.Start)
	if r.Success {
		log.Info("Probe succeeded", "duration_seconds", r.Duration.Seconds())
	} else {
		log.Error("Probe failed", "duration_seconds", r.Duration.Seconds(), "reason", r.Failure())
	}
	return r
}
