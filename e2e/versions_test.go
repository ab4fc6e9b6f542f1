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

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// The detectors and the health-check parsers on every Django the example
// project runs on: Debian's 3.2 (TestProbeRealDjango), and 4.2 with
// django-health-check 3.18, 5.2 with 4.5 and 6.1 with 4.5, live.
func TestDjangoVersions(t *testing.T) {
	for _, v := range newerDjangos(t) {
		t.Run("Django "+v.name, func(t *testing.T) {
			t.Parallel()
			testDjangoVersion(t, v)
		})
	}
}

func testDjangoVersion(t *testing.T, v djangoVersion) {
	prod := startDjangoVersion(t, v, "DJANGO_DEBUG=0")
	debug := startDjangoVersion(t, v, "DJANGO_DEBUG=1")
	exp := startExporter(t, fmt.Sprintf(`
modules:
  shop:
    checks:
      - {name: brand, keyword: "Acme Shop"}
    django: {debug_canary: true, check_allowed_hosts: true}
targets:
  - {name: home, url: "%[1]s/", module: shop}
  - {name: home-debug, url: "%[2]s/", module: shop}
  - {name: boom-debug, url: "%[2]s/boom/"}
  - {name: missing-debug, url: "%[2]s/products/7/"}
  - {name: wrong-host, url: "%[1]s/", hostname: evil.example}
  - {name: wrong-host-debug, url: "%[2]s/", hostname: evil.example}
  - {name: health, url: "%[1]s/ht/?format=json", module: django_health_check}
  - {name: health-openmetrics, url: "%[1]s/ht/?format=openmetrics", module: django_health_check}
`, prod.url, debug.url))

	cases := []struct {
		target string
		want   map[string]float64
	}{
		// Production: fine, DEBUG off (the canary says so), the forged Host
		// refused.
		{"home", map[string]float64{"probe_success": 1, "probe_django_debug_enabled": 0, "probe_django_allowed_hosts_enforced": 1}},
		// A healthy page with DEBUG on: only the canary sees it.
		{"home-debug", map[string]float64{"probe_success": 0, "probe_http_status_code": 200, "probe_django_debug_enabled": 1,
			`probe_failed_due_to{reason="debug_page"}`: 1}},
		{"boom-debug", map[string]float64{"probe_success": 0, "probe_http_status_code": 500, "probe_django_debug_enabled": 1}},
		{"missing-debug", map[string]float64{"probe_success": 0, "probe_http_status_code": 404, "probe_django_debug_enabled": 1}},
		{"wrong-host", map[string]float64{"probe_success": 0, "probe_http_status_code": 400, "probe_django_disallowed_host": 1,
			"probe_django_debug_enabled": 0, `probe_failed_due_to{reason="disallowed_host"}`: 1}},
		{"wrong-host-debug", map[string]float64{"probe_http_status_code": 400, "probe_django_disallowed_host": 1, "probe_django_debug_enabled": 1}},
	}
	names := []string{"DatabaseBackend", "Cache backend: default", "MigrationsHealthCheck", "DefaultFileStorageHealthCheck"}
	if v.healthCheck4 {
		names = []string{"Database(alias='default')", "Cache(alias='default')", "Storage(alias='default')"}
	}
	health := map[string]float64{"probe_success": 1, "probe_django_health_check_backends": float64(len(names))}
	for _, n := range names {
		health[fmt.Sprintf("probe_django_health_check_up{check=%q}", n)] = 1
	}
	cases = append(cases, struct {
		target string
		want   map[string]float64
	}{"health", health})
	if v.healthCheck4 {
		// The same backend, the same check label, whichever format.
		cases = append(cases, struct {
			target string
			want   map[string]float64
		}{"health-openmetrics", health})
	}
	if v.healthCheck4 {
		// 4.x's OpenMetrics answer times each check.
		body := exp.probe(t, "health-openmetrics", "")
		for _, n := range names {
			series := fmt.Sprintf("probe_django_health_check_duration_seconds{check=%q}", n)
			if got, ok := metricValue(t, body, series); !ok || got < 0 || got > 10 {
				t.Errorf("Django %s: %s = %v (present %v), want a response time", v.name, series, got, ok)
			}
		}
	}
	for _, tc := range cases {
		body := exp.probe(t, tc.target, "")
		for series, want := range tc.want {
			if got, ok := metricValue(t, body, series); !ok || got != want {
				t.Errorf("Django %s, %s: %s = %v (present %v), want %v\n%s", v.name, tc.target, series, got, ok, want,
					grepLines(body, "probe_success", "probe_django", "probe_failed_due_to", "probe_http_status_code"))
			}
		}
	}
}

// grepLines keeps the sample lines starting with one of the prefixes.
func grepLines(body string, prefixes ...string) string {
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) && !strings.HasSuffix(line, " 0") {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
