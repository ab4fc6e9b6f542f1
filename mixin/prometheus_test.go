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

package mixin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/testutil"
)

// prometheusServers are Debian stable's Prometheus (2.x) and sid's (3.x,
// unpacked by make deps).
func prometheusServers(t *testing.T) map[string]string {
	t.Helper()
	testutil.NeedsPrograms(t)
	const stable = "/usr/bin/prometheus"
	newer := filepath.Join("..", ".build", "debian", "sid", "usr", "bin", "prometheus")
	for _, p := range []string{stable, newer} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run make deps", p)
		}
	}
	abs, _ := filepath.Abs(newer)
	return map[string]string{"2.x": stable, "3.x": abs}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProcess runs a program until the test ends, its output kept to
// show when the test fails.
func startProcess(t *testing.T, name string, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			s := out.String()
			if len(s) > 3000 {
				s = s[len(s)-3000:]
			}
			t.Logf("--- %s output (end) ---\n%s", name, s)
		}
	})
}

func waitReady(t *testing.T, u string) {
	t.Helper()
	for range 300 {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", u)
}

// fixture serves a recorded Django answer (probe/testdata).
func fixture(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "probe", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}
}

// The mixin in real Prometheus servers (2.x and 3.x), fed by a real
// exporter probing local sites in every state and holding heartbeats in
// every state: every query of every dashboard panel returns data, and the
// alerts fire with the labels and texts the tests of the rules expect,
// rendered by Prometheus itself (their templates query it).
//
// It runs twice: on the heartbeats' metrics: basic (the default) and
// metrics: detailed.
func TestMixinInPrometheus(t *testing.T) {
	for _, metrics := range []string{"basic", "detailed"} {
		t.Run("metrics "+metrics, func(t *testing.T) {
			t.Parallel()
			testMixinInPrometheus(t, metrics)
		})
	}
}

func testMixinInPrometheus(t *testing.T, metrics string) {
	servers := prometheusServers(t)
	exp := startMixinExporter(t, metrics)

	// The mixin with every for: at zero. The links are the default ones,
	// read from the series: the exporter label the example config sets
	// and the heartbeats' instance both lead to this exporter.
	rendered := map[string]string{}
	for name, field := range map[string]string{"alerts.yml": "prometheusAlerts", "rules.yml": "prometheusRules"} {
		expr := fmt.Sprintf(`local m = import "mixin.libsonnet";
local fast = m + { _config+:: { [k]: "0s" for k in std.objectFields(m._config) if std.endsWith(k, "For") } + { heartbeatPingsRejectedWindow: "1m" } };
std.manifestYamlDoc(fast.%s)`, field)
		out, err := exec.Command("go", "tool", "jsonnet", "-S", "-J", ".", "-e", expr).Output()
		if err != nil {
			t.Fatalf("jsonnet: %v", err)
		}
		rendered[name] = string(out)
	}
	example, err := os.ReadFile("../examples/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	promURLs := map[string]string{}
	for version, bin := range servers {
		dir := t.TempDir()
		cfg := strings.NewReplacer(
			"localhost:9716", exp,
			"exporter.example.com:9716", exp,
			"scrape_interval: 30s", "scrape_interval: 1s",
			"evaluation_interval: 30s", "evaluation_interval: 1s",
			"refresh_interval: 1m", "refresh_interval: 1s",
			"scrape_timeout: 15s", "scrape_timeout: 1s",
			"../../mixin/prometheus_alerts.yaml", filepath.Join(dir, "alerts.yml"),
			"../../mixin/prometheus_rules.yaml", filepath.Join(dir, "rules.yml"),
			`targets: ["localhost:9093"]`, `targets: []`,
		).Replace(string(example))
		files := map[string]string{"prometheus.yml": cfg}
		maps.Copy(files, rendered)
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		addr := freeAddr(t)
		startProcess(t, "prometheus "+version, bin, "--config.file", filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path", filepath.Join(dir, "tsdb"), "--web.listen-address", addr, "--log.level", "warn")
		promURLs[version] = "http://" + addr
		waitReady(t, promURLs[version]+"/-/ready")
	}

	queries := dashboardQueries(t)
	for version, prom := range promURLs {
		t.Run("Prometheus "+version, func(t *testing.T) {
			t.Parallel()
			eventuallyEmpty(t, 120*time.Second, func() []string {
				var empty []string
				for _, q := range queries {
					if len(promQuery(t, prom, q.expr)) == 0 {
						empty = append(empty, fmt.Sprintf("%s / %s: %s", q.dashboard, q.panel, q.expr))
					}
				}
				return empty
			})
			checkAlerts(t, prom, "http://"+exp)
		})
	}
}

type panelQuery struct{ dashboard, panel, expr string }

// dashboardQueries are the queries of every panel, with the dashboard's
// variables set to "everything" and Grafana's intervals to what a 1s
// scrape needs. A stat's "or vector(0)" is cut: it would hide no data.
func dashboardQueries(t *testing.T) []panelQuery {
	vars := strings.NewReplacer(`=~"$job"`, `=~".+"`, `=~"$instance"`, `=~".+"`, `=~"$heartbeat"`, `=~".+"`,
		"$__rate_interval", "15s", "$__range", "1m", "$__interval", "5s", " or vector(0)", "")
	var out []panelQuery
	for _, d := range dashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				out = append(out, panelQuery{d.Title, p.Title, vars.Replace(tg.Expr)})
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d panel queries found", len(out))
	}
	return out
}

func promQuery(t *testing.T, prom, q string) []map[string]any {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []map[string]any `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "success" {
		t.Fatalf("query %s: %s", q, r.Error)
	}
	return r.Data.Result
}

func eventuallyEmpty(t *testing.T, timeout time.Duration, f func() []string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []string
	for time.Now().Before(deadline) {
		if last = f(); len(last) == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	t.Errorf("after %v, %d panel queries return nothing where the test's data should give something:\n%s", timeout, len(last), strings.Join(last, "\n"))
}

type firing struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// checkAlerts waits for the alerts the test's data must raise, each with
// its labels (the target's team and url, a heartbeat's own), and for those
// it must not.
// alertWant is an alert that must fire for a key, with labels and words.
type alertWant struct {
	alert, key string            // key: instance or heartbeat
	labels     map[string]string // subset
	says       []string          // in the description
}

func checkAlerts(t *testing.T, prom, exporter string) {
	wants := []alertWant{
		{"DjangoProbeFailed", "shop-debug", map[string]string{"team": "data", "url": "URL:/debug", "severity": "critical"},
			[]string{"shop-debug (", "Why: debug_page, status.", exporter + "/logs?target=shop-debug"}},
		{"DjangoDebugPageExposed", "shop-debug", map[string]string{"team": "data"}, nil},
		{"DjangoCheckFailed", "shop-home", map[string]string{"check": "footer", "check_severity": "warning", "severity": "warning", "team": "web"}, []string{"warning level"}},
		{"DjangoContentChanged", "shop-home", map[string]string{"watch_content": "true"}, nil},
		{"DjangoHealthCheckBackendDown", "shop-health", map[string]string{"check": "DatabaseBackend"}, nil},
		{"DjangoLoginFailed", "shop-login", map[string]string{"team": "web"}, []string{exporter + "/logs?target=shop-login"}},
		{"DjangoDisallowedHost", "shop-400", nil, []string{"generic 400"}},
		{"DjangoProbeFailed", "shop-tls", nil, []string{"Why: tls."}},
		{"DjangoProbeFailed", "shop-hosts", nil, []string{"Why: allowed_hosts_not_enforced."}},
		{"HeartbeatLate", "nightly", map[string]string{"team": "data"}, []string{"Last success: 20"}},
		{"HeartbeatLate", "never", nil, []string{"Last success: never."}},
		{"HeartbeatFailed", "import", nil, []string{exporter + "/heartbeats/import"}},
		{"HeartbeatRunningTooLong", "backup", nil, nil},
		{"HeartbeatRanTooOften", "refresh-prices", nil, nil},
		{"HeartbeatMultipleSources", "refresh-prices", nil, []string{"from 2 senders"}},
		{"HeartbeatPingsRejected", "", map[string]string{"reason": "unauthorized"}, nil},
		{"CeleryQueueBacklog", "celery-queue-reports", map[string]string{"celery": "queue"}, []string{"waited 10m 0s"}},
		{"CeleryWorkerDown", "celery-worker@w1", map[string]string{"queues": "default", "celery": "worker"}, nil},
		{"DjangoStaticAssetsBroken", "shop-deploy", map[string]string{"team": "web"}, []string{exporter + "/logs?target=shop-deploy"}},
		{"DjangoReleaseDrift", "", nil, []string{"2 releases", "r1: heartbeat celery-worker@w2", "r2: target shop-deploy"}},
	}
	never := []struct{ alert, key string }{
		{"DjangoProbeFailed", "shop-home"},               // only a warning-level check fails
		{"HeartbeatLate", "backup"},                      // an overrun: RunningTooLong says it
		{"HeartbeatLate", "celery-worker@w1"},            // CeleryWorkerDown says it
		{"CeleryWorkerDown", "celery-worker@w2"},         // it pings
		{"HeartbeatMultipleSources", "celery-worker@w2"}, // not exclusive
		{"DjangoProbeFailed", "shop-patching"},           // in maintenance
		{"DjangoDebugPageExposed", "shop-patching"},      // in maintenance
		{"HeartbeatLate", "deploy-paused"},               // paused
	}
	siteURL := ""
	var last string
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		got, found := firingAlerts(t, prom)
		if found != "" {
			siteURL = found
		}
		last = unmet(wants, got, siteURL)
		for _, n := range never {
			if _, ok := got[n.alert+"/"+n.key]; ok {
				t.Errorf("%s fires for %s, and must not", n.alert, n.key)
			}
		}
		if last == "" {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("alerts after 120s:%s", last)
}

// startMixinExporter runs the exporter on sites and heartbeats in every
// state the mixin knows, and keeps feeding it pings until the test ends.
// It returns the exporter's address.
func startMixinExporter(t *testing.T, metrics string) string {
	t.Helper()
	site, tlsSite := mixinSites(t)

	dir := t.TempDir()
	bin := buildExporter(t, dir)
	cfg := fmt.Sprintf(`
modules:
  shop:
    checks:
      - {name: brand, keyword: Acme Shop}
      - {name: footer, keyword: "(c) Acme", severity: warning}
  hosts:
    django: {check_allowed_hosts: true}
  deploy:
    django: {static_assets: {}, release: {header: X-Release}}
%[3]stargets:
  - {name: shop-home, url: "%[1]s/", module: shop, labels: {team: web, watch_content: "true"}}
  - {name: shop-debug, url: "%[1]s/debug", labels: {team: data}}
  - {name: shop-400, url: "%[1]s/400"}
  - {name: shop-health, url: "%[1]s/ht/", module: django_health_check}
  - {name: shop-tls, url: "%[2]s/"}
  - {name: shop-hosts, url: "%[1]s/", module: hosts}
  - {name: shop-patching, url: "%[1]s/debug"}
  - {name: shop-login, url: "%[1]s/", module: login, labels: {team: web}}
  - {name: shop-health-times, url: "%[1]s/ht/om/", module: django_health_check}
  - {name: shop-deploy, url: "%[1]s/deploy", module: deploy, labels: {team: web}}
maintenance:
  - {name: patching, schedule: "* * * * *", duration: 2m, targets: [shop-patching]}
heartbeat_defaults: {auto_register: true, token: tok, grace: 1s, metrics: %[4]s}
heartbeats:
  - {name: nightly, interval: 3s, labels: {team: data}}
  - {name: never, interval: 1s}
  - {name: import, interval: 1h}
  - {name: backup, interval: 1h, max_runtime: 2s}
  - {name: refresh-prices, interval: 2s, exclusive: true}
  - {name: deploy-paused, interval: 1s}
`, site, tlsSite, loginModule("login", passwordFile(t, dir, "wrong"), "timeout: 5s"), metrics)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startProcess(t, "exporter", bin, "--config.file", cfgPath, "--storage.path", filepath.Join(dir, "data"), "--web.listen-address", addr)
	base := "http://" + addr
	waitReady(t, base+"/-/ready")

	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		if strings.Contains(path, "wrong-token") {
			req.Header.Set("Authorization", "Bearer nope")
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	register := func(name, reg string) { send("PUT", "/api/v1/heartbeats/"+name, reg) }
	register("celery-worker@w1", `{"interval": "1s", "labels": {"celery": "worker", "queues": "default"}}`)
	register("celery-worker@w2", `{"interval": "1s", "labels": {"celery": "worker", "queues": "reports"}}`)
	register("celery-queue-reports", `{"interval": "1s", "labels": {"celery": "queue", "queues": "reports"}}`)
	register("sync-stock", `{"interval": "1s", "exclusive": true, "labels": {"celery": "entry"}}`)
	// nightly ran once, timed, then went silent; backup started and never
	// ended; w1 pinged once and died.
	send("POST", "/heartbeat/nightly/start?rid=1", "")
	send("POST", "/heartbeat/nightly?rid=1", "report sent")
	send("POST", "/heartbeat/backup/start", "")
	send("POST", "/heartbeat/celery-worker@w1", "")
	send("POST", "/api/v1/heartbeats/deploy-paused/pause", `{"for": "1h"}`)

	keepPinging(t, send)
	return addr
}

// mixinSites are the probed sites: a shop whose home page changes on
// every request, a DEBUG page, a DisallowedHost, a health check with a
// backend down, and the shop behind a self-signed certificate.
func mixinSites(t *testing.T) (string, string) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The home page changes on every request (a CSRF token, say), and
		// has the brand but not the footer a warning-level check wants.
		fmt.Fprintf(w, "<h1>Acme Shop</h1><input name=csrf value=%d>", hits.Add(1))
	})
	mux.HandleFunc("/debug", fixture(t, "django/debug-500.http"))
	mux.HandleFunc("/400", fixture(t, "django/prod-disallowed-host.http"))
	// A page of release r2 whose stylesheet is gone: the catch-all "/"
	// answers it with the home page's HTML.
	mux.HandleFunc("/deploy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Release", "r2")
		_, _ = io.WriteString(w, `<link rel="stylesheet" href="/static/site.9f8e.css"><h1>Acme Shop</h1>`)
	})
	addLoginSite(mux)
	mux.HandleFunc("/ht/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"DatabaseBackend": "unavailable: connection refused", "Cache backend: default": "working"}`)
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	// Self-signed: verification fails, on every probe (not worth a log
	// line each).
	tlsSite := httptest.NewUnstartedServer(mux)
	tlsSite.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSite.StartTLS()
	t.Cleanup(tlsSite.Close)
	return site.URL, tlsSite.URL
}

// keepPinging sends, every half second until the test ends, what keeps
// the alerts in their states.
func keepPinging(t *testing.T, send func(method, path, body string)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// Two beats run refresh-prices; w2 lives; the reports queue's
			// canary waits ten minutes; a cron job has the wrong token.
			send("POST", "/heartbeat/refresh-prices?source=beat-a", "")
			send("POST", "/heartbeat/refresh-prices?source=beat-b", "")
			send("POST", "/heartbeat/celery-worker@w2?release=r1", "") // not restarted by the deploy of r2
			send("POST", "/heartbeat/celery-queue-reports?metric=wait_seconds:600", "")
			send("POST", "/heartbeat/sync-stock/start?rid="+fmt.Sprint(n), "")
			send("POST", "/heartbeat/sync-stock?rid="+fmt.Sprint(n), "")
			send("POST", "/heartbeat/wrong-token", "")
			if n%4 == 0 {
				send("POST", "/heartbeat/import/fail?metric=rows:0", "Traceback: the supplier's API timed out")
			}
		}
	}()
}

// firingAlerts are the alerts firing in Prometheus by alertname/key,
// and the probed site's URL, read from shop-debug's url label.
func firingAlerts(t *testing.T, prom string) (map[string]firing, string) {
	resp, err := http.Get(prom + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Data struct {
			Alerts []firing `json:"alerts"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, siteURL := map[string]firing{}, ""
	for _, a := range r.Data.Alerts {
		if a.State == "firing" {
			got[a.Labels["alertname"]+"/"+a.Labels["instance"]+a.Labels["heartbeat"]] = a
		}
		if a.Labels["instance"] == "shop-debug" {
			siteURL = strings.TrimSuffix(a.Labels["url"], "/debug")
		}
	}
	return got, siteURL
}

// unmet says what of wants the firing alerts lack, "" for nothing.
func unmet(wants []alertWant, got map[string]firing, siteURL string) string {
	var last string
	for _, w := range wants {
		a, ok := got[w.alert+"/"+w.key]
		if !ok {
			last += fmt.Sprintf("\n%s for %q is not firing", w.alert, w.key)
			continue
		}
		for k, v := range w.labels {
			v = strings.Replace(v, "URL:", siteURL, 1)
			if a.Labels[k] != v {
				last += fmt.Sprintf("\n%s for %q: label %s=%q, want %q", w.alert, w.key, k, a.Labels[k], v)
			}
		}
		for _, s := range w.says {
			if !strings.Contains(a.Annotations["description"], s) {
				last += fmt.Sprintf("\n%s for %q: description %q lacks %q", w.alert, w.key, a.Annotations["description"], s)
			}
		}
	}
	return last
}
