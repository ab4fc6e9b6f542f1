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
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/django-health/django_health_exporter/config"
)

func parse(mode, contentType, body string) (string, []Backend, error) {
	b := []byte(body)
	return parseHealthCheck(mode, contentType, b, func() (any, error) { return decodeJSON(b) })
}

func backendMap(bs []Backend) map[string]bool {
	m := map[string]bool{}
	for _, b := range bs {
		m[b.Name] = b.Up
	}
	return m
}

func TestParseDHCJSON(t *testing.T) {
	for _, tc := range []struct {
		name, mode, body string
		format           string
		want             map[string]bool
	}{
		{"3.x", config.HealthCheckAuto, `{"DatabaseBackend": "working", "CeleryPingHealthCheck": "unavailable: Celery workers unavailable"}`, formatDHCJSON,
			map[string]bool{"DatabaseBackend": true, "CeleryPingHealthCheck": false}},
		{"3.x warning and unexpected", config.HealthCheckAuto, `{"DiskUsage": "warning: 91% disk usage exceeds 90%", "RedisHealthCheck": "unexpected result: PONG missing", "MemoryUsage": "unknown error: boom"}`, formatDHCJSON,
			map[string]bool{"DiskUsage": false, "RedisHealthCheck": false, "MemoryUsage": false}},
		// A German deployment: "working" translated, errors "<Typ>: <Meldung>".
		{"3.x translated", config.HealthCheckAuto, `{"DatabaseBackend": "funktioniert", "Cache backend: default": "nicht verfügbar: Cache-Fehler"}`, formatDHCJSON,
			map[string]bool{"DatabaseBackend": true, "Cache backend: default": false}},
		{"4.x", config.HealthCheckAuto, `{"Cache(alias='default')": "OK", "Database(alias='other')": "Unavailable: Database alias does not exist"}`, formatDHCJSON,
			map[string]bool{"Cache(alias='default')": true, "Database(alias='other')": false}},
		// A custom backend with a name of its own is known by its status.
		{"custom backend", config.HealthCheckAuto, `{"Payments": "working", "Search": "unavailable: timeout"}`, formatDHCJSON,
			map[string]bool{"Payments": true, "Search": false}},
		{"minimal 4.x", config.HealthCheckAuto, `{"status": "Unhealthy"}`, formatDHCJSON, map[string]bool{"status": false}},
		{"explicit takes any flat object", config.HealthCheckDHC, `{"Payments": "fine"}`, formatDHCJSON, map[string]bool{"Payments": true}},
		{"api is not a health check", config.HealthCheckAuto, `{"name": "shop", "status": "ok"}`, "", nil},
		{"nested api", config.HealthCheckAuto, `{"status": "ok", "checks": {"database": true}}`, "", nil},
		{"array", config.HealthCheckAuto, `[{"DatabaseBackend": "working"}]`, "", nil},
		{"empty object", config.HealthCheckAuto, `{}`, "", nil},
		{"none", config.HealthCheckNone, `{"DatabaseBackend": "working"}`, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			format, backends, err := parse(tc.mode, "application/json", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format {
				t.Fatalf("format %q, want %q", format, tc.format)
			}
			got := backendMap(backends)
			if len(got) != len(tc.want) {
				t.Fatalf("backends %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if up, ok := got[k]; !ok || up != v {
					t.Errorf("%s: up=%v present=%v, want up=%v", k, up, ok, v)
				}
			}
		})
	}
}

func TestParseWatchman(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       map[string]bool
	}{
		{"lists and plain", `{"caches": [{"default": {"ok": true}}, {"sessions": {"ok": false, "error": "x"}}], "email": {"ok": true}}`,
			map[string]bool{"caches/default": true, "caches/sessions": false, "email": true}},
		{"not watchman: ok not a bool", `{"storage": {"ok": "yes"}}`, nil},
		{"not watchman: other value", `{"storage": {"ok": true}, "version": "1.2"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			format, backends, err := parse(config.HealthCheckAuto, "application/json", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if format != "" {
					t.Fatalf("format %q for a non-watchman answer", format)
				}
				return
			}
			if format != formatWatchman {
				t.Fatalf("format %q", format)
			}
			got := backendMap(backends)
			for k, v := range tc.want {
				if up, ok := got[k]; !ok || up != v {
					t.Errorf("%s: up=%v present=%v, want %v", k, up, ok, v)
				}
			}
		})
	}
	_, backends, _ := parse(config.HealthCheckWatchman, "application/json", `{"databases": [{"default": {"ok": false, "error": "connection refused"}}]}`)
	if len(backends) != 1 || backends[0].Message != "connection refused" {
		t.Errorf("the error message is kept: %+v", backends)
	}
}

func TestParseOpenMetrics(t *testing.T) {
	body := "# TYPE django_health_check_status gauge\n" +
		"django_health_check_status{check=\"Odd \\\"name\\\"\\\\path\"} 1\n" +
		"django_health_check_status{check=\"Database\",vendor=\"pg\",alias=\"x\"} 0 1700000000\n" +
		"django_health_check_status{check=\"Payments\"} 1\n" +
		"# EOF\n"
	format, backends, err := parse(config.HealthCheckAuto, "application/openmetrics-text", body)
	if err != nil || format != formatDHCOpenMetrics {
		t.Fatalf("format %q err %v", format, err)
	}
	got := backendMap(backends)
	// The labels keep the order django-health-check wrote them in (its
	// dataclass fields, as in the repr); a check without fields is
	// Payments(), as in the JSON answer.
	want := map[string]bool{`Odd "name"\path()`: true, "Database(vendor='pg', alias='x')": false, "Payments()": true}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if up, ok := got[k]; !ok || up != v {
			t.Errorf("%q: up=%v present=%v", k, up, ok)
		}
	}

	// 4.5's response times follow each check's status (its labels, so its
	// name); a check without one is not timed.
	timed := "# TYPE django_health_check_status gauge\n" +
		"django_health_check_status{check=\"Cache\",alias=\"default\"} 1\n" +
		"django_health_check_status{check=\"Payments\"} 0\n" +
		"# TYPE django_health_check_response_time_seconds gauge\n" +
		"django_health_check_response_time_seconds{check=\"Cache\",alias=\"default\"} 0.002500\n" +
		"# EOF\n"
	_, backends, _ = parse(config.HealthCheckAuto, "application/openmetrics-text", timed)
	if len(backends) != 2 || !backends[0].Timed || backends[0].Seconds != 0.0025 || backends[1].Timed {
		t.Errorf("response times: %+v", backends)
	}

	// An answer prometheus/common's parser refuses is not a health-check
	// report: in auto mode nothing is read, in django-health-check mode it
	// is an error.
	broken := "django_health_check_status{check=\"Broken} 1\n"
	if format, backends, err := parse(config.HealthCheckAuto, "application/openmetrics-text", broken); format != "" || backends != nil || err != nil {
		t.Errorf("auto, broken answer: %q %v %v", format, backends, err)
	}
	if _, _, err := parse(config.HealthCheckDHC, "application/openmetrics-text", broken); !errors.Is(err, errNotHealthCheck) {
		t.Errorf("django-health-check mode, broken answer: %v", err)
	}
}

func TestParseExplicitModeErrors(t *testing.T) {
	for _, tc := range []struct{ mode, ct, body string }{
		{config.HealthCheckDHC, "text/html", "<html>System status</html>"},
		{config.HealthCheckDHC, "application/json", `{"status": {"db": true}}`},
		{config.HealthCheckDHC, "application/json", `{"broken"`},
		{config.HealthCheckWatchman, "application/json", `{"DatabaseBackend": "working"}`},
		{config.HealthCheckWatchman, "", ""},
	} {
		_, _, err := parse(tc.mode, tc.ct, tc.body)
		if !errors.Is(err, errNotHealthCheck) {
			t.Errorf("%s on %q: err = %v", tc.mode, tc.body, err)
		}
	}
}

func FuzzParseHealthCheck(f *testing.F) {
	for _, dir := range []string{"testdata/healthcheck"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b), "application/json")
			}
		}
	}
	f.Add(`{"DatabaseBackend": "working"}`, "application/json")
	f.Add(`django_health_check_status{check="a\"} 1`, "application/openmetrics-text")
	f.Add(`{"a": [{"b": {"ok": true}}]}`, "application/json")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		for _, mode := range []string{config.HealthCheckAuto, config.HealthCheckDHC, config.HealthCheckWatchman} {
			format, backends, err := parse(mode, contentType, body)
			if err != nil {
				if !errors.Is(err, errNotHealthCheck) || mode == config.HealthCheckAuto {
					t.Fatalf("mode %s: unexpected error %v", mode, err)
				}
				continue
			}
			if format == "" && len(backends) > 0 {
				t.Fatalf("backends without a format")
			}
			for _, b := range backends {
				if !utf8.ValidString(b.Name) && utf8.ValidString(body) {
					t.Fatalf("invalid UTF-8 name %q from valid input", b.Name)
				}
				if strings.ContainsRune(b.Name, 0) && !strings.ContainsRune(body, 0) {
					t.Fatalf("NUL in name %q", b.Name)
				}
			}
		}
	})
}
