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
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A result with every field set, and label values that need escaping,
// is read back exactly by Prometheus's own parser, in sorted families,
// and passes promlint.
func TestAppendTextRoundTrips(t *testing.T) {
	odd := "Cache(alias=\"default\")\\ and\na newline ✓"
	r := &Result{
		Success: false, Duration: 1500 * time.Millisecond, Response: true,
		StatusCode: 500, HTTPVersion: 2, ContentLength: 123, BodyLength: 456, Redirects: 2,
		Phases: [5]float64{0.001, 0.002, 0.003, 0.004, 0.005}, DNSLookup: 0.001, IPProtocol: 6,
		ContentHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		TLS:         &TLSInfo{Version: "TLS 1.3", EarliestExpiry: time.Unix(1900000000, 0), LastChainExpiry: time.Unix(1900000001, 0)},
		Checks:      []CheckResult{{Name: odd, Type: "keyword", Severity: "critical", OK: true}, {Name: "b", Type: "regex", Severity: "warning"}},
		RegexFailed: true, DetectDebug: true, DebugPage: true, DetectHost: true,
		HealthFormat: formatDHCJSON, HealthChecks: []Backend{{Name: odd, Up: false}, {Name: "DatabaseBackend", Up: true}},
	}
	text := r.AppendText(nil)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	get := func(name string, labels map[string]string) (float64, bool) { return sampleOf(mfs, name, labels) }
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"probe_success", nil, 0},
		{"probe_duration_seconds", nil, 1.5},
		{"probe_http_status_code", nil, 500},
		{"probe_http_version", nil, 2},
		{"probe_http_duration_seconds", map[string]string{"phase": "transfer"}, 0.005},
		{"probe_ip_protocol", nil, 6},
		{"probe_http_content_hash", nil, hashValue(r.ContentHash)},
		{"probe_ssl_earliest_cert_expiry", nil, 1900000000},
		{"probe_ssl_last_chain_expiry_timestamp_seconds", nil, 1900000001},
		{"probe_tls_version_info", map[string]string{"version": "TLS 1.3"}, 1},
		{"probe_check_success", map[string]string{"check": odd, "severity": "critical", "type": "keyword"}, 1},
		{"probe_check_success", map[string]string{"check": "b", "severity": "warning", "type": "regex"}, 0},
		{"probe_failed_due_to_regex", nil, 1},
		{"probe_django_debug_enabled", nil, 1},
		{"probe_django_disallowed_host", nil, 0},
		{"probe_django_health_check_up", map[string]string{"check": odd}, 0},
		{"probe_django_health_check_backends", nil, 2},
	} {
		got, ok := get(tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	var order []string
	for line := range strings.SplitSeq(string(text), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			order = append(order, strings.Fields(name)[0])
		}
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("families are not sorted: %v", order)
	}
	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// A failed connection still answers every standard series, with zeros.
func TestAppendTextWithoutResponse(t *testing.T) {
	r := &Result{ContentLength: -1}
	text := string(r.AppendText(nil))
	for _, want := range []string{"probe_success 0\n", "probe_http_status_code 0\n", "probe_http_content_length -1\n", `probe_http_duration_seconds{phase="connect"} 0`} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	for _, absent := range []string{"probe_http_content_hash", "probe_ssl_", "probe_ip_protocol"} {
		if strings.Contains(text, absent) {
			t.Errorf("%s should be absent:\n%s", absent, text)
		}
	}
}

// sampleOf is the value of the series of a family with exactly these
// labels.
func sampleOf(mfs map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}
