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

package web

import (
	"bufio"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/expfmt"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/exposition"
	"github.com/django-health/django_health_exporter/probe"
)

const namespace = "django_health_exporter"

// Metrics are the exporter's own metrics: build info, reloads, probes.
type Metrics struct {
	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge
	probes     *prometheus.CounterVec
	refused    *prometheus.CounterVec
}

// NewMetrics registers the exporter's own metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "probes_total",
			Help: "Probes run, by module and result (success or failure).",
		}, []string{"module", "result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "probe_refused_total",
			Help: "Probe requests refused before probing, by reason (invalid_target, unknown_module, not_allowed, invalid_timeout, loop: a request from a probe, memory: --probe.memory-budget is in use).",
		}, []string{"reason"}),
	}
	reg.MustRegister(versioncollector.NewCollector(namespace), m.reloadOK, m.reloadTime, m.probes, m.refused)
	return m
}

// ProbeDone counts a finished probe.
func (m *Metrics) ProbeDone(r *probe.Result) {
	result := "failure"
	if r.Success {
		result = "success"
	}
	m.probes.WithLabelValues(r.Module, result).Inc()
}

// ProbeRefused counts a refused probe request.
func (m *Metrics) ProbeRefused(reason string) {
	m.refused.WithLabelValues(reason).Inc()
}

// ConfigLoaded records the outcome of a (re)load.
func (m *Metrics) ConfigLoaded(ok bool, at time.Time) {
	if !ok {
		m.reloadOK.Set(0)
		return
	}
	m.reloadOK.Set(1)
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
}

// TextSource writes families of its own after the registry's: the
// heartbeats, which write hundreds of thousands of series as text.
type TextSource interface {
	WriteText(w io.Writer) error
}

// MetricsHandler serves /metrics: what the registry gathers (the
// exporter's own metrics, Go and process metrics) followed by every text
// source, in the text format; gzhttp compresses it when the scraper's
// Accept-Encoding asks for gzip (q=0 included, which means no).
func MetricsHandler(g prometheus.Gatherer, sources []TextSource, logger *slog.Logger) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mfs, err := g.Gather()
		if err != nil {
			// As promhttp does by default: serve what could be gathered.
			logger.Error("Error gathering metrics", "err", err)
		}
		w.Header().Set("Content-Type", exposition.ContentType)
		bw := bufio.NewWriterSize(w, 64<<10)
		defer bw.Flush()
		enc := expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				logger.Error("Error encoding metrics", "err", err)
				return
			}
		}
		for _, s := range sources {
			if err := s.WriteText(bw); err != nil {
				logger.Debug("Error writing metrics", "err", err)
				return
			}
		}
	})
	return gzipped(h)
}

// gzipped compresses at the fastest level: /metrics with 10,000
// heartbeats is 11 MiB of text, and the level costs more CPU than the
// bytes it saves.
func gzipped(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		panic(err) // the options are constant
	}
	return wrap(h)
}

var maintenanceActiveDesc = prometheus.NewDesc(namespace+"_maintenance_active",
	"1 while a maintenance window is open, one of the configuration or one a deploy script opened through /api/v1/maintenance (its heartbeats paused, its targets' probes marked probe_maintenance 1), 0 otherwise.",
	[]string{"window"}, nil)

// MaintenanceCollector exports django_health_exporter_maintenance_active
// for each window of the running configuration, and each window opened
// through the API (adhoc, nil for none) that is open or ended within the
// week it is kept.
func MaintenanceCollector(cfg func() *config.Config, adhoc func() []*config.MaintenanceWindow) prometheus.Collector {
	return maintenanceCollector{cfg, adhoc}
}

type maintenanceCollector struct {
	cfg   func() *config.Config
	adhoc func() []*config.MaintenanceWindow
}

func (maintenanceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- maintenanceActiveDesc }

func (c maintenanceCollector) Collect(ch chan<- prometheus.Metric) {
	cfg := c.cfg()
	if cfg == nil {
		return
	}
	now := time.Now()
	windows := slices.Clip(cfg.Maintenance)
	if c.adhoc != nil {
		windows = append(windows, c.adhoc()...)
	}
	for _, w := range windows {
		if w == nil {
			continue
		}
		open, _ := w.Open(now)
		v := 0.0
		if open {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(maintenanceActiveDesc, prometheus.GaugeValue, v, w.Name)
	}
}
