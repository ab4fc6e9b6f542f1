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

// Package web is the exporter's HTTP surface, as pushgateway's handler
// package is: it owns the running State (a configuration and the prober
// compiled from it, swapped together by the Reloader) and serves every
// endpoint: /probe through the probe package's handler, the heartbeat
// routes through the collector's, and its own pages (the status page,
// /logs, /config, /sd, /metrics, /-/ready, /-/healthy, /-/reload).
package web

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/probe"
)

// Options are what the routes are built from.
type Options struct {
	Reloader   *Reloader
	Heartbeats *collector.Heartbeats
	Metrics    *Metrics
	Gatherer   prometheus.Gatherer
	// TimeoutOffset is taken off Prometheus's scrape timeout for a probe.
	TimeoutOffset time.Duration
	// HistoryLimit is how many recent probes, and recent failures, the
	// status page keeps, in at most HistoryBytes (DefaultHistoryBytes
	// when 0).
	HistoryLimit int
	HistoryBytes int
	// ProbeBudget bounds the memory of the probes in flight (nil: none).
	ProbeBudget *probe.Budget
	// EnablePprof serves /debug/pprof/.
	EnablePprof bool
	Logger      *slog.Logger
}

// New returns the exporter's routes: every endpoint is listed here, with
// its methods (Go's method and path patterns), so the API can be read
// where it is wired. A method a route does not take gets 405 from the
// mux (with Allow), except where a fallback says more or counts it.
func New(o Options) http.Handler {
	history := NewHistory(o.HistoryLimit, o.HistoryBytes)
	current := NewCurrent(0)
	hb := o.Heartbeats
	mux := http.NewServeMux()

	// Probes, blackbox style: any method, as blackbox_exporter takes.
	mux.Handle("/probe", &probe.Handler{
		Running:       o.Reloader.Running,
		TimeoutOffset: o.TimeoutOffset,
		Observer:      probeObserver{metrics: o.Metrics, history: history, current: current, config: o.Reloader.Config},
		Logger:        o.Logger,
		Budget:        o.ProbeBudget,
		AdHocWindows:  hb.MaintenanceWindows,
	})

	// Pings and the heartbeat API: collector owns their patterns.
	hb.Routes(mux)

	// Pages.
	mux.Handle("GET /{$}", &StatusPage{
		History: history, Current: current, Config: o.Reloader.Config, Failure: o.Reloader.LastFailure,
		Heartbeats: hb.Views, AdHocWindows: hb.MaintenanceWindows, Refused: hb.RefusedNames, Logger: o.Logger,
	})
	mux.Handle("GET /heartbeats/{name}", HeartbeatPage(hb.View, o.Logger))
	mux.Handle("GET /logs", LogsHandler(history, current))
	mux.Handle("GET /config", ConfigHandler(o.Reloader.Config))
	mux.Handle("GET /sd", SDHandler(o.Reloader.Config))
	mux.Handle("GET /metrics", MetricsHandler(o.Gatherer, []TextSource{hb}, o.Logger))

	// Lifecycle, as in Prometheus projects.
	mux.Handle("POST /-/reload", o.Reloader.Handler())
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
	})
	mux.Handle("GET /-/healthy", Healthy(hb.Healthy))
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Ready\n")) })

	if o.EnablePprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Healthy serves /-/healthy: 200 while the exporter can do its work, 503
// with the reason when it cannot (the heartbeat store can no longer
// commit, so no ping can be acknowledged), as pushgateway's does.
func Healthy(check func() error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err := check(); err != nil {
			http.Error(w, "Unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Healthy\n"))
	})
}

// probeObserver counts every probe, and keeps it for the status page: in
// the history, and as its target's current state.
type probeObserver struct {
	metrics *Metrics
	history *History
	current *Current
	config  func() *config.Config
}

func (o probeObserver) ProbeDone(r *probe.Result) {
	o.metrics.ProbeDone(r)
	o.history.Add(r)
	t, ok := o.config().Target(r.Target)
	o.current.Observe(r, ok && t.ModuleName() == r.Module && t.Hostname == r.Hostname)
}

func (o probeObserver) ProbeRefused(reason string) { o.metrics.ProbeRefused(reason) }
