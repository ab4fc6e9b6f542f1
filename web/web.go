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
	// EnablePprof serves /debug/pprof/.
	EnablePprof bool
	Logger      *slog.Logger
}

// New returns the exporter's routes.
func New(o Options) http.Handler {
	history := NewHistory(o.HistoryLimit, o.HistoryBytes)
	current := NewCurrent(0)
	mux := http.NewServeMux()
	mux.Handle("/probe", &probe.Handler{
		Prober:        o.Reloader.Prober,
		TimeoutOffset: o.TimeoutOffset,
		Observer:      probeObserver{metrics: o.Metrics, history: history, current: current, config: o.Reloader.Config},
		Logger:        o.Logger,
	})
	mux.Handle("/logs", LogsHandler(history))
	mux.Handle("/metrics", MetricsHandler(o.Gatherer, []TextSource{o.Heartbeats}, o.Logger))
	mux.Handle("/heartbeat/", o.Heartbeats.PingHandler())
	mux.Handle("/api/v1/heartbeats", o.Heartbeats.APIHandler())
	mux.Handle("/api/v1/heartbeats/", o.Heartbeats.APIHandler())
	mux.Handle("/heartbeats/", HeartbeatPage(o.Heartbeats.View, o.Logger))
	mux.Handle("/sd", SDHandler(o.Reloader.Config))
	mux.Handle("/config", ConfigHandler(o.Reloader.Config))
	mux.Handle("/-/reload", o.Reloader.Handler())
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Healthy\n")) })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Ready\n")) })
	if o.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/", &StatusPage{
		History: history, Current: current, Config: o.Reloader.Config, Failure: o.Reloader.LastFailure,
		Heartbeats: o.Heartbeats.Views, Logger: o.Logger,
	})
	return mux
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
