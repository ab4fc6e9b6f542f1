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
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// probeConfig probes the example project in every state it can be in.
func probeConfig(prod, debug, celeryDown, empty string) string {
	return fmt.Sprintf(`
modules:
  brand:
    checks:
      - {name: brand, keyword: "Acme Shop"}
      - {name: no-trace, forbid_keyword: "Traceback"}
      - {name: footer, regex: "&copy;\\s*20\\d\\d"}
  api:
    checks:
      - {name: api-ok, json: {path: status, equals: ok}}
      - {name: api-db, json: {path: checks.database, equals: "true"}}
  wrong_host:
    http:
      headers: {Host: evil.example}
  admin:
    checks:
      - {name: login-form, keyword: 'id="login-form"'}
targets:
  - {name: shop-home, url: "%[1]s/", module: brand, labels: {team: web}}
  - {name: shop-api, url: "%[1]s/api/status/", module: api}
  - {name: shop-health, url: "%[1]s/ht/?format=json", module: django_health_check}
  - {name: shop-admin, url: "%[1]s/admin/", module: admin}
  - {name: shop-wrong-host, url: "%[1]s/", module: wrong_host}
  - {name: shop-debug, url: "%[2]s/boom/"}
  - {name: shop-debug-404, url: "%[2]s/no/such/page/"}
  - {name: shop-celery, url: "%[3]s/ht/"}
  - {name: shop-fresh, url: "%[4]s/"}
`, prod, debug, celeryDown, empty)
}

// TestProbeRealDjango probes the example project under gunicorn, in every
// state it can be in, through the exporter binary, and then through a real
// Prometheus that finds the targets on /sd.
func TestProbeRealDjango(t *testing.T) {
	requirePython(t, "celery", "python3-celery")
	requirePython(t, "redis", "python3-redis")
	prod := startDjango(t, "DJANGO_DEBUG=0")
	debug := startDjango(t, "DJANGO_DEBUG=1")
	// No broker listens on port 1: the Celery ping backend fails.
	celeryDown := startDjango(t, "DJANGO_DEBUG=0", "CELERY_BROKER_URL=redis://127.0.0.1:1/0")
	empty := startDjango(t, "DJANGO_DEBUG=1", "DJANGO_EMPTY_URLCONF=1")
	exp := startExporter(t, probeConfig(prod.url, debug.url, celeryDown.url, empty.url))

	for _, tc := range []struct {
		target string
		want   map[string]float64
	}{
		{"shop-home", map[string]float64{
			"probe_success": 1, `probe_check_success{check="brand",severity="critical",type="keyword"}`: 1,
			`probe_check_success{check="footer",severity="critical",type="regex"}`: 1, "probe_django_debug_enabled": 0,
		}},
		{"shop-api", map[string]float64{"probe_success": 1, `probe_check_success{check="api-db",severity="critical",type="json"}`: 1}},
		{"shop-health", map[string]float64{
			"probe_success": 1, `probe_django_health_check_up{check="DatabaseBackend"}`: 1,
			`probe_django_health_check_up{check="MigrationsHealthCheck"}`: 1,
		}},
		{"shop-admin", map[string]float64{"probe_success": 1, "probe_http_redirects": 1, `probe_check_success{check="login-form",severity="critical",type="keyword"}`: 1}},
		{"shop-wrong-host", map[string]float64{"probe_success": 0, "probe_http_status_code": 400, "probe_django_disallowed_host": 1, "probe_django_debug_enabled": 0}},
		{"shop-debug", map[string]float64{"probe_success": 0, "probe_http_status_code": 500, "probe_django_debug_enabled": 1}},
		{"shop-debug-404", map[string]float64{"probe_success": 0, "probe_http_status_code": 404, "probe_django_debug_enabled": 1}},
		{"shop-celery", map[string]float64{
			"probe_success": 0, "probe_http_status_code": 500,
			`probe_django_health_check_up{check="CeleryPingHealthCheck"}`: 0,
			`probe_django_health_check_up{check="DatabaseBackend"}`:       1,
		}},
		// A fresh project with DEBUG on answers 200: only the detector sees it.
		{"shop-fresh", map[string]float64{"probe_success": 0, "probe_http_status_code": 200, "probe_django_debug_enabled": 1}},
	} {
		body := exp.probe(t, tc.target, "")
		for series, v := range tc.want {
			wantMetric(t, body, series, v)
		}
	}

	// The debug page of a failing probe says why, in words.
	_, dbg := get(t, exp.url+"/probe?target=shop-celery&debug=true")
	for _, want := range []string{"Result: FAILED", `health-check backend "CeleryPingHealthCheck" down`, "DOWN  CeleryPingHealthCheck: unavailable:"} {
		if !strings.Contains(dbg, want) {
			t.Errorf("debug page lacks %q:\n%s", want, tail(dbg, 3000))
		}
	}
	// And the status page lists the probes.
	if _, page := get(t, exp.url+"/"); !strings.Contains(page, "shop-celery") || !strings.Contains(page, "logs?id=") {
		t.Errorf("status page lacks the probes:\n%s", tail(page, 2000))
	}

	probesInExamplePrometheus(t, exp)
}

// A bad file on reload keeps the running configuration, says so in a
// metric, and a good file is picked up by SIGHUP or POST /-/reload.
func TestReloadKeepsConfigOnError(t *testing.T) {
	site := startDjango(t, "DJANGO_DEBUG=0")
	exp := startExporter(t, "targets:\n  - {name: shop, url: '"+site.url+"/'}\n")
	wantMetric(t, exp.probe(t, "shop", ""), "probe_success", 1)

	if err := os.WriteFile(exp.cfgPath, []byte("targets:\n  - {name: shop, url: '"+site.url+"/'\n    modul: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := post(t, exp.url+"/-/reload", "")
	if code != 500 || !strings.Contains(body, "line") {
		t.Errorf("reload of a bad file: %d %s", code, body)
	}
	_, metrics := get(t, exp.url+"/metrics")
	wantMetric(t, metrics, "django_health_exporter_config_last_reload_successful", 0)
	wantMetric(t, exp.probe(t, "shop", ""), "probe_success", 1) // still the old config

	if code, _ := get(t, exp.url+"/-/reload"); code != 405 {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}

	newCfg := "modules:\n  strict:\n    checks: [{keyword: 'Not on the page'}]\ntargets:\n  - {name: shop, url: '" + site.url + "/', module: strict}\n"
	if err := os.WriteFile(exp.cfgPath, []byte(newCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := exp.proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() string {
		_, metrics := get(t, exp.url+"/metrics")
		if v, _ := metricValue(t, metrics, "django_health_exporter_config_last_reload_successful"); v != 1 {
			return "reload metric not back to 1"
		}
		return ""
	})
	wantMetric(t, exp.probe(t, "shop", ""), "probe_success", 0)
	if _, cfg := get(t, exp.url+"/config"); !strings.Contains(cfg, "Not on the page") {
		t.Errorf("/config does not show the new file:\n%s", cfg)
	}
}

// --config.check validates without serving.
func TestConfigCheck(t *testing.T) {
	bin := buildExporter(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	_ = os.WriteFile(good, []byte("modules:\n  m: {timeout: 5s}\n"), 0o600)
	_ = os.WriteFile(bad, []byte("modules:\n  m:\n    checks:\n      - {regex: '('}\n"), 0o600)
	out, err := runCmd(bin, "--config.check", "--config.file", good)
	if err != nil || !strings.Contains(out, "OK") {
		t.Errorf("good file: %v %s", err, out)
	}
	out, err = runCmd(bin, "--config.check", "--config.file", bad)
	if err == nil || !strings.Contains(out, "line 4: modules.m.checks[0].regex") {
		t.Errorf("bad file: %v %s", err, out)
	}
	out, err = runCmd(bin, "--config.check")
	if err != nil || !strings.Contains(out, "OK: 4 modules") {
		t.Errorf("embedded default: %v %s", err, out)
	}
}

// examplePrometheus runs Prometheus on the example configuration, with
// short intervals, against exp, and the example Alertmanager.
func examplePrometheus(t *testing.T, exp *exporter) (*prometheusServer, string) {
	example, err := os.ReadFile(filepath.Join(repoRoot, "examples/prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	am := startAlertmanager(t)
	promCfg := strings.ReplaceAll(string(example), "localhost:9716", strings.TrimPrefix(exp.url, "http://"))
	promCfg = strings.ReplaceAll(promCfg, "exporter.example.com:9716", strings.TrimPrefix(exp.url, "http://"))
	promCfg = strings.ReplaceAll(promCfg, "localhost:9093", strings.TrimPrefix(am, "http://"))
	promCfg = strings.ReplaceAll(promCfg, "../../mixin/", filepath.Join(repoRoot, "mixin")+"/")
	// Short intervals for a test; the timeout leaves a probe 1.5s after
	// --timeout-offset, room enough on a loaded CI machine.
	promCfg = strings.ReplaceAll(promCfg, "scrape_interval: 30s", "scrape_interval: 2s")
	promCfg = strings.ReplaceAll(promCfg, "evaluation_interval: 30s", "evaluation_interval: 2s")
	promCfg = strings.ReplaceAll(promCfg, "refresh_interval: 1m", "refresh_interval: 1s")
	promCfg = strings.ReplaceAll(promCfg, "scrape_timeout: 15s", "scrape_timeout: 2s")
	return startPrometheus(t, promCfg, nil), am
}

// probesInExamplePrometheus: Prometheus, configured with the example
// file, finds every target on /sd, scrapes it with its module, evaluates
// the mixin's rules and sends the DEBUG page's alert to Alertmanager.
func probesInExamplePrometheus(t *testing.T, exp *exporter) {
	prom, am := examplePrometheus(t, exp)
	want := map[string]string{
		"shop-home": "1", "shop-api": "1", "shop-health": "1", "shop-admin": "1",
		"shop-wrong-host": "0", "shop-debug": "0", "shop-debug-404": "0", "shop-celery": "0", "shop-fresh": "0",
	}
	eventually(t, 60*time.Second, func() string {
		got := map[string]string{}
		for _, s := range prom.query(t, `probe_success{job="django-probe"}`) {
			got[s.Metric["instance"]] = fmt.Sprint(s.Value[1])
		}
		for inst, v := range want {
			if got[inst] != v {
				return fmt.Sprintf("probe_success by instance = %v, want %v", got, want)
			}
		}
		return ""
	})
	// Labels from the exporter's config arrive with the series.
	res := prom.query(t, `probe_success{instance="shop-home"}`)
	if len(res) != 1 || res[0].Metric["team"] != "web" || res[0].Metric["module"] != "brand" {
		t.Errorf("shop-home labels = %v", res)
	}
	if res := prom.query(t, `probe_django_debug_enabled{instance="shop-debug"} == 1`); len(res) != 1 {
		t.Errorf("Prometheus does not see the DEBUG page: %v", res)
	}
	// The scrape timeout (2s) minus --timeout-offset reaches the probe.
	if res := prom.query(t, `up{job="django-probe"} == 0`); len(res) != 0 {
		t.Errorf("some probe scrapes failed: %v", res)
	}
	// And the exporter's own job counted the probes.
	eventually(t, 30*time.Second, func() string {
		if res := prom.query(t, `sum(django_health_exporter_probes_total{job="django-health-exporter"}) > 9`); len(res) != 1 {
			return "django_health_exporter_probes_total not scraped yet"
		}
		return ""
	})
	// The mixin's recording rules work on the real series...
	eventually(t, 30*time.Second, func() string {
		if res := prom.query(t, `instance:probe_success:avg_over_time5m{instance="shop-home"} == 1`); len(res) != 1 {
			return "recording rule instance:probe_success:avg_over_time5m not evaluated yet"
		}
		return ""
	})
	// ...and its alert for the DEBUG page fires (for: 1m) and reaches the
	// example Alertmanager.
	eventually(t, 150*time.Second, func() string {
		code, body := get(t, am+"/api/v2/alerts?filter=alertname%3D%22DjangoDebugPageExposed%22")
		if code != 200 || !strings.Contains(body, `"instance":"shop-debug"`) || !strings.Contains(body, `"severity":"critical"`) {
			return fmt.Sprintf("Alertmanager has no DjangoDebugPageExposed for shop-debug yet: %d %s", code, tail(body, 500))
		}
		return ""
	})
	// The three DEBUG targets are scraped at different offsets within the
	// interval, so their alerts can start pending one evaluation apart: the
	// first one reaching Alertmanager does not mean the others fire yet.
	eventually(t, 30*time.Second, func() string {
		if res := prom.query(t, `ALERTS{alertname="DjangoDebugPageExposed", alertstate="firing"}`); len(res) != 3 {
			return fmt.Sprintf("DjangoDebugPageExposed should fire for shop-debug, shop-debug-404 and shop-fresh: %v", res)
		}
		return ""
	})
}
