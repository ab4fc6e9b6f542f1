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
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-health/django_health_exporter/config"
)

// Every page captured from a real Django (testdata/django/capture.sh:
// Debian's 3.2, 4.2, 5.2 and 6.1), probed with the embedded default
// module, gives the right verdict.
func TestDjangoFixtures(t *testing.T) {
	h := newHarness(t, config.LoadDefault())
	for _, version := range []string{"", "django42-", "django52-", "django61-"} {
		testDjangoFixtures(t, h, version)
	}
}

func testDjangoFixtures(t *testing.T, h *harness, version string) {
	for _, tc := range []struct {
		fixture        string
		success        float64
		debug          float64
		disallowedHost float64
	}{
		{"home", 1, 0, 0},
		{"api-status", 1, 0, 0},
		{"admin-login", 1, 0, 0},
		{"prod-404", 0, 0, 0},
		{"prod-500", 0, 0, 0},
		{"prod-disallowed-host", 0, 0, 1},
		{"debug-home", 1, 0, 0}, // 200, a normal page: DEBUG is invisible here
		{"debug-500", 0, 1, 0},
		{"debug-500-text", 0, 1, 0},
		{"debug-404", 0, 1, 0},
		{"debug-404-raised", 0, 1, 0},
		{"debug-disallowed-host", 0, 1, 1},
		{"debug-install-worked", 0, 1, 0}, // status 200, and still a failure
		{"debug-csrf", 0, 1, 0},
		{"prod-csrf", 0, 0, 0},
	} {
		t.Run(version+tc.fixture, func(t *testing.T) {
			f := loadFixture(t, filepath.Join("testdata/django", version+tc.fixture+".http"))
			srv := serveFixture(t, f)
			s := h.probeURL(t, srv.URL+"/", "")
			s.want(t, map[string]float64{
				"probe_success":                tc.success,
				"probe_django_debug_enabled":   tc.debug,
				"probe_django_disallowed_host": tc.disallowedHost,
				"probe_http_status_code":       float64(f.status),
			})
		})
	}
}

// Turning a detector off removes its verdict, and its series.
func TestDjangoDetectorsCanBeTurnedOff(t *testing.T) {
	h := newHarness(t, mustConfig(t, `
modules:
  quiet:
    http: {valid_status_codes: [400, 500]}
    django: {detect_debug: false, detect_disallowed_host: false, health_check: none}
`))
	for _, name := range []string{"debug-500", "prod-disallowed-host"} {
		srv := serveFixture(t, loadFixture(t, "testdata/django/"+name+".http"))
		s := h.probeURL(t, srv.URL+"/", "quiet")
		s.want(t, map[string]float64{"probe_success": 1})
		s.absent(t, "probe_django_")
	}
}

// The markers must not fire on an ordinary page that talks about DEBUG,
// nor on a 400 that is not Django's.
func TestDjangoDetectorsDoNotFireOnLookalikes(t *testing.T) {
	h := newHarness(t, config.LoadDefault())
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"blog about DEBUG":   {200, "<p>Never deploy with DEBUG = True. The setting DEBUG = True shows the Django Version: to everyone.</p>"},
		"escaped quote":      {200, "<pre>because you have &lt;code&gt;DEBUG = True&lt;/code&gt;</pre><p>Django Version: 5.2</p>"},
		"other 400":          {400, "<h1>Bad Request</h1><p>missing parameter</p>"},
		"bad request on 200": {200, "<h1>Bad Request (400)</h1>"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := staticServer(t, tc.status, "text/html", tc.body)
			s := h.probeURL(t, srv.URL, "")
			s.want(t, map[string]float64{"probe_django_debug_enabled": 0, "probe_django_disallowed_host": 0})
		})
	}
}

// The verdict explains itself in the debug output.
func TestDjangoDebugOutputSaysWhy(t *testing.T) {
	h := newHarness(t, config.LoadDefault())
	srv := serveFixture(t, loadFixture(t, "testdata/django/debug-disallowed-host.http"))
	s := h.probe(t, url.Values{"target": {srv.URL}, "debug": {"true"}}, nil)
	for _, want := range []string{
		"Result: FAILED",
		"DEBUG page exposed: yes",
		"Host refused by ALLOWED_HOSTS: yes",
		"Invalid HTTP_HOST header",
		"Logs for the probe:",
		"Metrics that would have been returned:",
		"probe_django_debug_enabled 1",
		"Module configuration:",
	} {
		if !strings.Contains(s.body, want) {
			t.Errorf("debug output lacks %q:\n%s", want, s.body)
		}
	}
}

func TestHealthCheckFixtures(t *testing.T) {
	h := newHarness(t, config.LoadDefault())
	up := func(name string) string { return "probe_django_health_check_up{check=" + name + "}" }
	for _, tc := range []struct {
		name, module string
		status       int
		contentType  string
		file         string // testdata/healthcheck, or a captured .http
		success      float64
		backends     map[string]float64
	}{
		{name: "3.x json", file: "../django/dhc3-ok-json.http", success: 1, backends: map[string]float64{
			up("DatabaseBackend"): 1, up("Cache backend: default"): 1, up("DefaultFileStorageHealthCheck"): 1, up("MigrationsHealthCheck"): 1,
		}},
		{name: "3.x json by Accept", file: "../django/dhc3-ok-accept-json.http", success: 1, backends: map[string]float64{up("DatabaseBackend"): 1}},
		{name: "3.x celery down", file: "../django/dhc3-celery-down-json.http", success: 0, backends: map[string]float64{
			up("CeleryPingHealthCheck"): 0, up("DatabaseBackend"): 1, "probe_django_health_check_backends": 5,
		}},
		{name: "3.x celery down, module accepts 500", module: "django_health_check", file: "../django/dhc3-celery-down-json.http", success: 0, backends: map[string]float64{
			up("CeleryPingHealthCheck"): 0, "probe_http_status_code": 500,
		}},
		{name: "3.18 json", file: "../django/dhc318-ok-json.http", success: 1, backends: map[string]float64{
			up("DatabaseBackend"): 1, up("Cache backend: default"): 1, up("MigrationsHealthCheck"): 1,
		}},
		{name: "3.18 json by Accept", file: "../django/dhc318-ok-accept-json.http", success: 1, backends: map[string]float64{up("DatabaseBackend"): 1}},
		{name: "3.18 celery down", file: "../django/dhc318-celery-down-json.http", success: 0, backends: map[string]float64{
			up("CeleryPingHealthCheck"): 0, up("DatabaseBackend"): 1,
		}},
		// 4.5, captured: the same check label from JSON, from the Accept
		// header and from OpenMetrics, the Celery app's address gone.
		{name: "4.5 json", file: "../django/dhc45-ok-json.http", success: 1, backends: map[string]float64{
			up("Database(alias='default')"): 1, up("Cache(alias='default')"): 1, up("Storage(alias='default')"): 1,
		}},
		{name: "4.5 json by Accept", file: "../django/dhc45-ok-accept-json.http", success: 1, backends: map[string]float64{up("Database(alias='default')"): 1}},
		{name: "4.5 openmetrics", file: "../django/dhc45-ok-openmetrics.http", success: 1, backends: map[string]float64{
			up("Database(alias='default')"): 1, up("Cache(alias='default')"): 1, up("Storage(alias='default')"): 1,
		}},
		{name: "4.5 celery down json", file: "../django/dhc45-celery-down-json.http", success: 0, backends: map[string]float64{
			up("Ping(app=<Celery shop>)"): 0, up("Database(alias='default')"): 1, "probe_django_health_check_backends": 4,
		}},
		{name: "4.5 celery down openmetrics", file: "../django/dhc45-celery-down-openmetrics.http", success: 0, backends: map[string]float64{
			up("Ping(app=<Celery shop>)"): 0, up("Database(alias='default')"): 1, "probe_django_health_check_backends": 4,
		}},
		// Formats no Debian release has: an earlier 4.x renderer, the
		// anonymous view, django-watchman (see testdata/healthcheck).
		{name: "4.x openmetrics repr labels", status: 200, contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8", file: "dhc4-repr-labels.openmetrics", success: 0, backends: map[string]float64{
			up("Database(alias='other')"): 0, up("Cache(alias='default')"): 1,
		}},
		{name: "4.x openmetrics, a check without fields", status: 200, contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8", file: "dhc4-split-labels.openmetrics", success: 0, backends: map[string]float64{
			up("Database(alias='other')"): 0, up("Cache(alias='default')"): 1, up("Redis()"): 1,
		}},
		{name: "4.x minimal json", module: "django_health_check", status: 500, contentType: "application/json", file: "dhc4-minimal.json", success: 0, backends: map[string]float64{up("status"): 0}},
		{name: "4.x minimal openmetrics", status: 200, contentType: "application/openmetrics-text", file: "dhc4-minimal.openmetrics", success: 1, backends: map[string]float64{up("overall"): 1}},
		{name: "watchman", status: 200, contentType: "application/json", file: "watchman-ok.json", success: 1, backends: map[string]float64{
			up("caches/default"): 1, up("databases/default"): 1, up("databases/replica"): 1, up("storage"): 1,
		}},
		{name: "watchman down", module: "watchman", status: 500, contentType: "application/json", file: "watchman-db-down.json", success: 0, backends: map[string]float64{
			up("databases/default"): 0, up("caches/default"): 1,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata/healthcheck", tc.file)
			var target string
			if strings.HasSuffix(path, ".http") {
				target = serveFixture(t, loadFixture(t, path)).URL
			} else {
				body, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				target = staticServer(t, tc.status, tc.contentType, string(body)).URL
			}
			s := h.probeURL(t, target, tc.module)
			want := map[string]float64{"probe_success": tc.success}
			maps.Copy(want, tc.backends)
			s.want(t, want)
		})
	}
}

// An HTML health-check page in auto mode gives no backend series and no
// failure; a module that insists on a format fails on anything else.
func TestHealthCheckModes(t *testing.T) {
	h := newHarness(t, config.LoadDefault())
	html := serveFixture(t, loadFixture(t, "testdata/django/dhc3-ok-html.http"))
	s := h.probeURL(t, html.URL, "")
	s.want(t, map[string]float64{"probe_success": 1})
	s.absent(t, "probe_django_health_check")

	api := serveFixture(t, loadFixture(t, "testdata/django/api-status.http"))
	s = h.probeURL(t, api.URL, "")
	s.want(t, map[string]float64{"probe_success": 1})
	s.absent(t, "probe_django_health_check")

	s = h.probeURL(t, api.URL, "django_health_check")
	s.want(t, map[string]float64{"probe_success": 0})
	s = h.probeURL(t, api.URL, "watchman")
	s.want(t, map[string]float64{"probe_success": 0})

	s = h.probeURL(t, html.URL, "django_admin")
	s.absent(t, "probe_django_health_check")
}
