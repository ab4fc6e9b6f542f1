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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The status page tells the story of a night, with the real binary, a
// real Prometheus on the example configuration and the mixin:
//   - the DjangoProbeFailed alert links to the failed probe, and the link
//     still shows the failure after the site recovered;
//   - a job run under `run` (a Python command that prints, then raises)
//     sends its output in order, and the page's line is the error;
//   - a heartbeat's changes (new, down, up, late, down, failed) are told at the
//     moments they happened, and again after a restart, from the disk.
func TestTheStatusPageTellsTheStory(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed: ", err)
	}
	var failing atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "database is down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "<h1>Acme Shop</h1>")
	}))
	defer site.Close()
	exp := startExporter(t, fmt.Sprintf(`
targets:
  - {name: shop-home, url: "%s/", module: plain, labels: {team: web}}
modules:
  plain: {}
heartbeats:
  - {name: import-products, interval: 2s, grace: 1s}
`, site.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, "http://127.0.0.1:1"), fastMixin(t))

	// The site fails until the alert fires, then recovers.
	failing.Store(true)
	var link string
	eventually(t, 60*time.Second, func() string {
		a, ok := prom.firing(t, "DjangoProbeFailed")
		if !ok {
			return "DjangoProbeFailed has not fired"
		}
		if link = regexp.MustCompile(`http://\S+/logs\?target=\S+`).FindString(a.Annotations["description"]); link == "" {
			t.Fatalf("DjangoProbeFailed links no failed probe: %s", a.Annotations["description"])
		}
		return ""
	})
	failing.Store(false)
	eventually(t, 30*time.Second, func() string {
		if s := prom.query(t, `probe_success{instance="shop-home"} == 1`); len(s) == 0 {
			return "shop-home has not recovered"
		}
		return ""
	})
	code, account := get(t, link)
	if code != 200 || !strings.Contains(account, "The last failed probe of shop-home ran at") || !strings.Contains(account, "The target has succeeded since") || !strings.Contains(account, "status code 503") {
		t.Errorf("the alert's link %s after recovery: %d\n%s", link, code, account)
	}

	// A job: a success, then silence (late, down), then a run that fails.
	if code, body := post(t, exp.url+"/heartbeat/import-products", ""); code != 200 {
		t.Fatalf("ping: %d %s", code, body)
	}
	time.Sleep(4 * time.Second)
	script := "print('importing 3 rows'); print('row 1 ok'); raise ValueError('row 2: bad date')"
	out, status := combinedOutput(t, exec.Command(buildExporter(t), "run", "import-products", "--url", exp.url, "--", python, "-c", script))
	if status != 1 {
		t.Fatalf("run: %d\n%s", status, out)
	}
	story := func(when string) {
		t.Helper()
		code, body := get(t, exp.url+"/api/v1/heartbeats/import-products")
		var v struct {
			State       string    `json:"state"`
			Since       time.Time `json:"since"`
			Excerpt     string    `json:"last_message_excerpt"`
			Message     string    `json:"last_message"`
			Transitions []struct {
				At    time.Time `json:"at"`
				State string    `json:"state"`
			} `json:"transitions"`
		}
		if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil {
			t.Fatalf("%s: %d %v %s", when, code, err, body)
		}
		var states []string
		for _, tr := range slices.Backward(v.Transitions) {
			states = append(states, tr.State)
		}
		// new, then down: nothing pinged it until the alert above fired;
		// the run's start comes while it is down, and changes nothing.
		if got := strings.Join(states, " "); got != "new down up late down failed" {
			t.Errorf("%s: the story is %q", when, got)
		}
		if n := len(v.Transitions); n == 6 {
			up, late, down := v.Transitions[3].At, v.Transitions[2].At, v.Transitions[1].At
			if d := late.Sub(up); d < 1900*time.Millisecond || d > 2100*time.Millisecond {
				t.Errorf("%s: late %s after the success, want its interval (2s)", when, d)
			}
			if d := down.Sub(late); d < 900*time.Millisecond || d > 1100*time.Millisecond {
				t.Errorf("%s: down %s after late, want its grace (1s)", when, d)
			}
		}
		if v.State != "failed" || !v.Since.Equal(v.Transitions[0].At) {
			t.Errorf("%s: %s since %s", when, v.State, v.Since)
		}
		if v.Excerpt != "ValueError: row 2: bad date" || !strings.HasPrefix(v.Message, "importing 3 rows\nrow 1 ok\nTraceback") {
			t.Errorf("%s: the page's line %q, the message %q", when, v.Excerpt, v.Message)
		}
	}
	story("before a restart")

	// A restart, on the same disk: the same story.
	exp.proc.stop(syscall.SIGTERM)
	exp = startExporterWith(t, buildExporter(t), exp.cfgPath, exp.storage)
	story("after a restart")
	_, page := get(t, exp.url+"/heartbeats/import-products")
	for _, want := range []string{`<h2 id="changes">Last changes</h2>`, `<p id="error"><strong>ValueError: row 2: bad date</strong></p>`, "grace until"} {
		if !strings.Contains(page, want) {
			t.Errorf("the heartbeat's page lacks %q", want)
		}
	}
	_, status2 := get(t, exp.url+"/?refresh=off")
	if !regexp.MustCompile(`<span class="bad">failed</span><br><span class="since muted" title="[^"]+">for [^,]+, since \d\d:\d\d UTC</span>`).MatchString(status2) {
		t.Errorf("the status page does not say since when the job fails:\n%s", status2)
	}
}
