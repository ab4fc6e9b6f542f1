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

// Package collector owns the exporter's state outside single probes: the
// heartbeats (their store, their HTTP handlers and their Prometheus
// collector), the exporter's own metrics, configuration reloads and the
// status page.
package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
)

const namespace = "django_health_exporter"

// ExporterMetrics are the exporter's own metrics. They implement
// probe.Observer.
type ExporterMetrics struct {
	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge
	probes     *prometheus.CounterVec
	refused    *prometheus.CounterVec
}

// NewExporterMetrics registers the exporter's own metrics, build info
// included.
func NewExporterMetrics(reg prometheus.Registerer) *ExporterMetrics {
	m := &ExporterMetrics{
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
			Help: "Probe requests refused before probing, by reason (invalid_target, unknown_module, not_allowed, invalid_timeout).",
		}, []string{"reason"}),
	}
	reg.MustRegister(versioncollector.NewCollector(namespace), m.reloadOK, m.reloadTime, m.probes, m.refused)
	return m
}

// ProbeDone counts a finished probe.
func (m *ExporterMetrics) ProbeDone(module string, success bool) {
	result := "failure"
	if success {
		result = "success"
	}
	m.probes.WithLabelValues(module, result).Inc()
}

// ProbeRefused counts a refused probe request.
func (m *ExporterMetrics) ProbeRefused(reason string) {
	m.refused.WithLabelValues(reason).Inc()
}

// ConfigLoaded records the outcome of a (re)load.
func (m *ExporterMetrics) ConfigLoaded(ok bool, at time.Time) {
	if !ok {
		m.reloadOK.Set(0)
		return
	}
	m.reloadOK.Set(1)
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
}
