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
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// promtoolCheck pipes an exposition through `promtool check metrics` of
// Prometheus 2 (Debian stable) and 3 (sid, unpacked by make deps).
func promtoolCheck(t *testing.T, what, exposition string) {
	t.Helper()
	for _, bin := range []string{"/usr/bin/promtool", filepath.Join(repoRoot, ".build", "debian", "sid", "usr", "bin", "promtool")} {
		requireProgram(t, bin, "prometheus (make deps unpacks sid's promtool)")
		cmd := exec.Command(bin, "check", "metrics")
		cmd.Stdin = strings.NewReader(exposition)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %s check metrics: %v\n%s", what, bin, err, out)
		}
	}
}

// Whatever clients send, a real scrape of the real binary passes
// promtool check metrics: random registrations (labels the exporter sets
// among them, which must be refused), pings with values, sources and
// odd label values, and a probe answer with checks. A label a user can
// set never collides with one the exporter adds.
func TestRealScrapePassesPromtool(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, "<title>Acme Shop</title> ok")
	}))
	defer target.Close()
	exp := startExporter(t, `
heartbeat_defaults: {auto_register: true, max_heartbeats: 100}
modules:
  shop:
    checks:
      - {name: brand, keyword: "Acme Shop"}
      - {name: no-trace, forbid_keyword: Traceback}
      - {name: footer, regex: "ok$", severity: warning}
targets:
  - {name: shop, url: "`+target.URL+`/", module: shop, labels: {team: web}}
heartbeats:
  - {name: fixed, interval: 1m, labels: {team: "we\"b", env: "a\\b"}}
`)
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"team", "metric", "kind", "le", "reason", "env", "celery", "queues", "phase", "a-b", "__x"}
	values := []string{"web", "a\"b", "a\\b", "line\nbreak", "été", strings.Repeat("v", 300)}
	refused := 0
	for i := range 200 {
		name := fmt.Sprintf("hb-%d", rng.IntN(30))
		if rng.IntN(2) == 0 {
			labels := map[string]string{}
			for range 1 + rng.IntN(3) {
				labels[names[rng.IntN(len(names))]] = values[rng.IntN(len(values))]
			}
			b, _ := json.Marshal(map[string]any{"interval": "1m", "labels": labels})
			if code, _ := request(t, http.MethodPut, exp.url+"/api/v1/heartbeats/"+name, string(b)); code == 400 {
				refused++
			}
			continue
		}
		q := url.Values{"metric": {fmt.Sprintf("%s:%d", []string{"rows", "metric", "le", "kind"}[rng.IntN(4)], i)}, "source": {fmt.Sprintf("s%d", rng.IntN(3))}}
		post(t, exp.url+"/heartbeat/"+name+[]string{"", "/start", "/fail", "/7"}[rng.IntN(4)]+"?"+q.Encode(), "output")
	}
	if refused == 0 {
		t.Fatal("no registration was refused: the test sent no reserved label")
	}
	code, metrics := get(t, exp.url+"/metrics")
	if code != 200 || !strings.Contains(metrics, "heartbeat_last_value{") {
		t.Fatalf("/metrics: %d\n%s", code, tail(metrics, 2000))
	}
	promtoolCheck(t, "/metrics", metrics)
	code, probe := get(t, exp.url+"/probe?target=shop")
	if code != 200 || !strings.Contains(probe, "probe_check_success") {
		t.Fatalf("/probe: %d\n%s", code, probe)
	}
	promtoolCheck(t, "/probe", probe)
	reliability.Record(t, "input", "200 random registrations and pings (reserved labels, odd values) against the binary",
		fmt.Sprintf("%d registrations refused; /metrics and /probe pass promtool check metrics 2.x and 3.x", refused))
}
