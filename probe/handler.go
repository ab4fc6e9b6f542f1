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

package probe

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/exposition"
	"github.com/django-health/django_health_exporter/internal/text"
)

// Reasons a /probe request is refused, the reason label of
// django_health_exporter_probe_refused_total.
const (
	RefusedInvalidTarget = "invalid_target"
	RefusedUnknownModule = "unknown_module"
	RefusedNotAllowed    = "not_allowed"
	RefusedBadTimeout    = "invalid_timeout"
	RefusedLoop          = "loop"
	RefusedMemory        = "memory"
)

// LoopHeader is set on every request a probe sends. A /probe request
// that carries it came from a probe, this exporter's or another's: a
// target redirected back into /probe would otherwise probe itself until
// the timeout, thousands of probes deep. It is refused with 508, and the
// answer carries the header too, so the probe that sent it reports
// reason "refused".
const LoopHeader = "X-Django-Health-Exporter-Probe"

// answerPool recycles the buffers answers are written into. An answer is
// a few kilobytes and is not compressed: gzip would cost both sides more
// CPU than the bytes it saves.
var answerPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Observer is told of every /probe request: of each finished probe
// (the exporter's metrics count it, the status page keeps it) and of each
// request refused before probing.
type Observer interface {
	ProbeDone(r *Result)
	ProbeRefused(reason string)
}

// Handler serves /probe?target=T&module=M.
type Handler struct {
	// Running returns the configuration in force and the prober compiled
	// from it, read together from the one place they are published.
	Running func() (*config.Config, *Prober)
	// TimeoutOffset is taken off Prometheus's scrape timeout.
	TimeoutOffset time.Duration
	Observer      Observer
	Logger        *slog.Logger
	// Budget bounds the memory of the probes in flight (nil: none).
	Budget *Budget
	// AdHocWindows are the maintenance windows opened through the API
	// (nil: none), beside the file's.
	AdHocWindows func() []*config.MaintenanceWindow
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(LoopHeader) != "" {
		w.Header().Set(LoopHeader, RefusedLoop)
		h.refuse(w, http.StatusLoopDetected, RefusedLoop, "this request came from a probe: a probe of /probe (a target redirected here?) is refused")
		return
	}
	cfg, p := h.Running()
	var adhoc []*config.MaintenanceWindow
	if h.AdHocWindows != nil {
		adhoc = h.AdHocWindows()
	}
	req, m, refusal := resolve(cfg, r.URL.Query(), adhoc)
	if refusal != nil {
		h.refuse(w, refusal.code, refusal.reason, refusal.msg)
		return
	}
	timeout, err := probeTimeout(r, time.Duration(m.Timeout), h.TimeoutOffset)
	if err != nil {
		h.refuse(w, http.StatusBadRequest, RefusedBadTimeout, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if err := CheckTarget(ctx, req.Policy, req.URL); err != nil {
		h.refuse(w, http.StatusForbidden, RefusedNotAllowed, err.Error())
		return
	}

	if !h.Budget.take(ProbeShare) {
		h.refuse(w, http.StatusServiceUnavailable, RefusedMemory, fmt.Sprintf(
			"the probes in flight hold the whole --probe.memory-budget (%d of %d bytes): try again, or raise it", h.Budget.InUse(), h.Budget.Limit()))
		return
	}
	defer h.Budget.give(ProbeShare)
	req.Budget = h.Budget
	res := p.Probe(ctx, req, h.Logger)
	q := r.URL.Query()
	if h.Observer != nil {
		h.Observer.ProbeDone(res)
	}

	if debug, _ := strconv.ParseBool(q.Get("debug")); debug {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(DebugOutput(res)))
		return
	}
	buf := answerPool.Get().(*[]byte)
	*buf = res.AppendText((*buf)[:0])
	w.Header().Set("Content-Type", exposition.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(*buf)))
	_, _ = w.Write(*buf)
	answerPool.Put(buf)
}

// refusal is why a /probe request is not probed.
type refusal struct {
	code        int
	reason, msg string
}

// resolve reads what a /probe request asks for: the target (a configured
// one, trusted, with its module and hostname; or a URL, under
// allow_targets), the module, and the hostname to send.
func resolve(cfg *config.Config, q url.Values, adhoc []*config.MaintenanceWindow) (Request, *config.Module, *refusal) {
	req := Request{Target: q.Get("target"), Module: q.Get("module")}
	if req.Target == "" {
		return req, nil, &refusal{http.StatusBadRequest, RefusedInvalidTarget, "target parameter is missing"}
	}
	if t, ok := cfg.Target(req.Target); ok {
		req.URL, req.Hostname = t.ParsedURL(), t.Hostname
		req.Maintenance, _ = cfg.TargetInMaintenance(req.Target, time.Now(), adhoc...)
		if req.Module == "" {
			req.Module = t.ModuleName()
		}
	} else if bareWord(req.Target) {
		return req, nil, &refusal{http.StatusBadRequest, RefusedInvalidTarget, notATarget(cfg, req.Target)}
	} else {
		u, err := ParseTarget(req.Target)
		if err != nil {
			return req, nil, &refusal{http.StatusBadRequest, RefusedInvalidTarget, err.Error()}
		}
		req.URL, req.Policy = u, cfg.AllowList()
	}
	if hn := q.Get("hostname"); hn != "" {
		if !config.ValidHostname(hn) {
			return req, nil, &refusal{http.StatusBadRequest, RefusedInvalidTarget, fmt.Sprintf("invalid hostname %q", hn)}
		}
		req.Hostname = hn
	}
	if req.Module == "" {
		req.Module = config.DefaultModuleName
	}
	m, ok := cfg.Module(req.Module)
	if !ok {
		return req, nil, &refusal{http.StatusBadRequest, RefusedUnknownModule, fmt.Sprintf("unknown module %q", req.Module)}
	}
	return req, m, nil
}

func (h *Handler) refuse(w http.ResponseWriter, code int, reason, msg string) {
	if h.Observer != nil {
		h.Observer.ProbeRefused(reason)
	}
	if h.Logger != nil {
		h.Logger.Debug("Probe refused", "reason", reason, "detail", msg)
	}
	http.Error(w, msg, code)
}

// bareWord: no scheme, dot, port or path, and not localhost. Taken as a
// host it would send the exporter to DNS for what is most likely a
// configured target's name, mistyped.
func bareWord(target string) bool {
	return !strings.ContainsAny(target, ".:/[") && target != "localhost"
}

// notATarget says so, with the configured names closest to it.
func notATarget(cfg *config.Config, target string) string {
	names := make([]string, 0, len(cfg.Targets))
	for _, t := range cfg.Targets {
		names = append(names, t.Name)
	}
	msg := fmt.Sprintf("target %q is no configured target's name and no URL (a host needs a dot, a port or http://)", target)
	if near := text.Closest(target, names, 3); len(near) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(near[:min(len(near), 3)], ", "))
	}
	return msg
}

// ParseTarget reads ?target=: a URL, or a host[:port] taken as http://,
// as blackbox_exporter does (config.ParseTargetURL holds the rules).
func ParseTarget(target string) (*url.URL, error) {
	u, err := config.ParseTargetURL(target, true)
	if err != nil {
		return nil, fmt.Errorf("invalid target: %w", err)
	}
	return u, nil
}

// probeTimeout is Prometheus's scrape timeout (from its header) minus the
// offset, capped by the module's timeout.
func probeTimeout(r *http.Request, moduleTimeout, offset time.Duration) (time.Duration, error) {
	timeout := moduleTimeout
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs <= 0 {
			return 0, fmt.Errorf("invalid X-Prometheus-Scrape-Timeout-Seconds %q", v)
		}
		// Past what a Duration holds (292 years) is as good as no limit:
		// the module's timeout decides.
		scrape := time.Duration(math.MaxInt64)
		if secs < float64(math.MaxInt64)/float64(time.Second) {
			scrape = time.Duration(secs * float64(time.Second))
		}
		if scrape <= 0 {
			return 0, fmt.Errorf("invalid X-Prometheus-Scrape-Timeout-Seconds %q: below a nanosecond", v)
		}
		if scrape-offset > 0 {
			scrape -= offset
		}
		if timeout <= 0 || scrape < timeout {
			timeout = scrape
		}
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return timeout, nil
}
