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
	"slices"
	"time"

	"github.com/django-health/django_health_exporter/internal/exposition"
)

// A probe's answer is written from its Result: every /probe request has
// its own and nothing is shared between probes, which is what blackbox's
// fresh registry per request is for. The answer is a score of gauges with
// fixed names, so it is written directly in the text format: going
// through a registry and the expfmt encoder cost more CPU than the rest of
// the answer. Each family is declared here once, with its value, sorted
// by name; help texts are blackbox_exporter's where the names are.

type family = exposition.Family[*Result]

const gauge = exposition.Gauge

var resultFamilies = exposition.Prepare([]family{
	{Name: "probe_check_success", Type: gauge, Help: "Whether a configured check passed (1) or failed (0)",
		Present: func(r *Result) bool { return len(r.Checks) > 0 },
		Samples: func(r *Result, s *exposition.Sampler) {
			for _, c := range r.Checks {
				s.Sample(boolFloat(c.OK), "check", c.Name, "severity", c.Severity, "type", c.Type)
			}
		}},
	{Name: "probe_django_allowed_hosts_enforced", Type: gauge, Help: "1 when a forged Host header was refused (check_allowed_hosts), 0 when Django answered it",
		Present: func(r *Result) bool { return r.AllowedHosts != nil },
		Value:   func(r *Result) float64 { return boolFloat(r.AllowedHosts.Passed) }},
	{Name: "probe_django_debug_enabled", Type: gauge, Help: "1 when the answer is a Django DEBUG=True page",
		Present: func(r *Result) bool { return r.DetectDebug },
		Value:   func(r *Result) float64 { return boolFloat(r.DebugPage) }},
	{Name: "probe_django_disallowed_host", Type: gauge, Help: "1 when Django refused the Host header (ALLOWED_HOSTS)",
		Present: func(r *Result) bool { return r.DetectHost },
		Value:   func(r *Result) float64 { return boolFloat(r.DisallowedHost) }},
	{Name: "probe_django_health_check_backends", Type: gauge, Help: "How many health-check backends the answer listed",
		Present: func(r *Result) bool { return r.HealthFormat != "" },
		Value:   func(r *Result) float64 { return float64(len(r.HealthChecks)) }},
	{Name: "probe_django_health_check_duration_seconds", Type: gauge, Help: "Seconds a django-health-check backend took to answer, as its OpenMetrics answer (4.x) reports",
		Present: func(r *Result) bool {
			return slices.ContainsFunc(r.HealthChecks, func(b Backend) bool { return b.Timed })
		},
		Samples: func(r *Result, s *exposition.Sampler) {
			for _, b := range r.HealthChecks {
				if b.Timed {
					s.Sample(b.Seconds, "check", b.Name)
				}
			}
		}},
	{Name: "probe_django_health_check_up", Type: gauge, Help: "1 when a django-health-check or django-watchman backend works, 0 when it fails",
		Present: func(r *Result) bool { return r.HealthFormat != "" && len(r.HealthChecks) > 0 },
		Samples: func(r *Result, s *exposition.Sampler) {
			for _, b := range r.HealthChecks {
				s.Sample(boolFloat(b.Up), "check", b.Name)
			}
		}},
	{Name: "probe_django_login_duration_seconds", Type: gauge, Help: "Seconds each step of the login (django.login) took: page, submit, landing, logout",
		Present: func(r *Result) bool { return r.Login != nil },
		Samples: func(r *Result, s *exposition.Sampler) {
			for i, step := range loginSteps {
				s.Sample(r.Login.Durations[i], "step", step)
			}
		}},
	{Name: "probe_django_login_success", Type: gauge, Help: "1 when the probe logged in (django.login) and found the expected page, 0 when a step failed",
		Present: func(r *Result) bool { return r.Login != nil },
		Value:   func(r *Result) float64 { return boolFloat(r.Login.Success) }},
	{Name: "probe_django_release_info", Type: gauge, Help: "1, with the release that answered the probe (django.release: a header, a JSON field or a regex)",
		Present: func(r *Result) bool { return r.Release != "" },
		Samples: func(r *Result, s *exposition.Sampler) { s.Sample(1, "release", r.Release) }},
	{Name: "probe_django_static_assets_broken", Type: gauge, Help: "Static assets the page links that are broken (non-2xx, no answer, or an HTML page for a stylesheet, script or image), of those checked (django.static_assets)",
		Present: func(r *Result) bool { return r.Assets != nil },
		Value:   func(r *Result) float64 { return float64(len(r.Assets.Broken)) }},
	{Name: "probe_django_static_assets_checked", Type: gauge, Help: "Static assets the page links that the probe fetched (django.static_assets): on the page's host and hosts:, at most max",
		Present: func(r *Result) bool { return r.Assets != nil },
		Value:   func(r *Result) float64 { return float64(r.Assets.Checked) }},
	{Name: "probe_dns_lookup_time_seconds", Type: gauge, Help: "Returns the time taken for probe dns lookup in seconds",
		Present: func(r *Result) bool { return r.IPProtocol != 0 },
		Value:   func(r *Result) float64 { return r.DNSLookup }},
	{Name: "probe_duration_seconds", Type: gauge, Help: "Returns how long the probe took to complete in seconds",
		Value: func(r *Result) float64 { return r.Duration.Seconds() }},
	// Only the reasons that apply: 14 zeros on every probe were most of
	// its series, and the alerts and panels ask for == 1.
	{Name: "probe_failed_due_to", Type: gauge, Help: "1 for each reason the probe failed, of a fixed set: dns, connect, tls, timeout, status, check, debug_page, disallowed_host, allowed_hosts_not_enforced, health_check, body_limit, redirect, refused, login; a reason that does not apply has no series",
		Present: func(r *Result) bool { return len(r.Failures) > 0 },
		Samples: func(r *Result, s *exposition.Sampler) {
			for _, reason := range Reasons {
				if r.FailedDueTo(reason) {
					s.Sample(1, "reason", reason)
				}
			}
		}},
	{Name: "probe_failed_due_to_regex", Type: gauge, Help: "Indicates if probe failed due to a keyword or regex check",
		Value: func(r *Result) float64 { return boolFloat(r.RegexFailed) }},
	{Name: "probe_http_content_hash", Type: gauge, Help: "First 48 bits of the SHA-256 of the body, as a number: changes() over it shows drift",
		Present: func(r *Result) bool { return r.Response && r.ContentHash != "" },
		Value:   func(r *Result) float64 { return hashValue(r.ContentHash) }},
	{Name: "probe_http_content_length", Type: gauge, Help: "Length of http content response",
		Value: func(r *Result) float64 { return float64(r.ContentLength) }},
	{Name: "probe_http_duration_seconds", Type: gauge, Help: "Duration of http request by phase, summed over all redirects",
		Samples: func(r *Result, s *exposition.Sampler) {
			for i, name := range phaseNames {
				s.Sample(r.Phases[i], "phase", name)
			}
		}},
	{Name: "probe_http_redirects", Type: gauge, Help: "The number of redirects",
		Value: func(r *Result) float64 { return float64(r.Redirects) }},
	{Name: "probe_http_ssl", Type: gauge, Help: "Indicates if SSL was used for the final redirect",
		Value: func(r *Result) float64 { return boolFloat(r.Response && r.TLS != nil) }},
	{Name: "probe_http_status_code", Type: gauge, Help: "Response HTTP status code",
		Value: func(r *Result) float64 { return float64(r.StatusCode) }},
	{Name: "probe_http_uncompressed_body_length", Type: gauge, Help: "Length of uncompressed response body",
		Value: func(r *Result) float64 { return float64(r.BodyLength) }},
	{Name: "probe_http_version", Type: gauge, Help: "Returns the version of HTTP of the probe response",
		Value: func(r *Result) float64 { return r.HTTPVersion }},
	{Name: "probe_ip_protocol", Type: gauge, Help: "Specifies whether probe ip protocol is IP4 or IP6",
		Present: func(r *Result) bool { return r.IPProtocol != 0 },
		Value:   func(r *Result) float64 { return float64(r.IPProtocol) }},
	{Name: "probe_maintenance", Type: gauge, Help: "1 while the target is in an open maintenance window of the configuration: the probe runs, and the mixin's probe alerts are quiet (no series outside a window)",
		Present: func(r *Result) bool { return r.Maintenance != "" },
		Value:   func(r *Result) float64 { return 1 }},
	{Name: "probe_ssl_earliest_cert_expiry", Type: gauge, Help: "Returns earliest SSL cert expiry in unixtime",
		Present: func(r *Result) bool { return r.TLS != nil },
		Value:   func(r *Result) float64 { return unixSeconds(r.TLS.EarliestExpiry) }},
	{Name: "probe_ssl_last_chain_expiry_timestamp_seconds", Type: gauge, Help: "Returns last SSL chain expiry in timestamp seconds",
		Present: func(r *Result) bool { return r.TLS != nil },
		Value:   func(r *Result) float64 { return unixSeconds(r.TLS.LastChainExpiry) }},
	{Name: "probe_success", Type: gauge, Help: "Displays whether or not the probe was a success",
		Value: func(r *Result) float64 { return boolFloat(r.Success) }},
	{Name: "probe_tls_version_info", Type: gauge, Help: "Contains the TLS version used",
		Present: func(r *Result) bool { return r.TLS != nil && r.TLS.Version != "" },
		Samples: func(r *Result, s *exposition.Sampler) { s.Sample(1, "version", r.TLS.Version) }},
})

// AppendText appends the probe's metrics, sorted by name, in the text
// exposition format.
func (r *Result) AppendText(b []byte) []byte {
	return exposition.Append(b, resultFamilies, r)
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
