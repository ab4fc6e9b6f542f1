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
//
// A Prober holds the compiled modules of one configuration (module.go);
// a probe runs in named stages (http.go): build the request, fetch, read
// the body, judge. The /probe handler (handler.go) turns a request into a
// probe and its Result into the answer (metrics.go) or the debug account
// (debug.go).
package probe

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
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
	// Hostname is sent as the Host header and the TLS server name; ""
	// for the URL's host.
	Hostname string
	// Policy restricts where the probe may connect and be redirected;
	// nil for none (no allow_targets, or a configured target).
	Policy *config.AllowList
	// Budget bounds what the probes in flight hold; nil for no bound.
	Budget *Budget
	// Maintenance names the open maintenance window of a configured
	// target ("" for none): the probe runs, and says so.
	Maintenance string
}

// Prober runs probes with the modules of one configuration. A reload builds
// a new Prober; a probe in flight finishes with the one it started with.
// It keeps no configuration of its own: the running one is published
// once, with the prober compiled from it (web's State), and the handler
// takes the two together.
type Prober struct {
	modules map[string]*module
}

var probeIDs atomic.Uint64

// NewProber compiles every module of cfg. It fails when a module's HTTP
// client cannot be built (a TLS file that cannot be read, for one), so that
// a reload with such a file keeps the running configuration.
func NewProber(cfg *config.Config, userAgent string) (*Prober, error) {
	p := &Prober{modules: make(map[string]*module, len(cfg.Modules))}
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
		Target:        config.RedactURL(req.Target),
		Module:        req.Module,
		Maintenance:   req.Maintenance,
		Start:         time.Now(),
		Success:       true,
		ContentLength: -1,
		// A successful probe logs five or six lines: room for them at
		// once instead of growing the slice four times.
		Log: make([]slog.Record, 0, 8),
	}
	log := newProbeLog(r, logger)
	m, ok := p.modules[req.Module]
	if !ok {
		r.fail(ReasonRefused, "unknown module "+req.Module)
		r.Duration = time.Since(r.Start)
		return r
	}
	r.ModuleConfig = m.cfg
	if deadline, ok := ctx.Deadline(); ok {
		log.Info("Beginning probe", "target", config.RedactedURL(req.URL), "module", req.Module, "timeout_seconds", time.Until(deadline).Seconds())
	}
	if m.cfg.HTTP.HTTPClientConfig.ProxyURL.URL != nil {
		// The connection goes to the proxy, which decides where it leads;
		// redirects are still checked against allow_targets.
		ctx = context.WithValue(ctx, noDialGuardKey{}, true)
	}
	m.run(ctx, req, r, log)
	r.Duration = time.Since(r.Start)
	if r.Success {
		log.Info("Probe succeeded", "duration_seconds", r.Duration.Seconds())
	} else {
		log.Error("Probe failed", "duration_seconds", r.Duration.Seconds(), "reason", r.Failure())
	}
	return r
}
