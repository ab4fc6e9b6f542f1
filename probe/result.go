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
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Phases of an HTTP request, as in blackbox_exporter's
// probe_http_duration_seconds{phase}.
var phaseNames = [...]string{"resolve", "connect", "tls", "processing", "transfer"}

const (
	phaseResolve = iota
	phaseConnect
	phaseTLS
	phaseProcessing
	phaseTransfer
)

// CheckResult is the outcome of one configured check.
type CheckResult struct {
	Name   string
	Type   string
	OK     bool
	Reason string // why it failed, or what it saw
}

// Backend is one django-health-check or django-watchman backend.
type Backend struct {
	Name    string
	Up      bool
	Message string
}

// Result is everything one probe learned. Its metrics are derived from it
// (Collect), and the debug page and the status page render it.
type Result struct {
	ID       uint64
	Target   string
	Module   string
	Start    time.Time
	Duration time.Duration
	Success  bool
	// Failure is the first reason the probe failed, for people.
	Failure string

	// Response holds false when no HTTP answer arrived at all.
	Response      bool
	StatusCode    int
	HTTPVersion   float64
	ContentLength int64
	BodyLength    int64
	Redirects     int
	Phases        [len(phaseNames)]float64
	DNSLookup     float64
	IPProtocol    int
	ContentHash   string // hex SHA-256 of the (decoded) body

	TLS *TLSInfo

	Checks         []CheckResult
	RegexFailed    bool
	DetectDebug    bool // the module looked for DEBUG pages
	DebugPage      bool
	DetectHost     bool // the module looked for ALLOWED_HOSTS rejections
	DisallowedHost bool
	HealthFormat   string // the health-check format that was read, "" for none
	HealthChecks   []Backend

	Log []slog.Record
}

// TLSInfo describes the TLS connection of the final response.
type TLSInfo struct {
	Version         string
	EarliestExpiry  time.Time
	LastChainExpiry time.Time
	Subject         string
	Issuer          string
}

// fail records the first reason the probe failed.
func (r *Result) fail(reason string) {
	r.Success = false
	if r.Failure == "" {
		r.Failure = reason
	}
}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// Descriptions are built once: a probe only fills values in.
var (
	descSuccess          = newDesc("probe_success", "Displays whether or not the probe was a success")
	descDuration         = newDesc("probe_duration_seconds", "Returns how long the probe took to complete in seconds")
	descStatusCode       = newDesc("probe_http_status_code", "Response HTTP status code")
	descPhase            = newDesc("probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects", "phase")
	descContentLength    = newDesc("probe_http_content_length", "Length of http content response")
	descBodyLength       = newDesc("probe_http_uncompressed_body_length", "Length of uncompressed response body")
	descRedirects        = newDesc("probe_http_redirects", "The number of redirects")
	descSSL              = newDesc("probe_http_ssl", "Indicates if SSL was used for the final redirect")
	descHTTPVersion      = newDesc("probe_http_version", "Returns the version of HTTP of the probe response")
	descDNSLookup        = newDesc("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds")
	descIPProtocol       = newDesc("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6")
	descFailedRegex      = newDesc("probe_failed_due_to_regex", "Indicates if probe failed due to a keyword or regex check")
	descContentHash      = newDesc("probe_http_content_hash", "First 48 bits of the SHA-256 of the body, as a number: changes() over it shows drift")
	descSSLEarliest      = newDesc("probe_ssl_earliest_cert_expiry", "Returns earliest SSL cert expiry in unixtime")
	descSSLLastChain     = newDesc("probe_ssl_last_chain_expiry_timestamp_seconds", "Returns last SSL chain expiry in timestamp seconds")
	descTLSVersion       = newDesc("probe_tls_version_info", "Contains the TLS version used", "version")
	descCheckSuccess     = newDesc("probe_check_success", "Whether a configured check passed (1) or failed (0)", "check", "type")
	descDjangoDebug      = newDesc("probe_django_debug_enabled", "1 when the answer is a Django DEBUG=True page")
	descDisallowedHost   = newDesc("probe_django_disallowed_host", "1 when Django refused the Host header (ALLOWED_HOSTS)")
	descHealthCheckUp    = newDesc("probe_django_health_check_up", "1 when a django-health-check or django-watchman backend works, 0 when it fails", "check")
	descHealthCheckCount = newDesc("probe_django_health_check_backends", "How many health-check backends the answer listed")
)

// Describe sends nothing: a probe's series depend on its answer, and the
// registry is fresh for every probe.
func (r *Result) Describe(chan<- *prometheus.Desc) {}

// Collect turns the result into the probe's metrics.
func (r *Result) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descSuccess, boolFloat(r.Success))
	gauge(descDuration, r.Duration.Seconds())

	for i, name := range phaseNames {
		gauge(descPhase, r.Phases[i], name)
	}
	gauge(descStatusCode, float64(r.StatusCode))
	gauge(descContentLength, float64(r.ContentLength))
	gauge(descBodyLength, float64(r.BodyLength))
	gauge(descRedirects, float64(r.Redirects))
	gauge(descSSL, boolFloat(r.TLS != nil))
	gauge(descHTTPVersion, r.HTTPVersion)
	gauge(descFailedRegex, boolFloat(r.RegexFailed))
	if r.IPProtocol != 0 {
		gauge(descDNSLookup, r.DNSLookup)
		gauge(descIPProtocol, float64(r.IPProtocol))
	}
	if r.Response && r.ContentHash != "" {
		gauge(descContentHash, hashValue(r.ContentHash))
	}
	if t := r.TLS; t != nil {
		gauge(descSSLEarliest, unixSeconds(t.EarliestExpiry))
		gauge(descSSLLastChain, unixSeconds(t.LastChainExpiry))
		gauge(descTLSVersion, 1, t.Version)
	}
	for _, c := range r.Checks {
		gauge(descCheckSuccess, boolFloat(c.OK), c.Name, c.Type)
	}
	if r.DetectDebug {
		gauge(descDjangoDebug, boolFloat(r.DebugPage))
	}
	if r.DetectHost {
		gauge(descDisallowedHost, boolFloat(r.DisallowedHost))
	}
	if r.HealthFormat != "" {
		gauge(descHealthCheckCount, float64(len(r.HealthChecks)))
		for _, b := range r.HealthChecks {
			gauge(descHealthCheckUp, boolFloat(b.Up), b.Name)
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// hashValue is the first 48 bits of a hex SHA-256 as a float64: exact
// (48 < 53 bits of mantissa), so equal bodies give equal values.
func hashValue(hexSum string) float64 {
	var v uint64
	for i := 0; i < 12 && i < len(hexSum); i++ {
		c := hexSum[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		}
		v = v<<4 | uint64(d)
	}
	return float64(v)
}
