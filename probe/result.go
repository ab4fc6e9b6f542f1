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
	"crypto/x509"
	"log/slog"
	"strings"
	"time"
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
	// Failures are the reasons the probe failed, for people, in the order
	// they were found.
	Failures []string

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
	// Leaf is the server's certificate; its names are only formatted
	// when somebody reads the debug page.
	Leaf *x509.Certificate
}

// fail records a reason the probe failed.
func (r *Result) fail(reason string) {
	r.Success = false
	r.Failures = append(r.Failures, reason)
}

// Failure is every reason the probe failed, in one line.
func (r *Result) Failure() string { return strings.Join(r.Failures, "; ") }

// A probe's answer is written from its Result: every /probe request has
// its own and nothing is shared between probes, which is what blackbox's
// fresh registry per request is for. The answer is a score of gauges
// with fixed names, so it is written directly in the text exposition
// format (0.0.4, which every Prometheus reads): going through a registry
// and the expfmt encoder cost more CPU than the rest of the answer.

// Help texts, shared with blackbox_exporter where the names are.
const (
	helpSuccess        = "Displays whether or not the probe was a success"
	helpDuration       = "Returns how long the probe took to complete in seconds"
	helpStatusCode     = "Response HTTP status code"
	helpPhase          = "Duration of http request by phase, summed over all redirects"
	helpContentLength  = "Length of http content response"
	helpBodyLength     = "Length of uncompressed response body"
	helpRedirects      = "The number of redirects"
	helpSSL            = "Indicates if SSL was used for the final redirect"
	helpHTTPVersion    = "Returns the version of HTTP of the probe response"
	helpDNSLookup      = "Returns the time taken for probe dns lookup in seconds"
	helpIPProtocol     = "Specifies whether probe ip protocol is IP4 or IP6"
	helpFailedRegex    = "Indicates if probe failed due to a keyword or regex check"
	helpContentHash    = "First 48 bits of the SHA-256 of the body, as a number: changes() over it shows drift"
	helpSSLEarliest    = "Returns earliest SSL cert expiry in unixtime"
	helpSSLLastChain   = "Returns last SSL chain expiry in timestamp seconds"
	helpTLSVersion     = "Contains the TLS version used"
	helpCheckSuccess   = "Whether a configured check passed (1) or failed (0)"
	helpDjangoDebug    = "1 when the answer is a Django DEBUG=True page"
	helpDisallowedHost = "1 when Django refused the Host header (ALLOWED_HOSTS)"
	helpHealthCheckUp  = "1 when a django-health-check or django-watchman backend works, 0 when it fails"
	helpHealthBackends = "How many health-check backends the answer listed"
)

// AppendText appends the probe's metrics, sorted by name, in the text
// exposition format.
func (r *Result) AppendText(b []byte) []byte {
	w := &TextWriter{B: b}
	if len(r.Checks) > 0 {
		w.Family("probe_check_success", "gauge", helpCheckSuccess)
		for _, c := range r.Checks {
			w.Sample("probe_check_success", boolFloat(c.OK), "check", c.Name, "type", c.Type)
		}
	}
	if r.DetectDebug {
		w.gauge("probe_django_debug_enabled", helpDjangoDebug, boolFloat(r.DebugPage))
	}
	if r.DetectHost {
		w.gauge("probe_django_disallowed_host", helpDisallowedHost, boolFloat(r.DisallowedHost))
	}
	if r.HealthFormat != "" {
		w.gauge("probe_django_health_check_backends", helpHealthBackends, float64(len(r.HealthChecks)))
		if len(r.HealthChecks) > 0 {
			w.Family("probe_django_health_check_up", "gauge", helpHealthCheckUp)
			for _, hc := range r.HealthChecks {
				w.Sample("probe_django_health_check_up", boolFloat(hc.Up), "check", hc.Name)
			}
		}
	}
	if r.IPProtocol != 0 {
		w.gauge("probe_dns_lookup_time_seconds", helpDNSLookup, r.DNSLookup)
	}
	w.gauge("probe_duration_seconds", helpDuration, r.Duration.Seconds())
	w.gauge("probe_failed_due_to_regex", helpFailedRegex, boolFloat(r.RegexFailed))
	if r.Response && r.ContentHash != "" {
		w.gauge("probe_http_content_hash", helpContentHash, hashValue(r.ContentHash))
	}
	w.gauge("probe_http_content_length", helpContentLength, float64(r.ContentLength))
	w.Family("probe_http_duration_seconds", "gauge", helpPhase)
	for i, name := range phaseNames {
		w.Sample("probe_http_duration_seconds", r.Phases[i], "phase", name)
	}
	w.gauge("probe_http_redirects", helpRedirects, float64(r.Redirects))
	w.gauge("probe_http_ssl", helpSSL, boolFloat(r.TLS != nil))
	w.gauge("probe_http_status_code", helpStatusCode, float64(r.StatusCode))
	w.gauge("probe_http_uncompressed_body_length", helpBodyLength, float64(r.BodyLength))
	w.gauge("probe_http_version", helpHTTPVersion, r.HTTPVersion)
	if r.IPProtocol != 0 {
		w.gauge("probe_ip_protocol", helpIPProtocol, float64(r.IPProtocol))
	}
	if t := r.TLS; t != nil {
		w.gauge("probe_ssl_earliest_cert_expiry", helpSSLEarliest, unixSeconds(t.EarliestExpiry))
		w.gauge("probe_ssl_last_chain_expiry_timestamp_seconds", helpSSLLastChain, unixSeconds(t.LastChainExpiry))
	}
	w.gauge("probe_success", helpSuccess, boolFloat(r.Success))
	if t := r.TLS; t != nil {
		w.Family("probe_tls_version_info", "gauge", helpTLSVersion)
		w.Sample("probe_tls_version_info", 1, "version", t.Version)
	}
	return w.B
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
