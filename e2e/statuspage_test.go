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
	"bytes"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// chromium runs Debian's headless Chromium, with nothing that would reach
// the internet, and returns what it printed.
func chromium(t *testing.T, args ...string) string {
	t.Helper()
	requireProgram(t, "/usr/bin/chromium", "chromium")
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--no-default-browser-check", "--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.Command("/usr/bin/chromium", append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, lastLines(errOut.String(), 20))
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("chromium %v did not finish in 90s", args)
	}
	return out.String()
}

// dom renders a page in Chromium and returns its DOM as serialized after
// the page ran.
func dom(t *testing.T, u string, width int) string {
	t.Helper()
	return chromium(t, fmt.Sprintf("--window-size=%d,900", width), "--virtual-time-budget=5000", "--dump-dom", u)
}

// screenshot renders a page into a PNG and checks it is one.
func screenshot(t *testing.T, u, file string, width, height int) {
	t.Helper()
	chromium(t, fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+file, u)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != width || cfg.Height != height {
		t.Fatalf("screenshot %s: %v %dx%d", file, err, cfg.Width, cfg.Height)
	}
}

// "What is broken now?" in a real browser: the status page of an exporter
// with targets and heartbeats in every state, and a reload that failed,
// read from the DOM headless Chromium built, on a desktop and on a phone.
// With SCREENSHOTS=DIR (make screenshots: docs/images) the pictures in the
// README are taken from it.
func TestStatusPageInChromium(t *testing.T) {
	exp := statusPageExporter(t)
	page := statusPageDOM(t, exp)
	reliability.Record(t, "web", "a heartbeat message carrying a script tag, a 390-pixel-wide phone, a failed reload",
		"escaped on the status page and the heartbeat's page; no sideways scroll; a banner with the error")

	subPages(t, exp, page)
	noSidewaysScroll(t, exp)

	dir := os.Getenv("SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	screenshot(t, exp.url+"/?refresh=off", filepath.Join(dir, "status-page.png"), 1280, 1100)
	screenshot(t, exp.url+"/?refresh=off", filepath.Join(dir, "status-page-phone.png"), 390, 1400)
	screenshot(t, exp.url+"/heartbeats/import-products", filepath.Join(dir, "heartbeat-page.png"), 1280, 700)
}

// statusPageExporter runs an exporter with targets and heartbeats in
// every state the page shows, and a reload of a broken file behind it.
func statusPageExporter(t *testing.T) *exporter {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom/" {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<h1>Server Error (500)</h1>")
			return
		}
		_, _ = io.WriteString(w, "<h1>Acme Shop</h1>")
	}))
	t.Cleanup(site.Close)
	exp := startExporter(t, fmt.Sprintf(`
targets:
  - {name: shop-home, url: "%[1]s/", labels: {team: web}}
  - {name: shop-checkout, url: "%[1]s/boom/", labels: {team: web}}
  - {name: shop-api, url: "http://127.0.0.1:%[2]d/"}
  - {name: shop-admin, url: "%[1]s/admin/"}
maintenance:
  - {name: api-migration, schedule: "* * * * *", duration: 2m, targets: [shop-api]}
heartbeat_defaults: {grace: 1s}
heartbeats:
  - {name: celery-beat, interval: 1m, grace: 2m}
  - {name: nightly-report, schedule: "30 2 * * *", timezone: Europe/Berlin, grace: 30m, max_runtime: 1s, labels: {team: data}}
  - {name: backup, interval: 1s}
  - {name: import-products, interval: 1h}
  - {name: deploy, interval: 14d}
  - {name: clearsessions, interval: 1h}
`, site.URL, freePort(t)))
	for _, target := range []string{"shop-home", "shop-checkout", "shop-api"} {
		exp.probe(t, target, "")
	}
	for _, p := range []struct{ path, body string }{
		{"/heartbeat/celery-beat", ""},
		{"/heartbeat/deploy", "v1.4.2 deployed"},
		{"/heartbeat/backup", ""},
		{"/heartbeat/nightly-report/start", ""},
		{"/api/v1/heartbeats/clearsessions/pause", `{"for": "1h"}`},
		{"/heartbeat/import-products/fail", "Traceback (most recent call last):\n  File \"shop/tasks.py\", line 31, in import_products\nKeyError: 'supplier' <script>alert(1)</script>"},
	} {
		if code, body := post(t, exp.url+p.path, p.body); code != 200 {
			t.Fatalf("%s: %d %s", p.path, code, body)
		}
	}
	time.Sleep(2500 * time.Millisecond) // backup and nightly-report go down
	// A reload of a broken file: the banner.
	good, _ := os.ReadFile(exp.cfgPath)
	if err := os.WriteFile(exp.cfgPath, append(good, []byte("  - {name: typo, intervall: 1h}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _ := post(t, exp.url+"/-/reload", ""); code != 500 {
		t.Fatalf("reload of a broken file answered %d", code)
	}
	return exp
}

// statusPageDOM checks the status page as Chromium renders it: the
// summary, worst first, the reasons, no external assets, the refresh
// toggle. It returns the page.
func statusPageDOM(t *testing.T, exp *exporter) string {
	page := dom(t, exp.url+"/", 1280)
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<meta http-equiv="refresh" content="30">`,
		`id="reload-failed"`, `intervall`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
	summary := regexp.MustCompile(`(?s)<p id="summary">(.*?)</p>`).FindStringSubmatch(page)
	if summary == nil {
		t.Fatalf("no summary line:\n%s", page)
	}
	text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(summary[1], "")
	for _, want := range []string{"2 failing", "1 not probed yet", "1 up", "2 down", "1 failed", "1 paused", "2 up"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary %q lacks %q", text, want)
		}
	}
	// Worst first, in both tables.
	order := func(class string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<tr class="`+class+`" data-state="([a-z]+)">`).FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if got := strings.Join(order("target"), ","); got != "failing,failing,unprobed,up" {
		t.Errorf("targets in the order %s", got)
	}
	if got := strings.Join(order("heartbeat"), ","); got != "down,down,failed,paused,up,up" {
		t.Errorf("heartbeats in the order %s", got)
	}
	for _, want := range []string{`running [\d.]+s, max_runtime 1s`, "connection refused", "status code 500", "due [0-9:]+ UTC, nothing since",
		`id="maintenance-api-migration"`, "maintenance: api-migration", "paused until [0-9:]+ UTC", `overdue by [\d.]+s`} {
		if !regexp.MustCompile(want).MatchString(page) {
			t.Errorf("the page does not say %q", want)
		}
	}
	// No external assets: nothing is loaded from anywhere but the exporter.
	for _, m := range regexp.MustCompile(`(?i)(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if u, err := url.Parse(m[1]); err != nil || u.Host != "" || u.Scheme != "" && u.Scheme != "http" {
			t.Errorf("the page refers to %q", m[1])
		}
	}
	if regexp.MustCompile(`(?i)<script|<link|<img|<iframe|@import`).MatchString(page) {
		t.Error("the page loads a script, a stylesheet, an image or a frame")
	}
	if off := dom(t, exp.url+"/?refresh=off", 1280); strings.Contains(off, `http-equiv="refresh"`) || !strings.Contains(off, `id="refresh-toggle" href="./"`) {
		t.Error("?refresh=off does not stop the refresh, or offers no way to start it")
	}
	return page
}

// subPages: a heartbeat's page, and the way back from every page.
func subPages(t *testing.T, exp *exporter, page string) {
	hb := dom(t, exp.url+"/heartbeats/import-products", 1280)
	for _, want := range []string{"KeyError: 'supplier' &lt;script&gt;", `href="../api/v1/heartbeats/import-products"`, `id="back" href="../"`, "every 1h", "failed after 1 failure(s) in a row"} {
		if !strings.Contains(hb, want) {
			t.Errorf("the heartbeat's page lacks %q", want)
		}
	}
	id := regexp.MustCompile(`href="logs\?id=(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no probe account linked from the status page")
	}
	for _, path := range []string{"/logs?id=" + id[1], "/config"} {
		if p := dom(t, exp.url+path, 1280); !strings.Contains(p, `id="back" href="./"`) {
			t.Errorf("%s has no link back to the status page", path)
		}
	}
	// curl still gets plain text.
	if code, body := get(t, exp.url+"/config"); code != 200 || strings.Contains(body, "<html") {
		t.Errorf("/config for curl: %d %s", code, tail(body, 200))
	}
}

// noSidewaysScroll: on a phone, the pages, framed 390 pixels wide on a
// page served from the same address (a proxy), do not scroll sideways.
func noSidewaysScroll(t *testing.T, exp *exporter) {
	target, _ := url.Parse(exp.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	measure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/__measure" {
			proxy.ServeHTTP(w, r)
			return
		}
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="`+r.URL.Query().Get("page")+`" style="width:390px;height:800px;border:0"></iframe>
<div id="result">not measured</div>
<script>
document.getElementById("f").onload = function () {
  var d = this.contentDocument.documentElement;
  document.getElementById("result").textContent = "scrollWidth=" + d.scrollWidth + " clientWidth=" + d.clientWidth;
};
</script></body></html>`)
	}))
	t.Cleanup(measure.Close)
	for _, p := range []string{"/?refresh=off", "/heartbeats/import-products"} {
		out := dom(t, measure.URL+"/__measure?page="+url.QueryEscape(p), 800)
		m := regexp.MustCompile(`scrollWidth=(\d+) clientWidth=(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s on a phone: not measured:\n%s", p, tail(out, 500))
		}
		if m[1] != m[2] {
			t.Errorf("%s on a phone scrolls sideways: %s", p, m[0])
		}
	}
}
