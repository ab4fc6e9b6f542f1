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
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// notifications counts what Alertmanager's webhooks deliver, by receiver.
// A resolved alert in a notification is named with " (resolved)".
type notifications struct {
	mu     sync.Mutex
	byPath map[string][][]string // receiver path -> notifications -> alert names
}

func (n *notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &msg)
	var names []string
	for _, a := range msg.Alerts {
		name := a.Labels["alertname"] + "/" + a.Labels["instance"] + a.Labels["heartbeat"]
		if a.Status == "resolved" {
			name += " (resolved)"
		}
		names = append(names, name)
	}
	slices.Sort(names)
	n.mu.Lock()
	n.byPath[r.URL.Path] = append(n.byPath[r.URL.Path], names)
	n.mu.Unlock()
}

func (n *notifications) get() map[string][][]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string][][]string{}
	for k, v := range n.byPath {
		out[k] = slices.Clone(v)
	}
	return out
}

// One outage, one page per team, through the example Prometheus config,
// the mixin and the example Alertmanager (its grouping and inhibitions,
// receivers pointed at a counting webhook): a site of three targets
// stopped is one notification to its team's pager; every Celery worker
// dead (the shared heartbeat, each worker's own, the queues' canaries,
// the beat entries and celery-beat all silent) is one page, and at most
// one warning to chat.
func TestOneOutageOnePagePerTeam(t *testing.T) {
	t.Parallel()
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "<h1>Acme Shop</h1>") }))
	exp := startExporter(t, fmt.Sprintf(`
targets:
  - {name: shop-home, url: "%[1]s/", labels: {team: web}}
  - {name: shop-api, url: "%[1]s/api/", labels: {team: web}}
  - {name: shop-health, url: "%[1]s/ht/", labels: {team: web}}
heartbeat_defaults: {auto_register: true, grace: 2s}
heartbeats:
  - {name: celery-beat, interval: 2s, grace: 2s, exclusive: true, labels: {team: data}}
  - {name: celery-worker, interval: 2s, grace: 2s, labels: {team: data}}
`, site.URL))
	celery := map[string]string{
		"celery-worker@w1@host": `{"interval": "2s", "labels": {"team": "data", "celery": "worker", "queues": "default"}}`,
		"celery-worker@w2@host": `{"interval": "2s", "labels": {"team": "data", "celery": "worker", "queues": "reports"}}`,
		"celery-queue-default":  `{"interval": "2s", "labels": {"team": "data", "celery": "queue", "queues": "default"}}`,
		"celery-queue-reports":  `{"interval": "2s", "labels": {"team": "data", "celery": "queue", "queues": "reports"}}`,
		"refresh-prices":        `{"interval": "2s", "exclusive": true, "labels": {"team": "data", "celery": "entry"}}`,
	}
	for name, reg := range celery {
		if code, body := request(t, http.MethodPut, exp.url+"/api/v1/heartbeats/"+name, reg); code != 201 {
			t.Fatalf("register %s: %d %s", name, code, body)
		}
	}
	stopPings := keepCeleryAlive(t, exp.url, append([]string{"celery-beat", "celery-worker"}, slices.Collect(maps.Keys(celery))...))

	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, am), fastMixin(t))
	eventually(t, 60*time.Second, func() string {
		if n := len(prom.query(t, `probe_success == 1`)); n != 3 {
			return fmt.Sprintf("%d of 3 targets up", n)
		}
		if n := len(prom.query(t, `heartbeat_up == 1`)); n != 7 {
			return fmt.Sprintf("%d of 7 heartbeats up", n)
		}
		return ""
	})

	// The outage: the site stops, and every Celery process dies.
	site.Close()
	close(stopPings)
	eventually(t, 120*time.Second, func() string {
		got := hooks.get()
		if len(got["/pager"]) == 1 && len(got["/data-pager"]) == 1 {
			return ""
		}
		return fmt.Sprintf("notifications so far: %v", got)
	})
	time.Sleep(20 * time.Second) // anything more would have come by now (group_wait)
	got := hooks.get()
	if len(got["/pager"]) != 1 || len(got["/pager"][0]) != 3 {
		t.Errorf("the site of three targets: %d notifications to web's pager, want 1 of its 3 targets: %v", len(got["/pager"]), got["/pager"])
	}
	if len(got["/data-pager"]) != 1 {
		t.Errorf("every worker dead: %d pages to data's pager, want 1: %v", len(got["/data-pager"]), got["/data-pager"])
	}
	if n := len(got["/data-chat"]); n > 1 {
		t.Errorf("every worker dead: %d warnings to data's chat, want at most 1: %v", n, got["/data-chat"])
	}
	for _, page := range got["/data-pager"] {
		for _, alert := range page {
			if strings.Contains(alert, "celery-queue-") || strings.Contains(alert, "refresh-prices") || strings.HasPrefix(alert, "CeleryWorkerDown") {
				t.Errorf("the page for dead workers carries %s, which the dead workers explain", alert)
			}
		}
	}
	t.Logf("notifications: %v", got)
	reliability.Record(t, "alerts", "a site of three targets stopped, and every Celery worker, queue and beat entry silent, through the example Alertmanager",
		fmt.Sprintf("web's pager: %d notification (%d alerts); data's pager: %d; data's chat: %d", len(got["/pager"]), len(got["/pager"][0]), len(got["/data-pager"]), len(got["/data-chat"])))
}

// keepCeleryAlive pings the names every half second until the returned
// channel is closed.
func keepCeleryAlive(t *testing.T, base string, names []string) chan struct{} {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, n := range names {
				if resp, err := http.Post(base+"/heartbeat/"+n, "text/plain", nil); err == nil {
					_ = resp.Body.Close()
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	})
	return stop
}

// watchedByTheExamples runs the example Alertmanager, its receivers
// counted, and Prometheus on the example configuration with the mixin
// (every for: at zero, plus settings, a jsonnet object) against an
// exporter.
func watchedByTheExamples(t *testing.T, exporterURL, settings string) (*notifications, *prometheusServer) {
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	t.Cleanup(hook.Close)
	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	return hooks, startPrometheus(t, examplePromConfig(t, exporterURL, am), fastMixinWith(t, settings))
}

// exampleAlertmanager is the example Alertmanager configuration with its
// receivers pointed at a webhook.
func exampleAlertmanager(t *testing.T, hook string) string {
	b, err := os.ReadFile(filepath.Join(repoRoot, "examples/alertmanager/alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(
		"http://pager.example.com/alertmanager/data", hook+"/data-pager",
		"http://chat.example.com/alertmanager/data", hook+"/data-chat",
		"http://pager.example.com/alertmanager", hook+"/pager",
		"http://chat.example.com/alertmanager", hook+"/chat",
	).Replace(string(b))
}

// examplePromConfig is the example Prometheus configuration on this
// exporter and Alertmanager, scraping every second, with the rules of
// fastMixin.
func examplePromConfig(t *testing.T, exporter, am string) string {
	b, err := os.ReadFile(filepath.Join(repoRoot, "examples/prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(
		"localhost:9716", strings.TrimPrefix(exporter, "http://"),
		"exporter.example.com:9716", strings.TrimPrefix(exporter, "http://"),
		"localhost:9093", strings.TrimPrefix(am, "http://"),
		"../../mixin/prometheus_alerts.yaml", "alerts.yml",
		"../../mixin/prometheus_rules.yaml", "rules.yml",
		"scrape_interval: 30s", "scrape_interval: 1s",
		"evaluation_interval: 30s", "evaluation_interval: 1s",
		"refresh_interval: 1m", "refresh_interval: 1s",
		"scrape_timeout: 15s", "scrape_timeout: 1s",
	).Replace(string(b))
}

// fastMixin is the mixin's alerts and rules with every for: at zero.
func fastMixin(t *testing.T) map[string]string { return fastMixinWith(t, "{}") }

// fastMixinWith is fastMixin with some _config settings of the test's,
// a jsonnet object: { releaseDriftFor: "20s" }.
func fastMixinWith(t *testing.T, settings string) map[string]string {
	out := map[string]string{}
	for name, field := range map[string]string{"alerts.yml": "prometheusAlerts", "rules.yml": "prometheusRules"} {
		expr := fmt.Sprintf(`local m = import "mixin.libsonnet";
local fast = m + { _config+:: { [k]: "0s" for k in std.objectFields(m._config) if std.endsWith(k, "For") } + %s };
std.manifestYamlDoc(fast.%s)`, settings, field)
		cmd := exec.Command("go", "tool", "jsonnet", "-S", "-J", "mixin", "-e", expr)
		cmd.Dir = repoRoot
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("jsonnet: %v", err)
		}
		out[name] = string(b)
	}
	return out
}

// Every Celery worker killed (kill -9, real Celery on Redis, beat left
// running) is one page through the example Alertmanager, and at most one
// warning to chat: celery-worker and celery-beat go late (celery-beat's
// task runs on a worker), and the inhibitions hold each worker's
// CeleryWorkerDown, the queues' canaries and the beat entries.
func TestEveryWorkerKilledIsOnePage(t *testing.T) {
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	broker := startRedis(t)
	// The example's timings, a hundred times faster: the defaults' grace
	// is celery-beat's and celery-worker's.
	exp := startExporter(t, `
heartbeat_defaults: {auto_register: true, grace: 3s, expire_after: 1h}
heartbeats:
  - {name: celery-beat, interval: 1s, grace: 3s, exclusive: true, labels: {team: web}}
  - {name: celery-worker, interval: 1s, grace: 3s, labels: {team: web}}
`)
	env := celeryEnv(t, broker, exp.url)
	w1 := worker(t, "w1", env, "default")
	w2 := worker(t, "w2", env, "reports")
	celery(t, "beat", env, "beat", "--schedule", filepath.Join(t.TempDir(), "celerybeat-schedule"))
	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, am), fastMixin(t))
	eventually(t, 90*time.Second, func() string {
		up := map[string]bool{}
		for _, s := range prom.query(t, `heartbeat_up == 1`) {
			up[s.Metric["heartbeat"]] = true
		}
		for _, want := range []string{"celery-beat", "celery-worker", "celery-queue-default", "celery-queue-reports", "refresh-prices"} {
			if !up[want] {
				return fmt.Sprintf("%s not up in Prometheus yet: %v", want, up)
			}
		}
		for _, w := range []string{"celery-worker@w1@", "celery-worker@w2@"} {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(up)), func(n string) bool { return strings.HasPrefix(n, w) }) {
				return w + "... not up in Prometheus yet"
			}
		}
		return ""
	})
	w1.stop(syscall.SIGKILL)
	w2.stop(syscall.SIGKILL)
	eventually(t, 90*time.Second, func() string {
		if got := hooks.get(); len(got["/pager"]) >= 1 {
			return ""
		}
		return fmt.Sprintf("no page yet: %v", hooks.get())
	})
	time.Sleep(40 * time.Second) // group_wait is 30 s: what else was coming has come
	got := hooks.get()
	if len(got["/pager"]) != 1 {
		t.Errorf("every worker killed: %d pages, want 1: %v", len(got["/pager"]), got["/pager"])
	}
	if len(got["/chat"]) > 1 {
		t.Errorf("every worker killed: %d warnings to chat, want at most 1: %v", len(got["/chat"]), got["/chat"])
	}
	t.Logf("notifications: %v", got)
	reliability.Record(t, "alerts", "kill -9 of every Celery worker (real Celery on Redis), through the example Alertmanager",
		fmt.Sprintf("%d page (%v), %d to chat", len(got["/pager"]), got["/pager"], len(got["/chat"])))
}

// A login that stops working on a real Django pages once, as
// DjangoLoginFailed: the failed probe it also makes (reason login) is
// inhibited by the example Alertmanager.
func TestFailedLoginIsOnePage(t *testing.T) {
	t.Parallel()
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	site := startDjangoWith(t, stableDjango, djangoOptions{user: "probe", password: "the-right-one"})
	wrong := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(wrong, []byte("changed-by-someone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exp := startExporter(t, fmt.Sprintf(`
modules:
  shop_login:
    django:
      login: {url: /accounts/login/, username: probe, password_file: %s, next: /account/, expect: "Your orders"}
targets:
  - {name: shop-login, url: "%s/", module: shop_login, labels: {team: web}}
`, wrong, site.url))
	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, am), fastMixin(t))
	eventually(t, 60*time.Second, func() string {
		if n := len(prom.query(t, `ALERTS{alertstate="firing", instance="shop-login"}`)); n != 2 {
			return fmt.Sprintf("%d alerts firing for shop-login, want DjangoProbeFailed and DjangoLoginFailed", n)
		}
		return ""
	})
	eventually(t, 90*time.Second, func() string {
		if got := hooks.get(); len(got["/pager"]) == 0 {
			return fmt.Sprintf("no page yet: %v", got)
		}
		return ""
	})
	time.Sleep(20 * time.Second) // anything more would have come by now (group_wait)
	got := hooks.get()
	if len(got["/pager"]) != 1 || !slices.Equal(got["/pager"][0], []string{"DjangoLoginFailed/shop-login"}) {
		t.Errorf("a failed login: pages %v, want one, of DjangoLoginFailed alone", got["/pager"])
	}
	t.Logf("notifications: %v", got)
}

// A new critical alert pages within 90 s of firing although its team's
// group is open already (the example Alertmanager's pager routes flush
// every minute, not every five), and the page carries only what fires: an
// alert resolved since the last page is not repeated in it.
func TestANewPageArrivesInAMinuteWithOnlyWhatFires(t *testing.T) {
	t.Parallel()
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	var aDown, bDown atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a/" && aDown.Load() || r.URL.Path == "/b/" && bDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "<h1>Acme Shop</h1>")
	}))
	defer site.Close()
	exp := startExporter(t, fmt.Sprintf(`
modules:
  plain: {django: {debug_canary: false}}
targets:
  - {name: shop-a, url: "%[1]s/a/", module: plain, labels: {team: web}}
  - {name: shop-b, url: "%[1]s/b/", module: plain, labels: {team: web}}
`, site.URL))
	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, am), fastMixin(t))
	firing := func(instance string) bool {
		return len(prom.query(t, fmt.Sprintf(`ALERTS{alertname="DjangoProbeFailed", alertstate="firing", instance=%q}`, instance))) > 0
	}

	aDown.Store(true)
	eventually(t, 90*time.Second, func() string {
		if len(hooks.get()["/pager"]) == 0 {
			return "no page for shop-a yet"
		}
		return ""
	})
	aDown.Store(false)
	eventually(t, 60*time.Second, func() string {
		if firing("shop-a") {
			return "shop-a still firing"
		}
		return ""
	})
	bDown.Store(true)
	eventually(t, 30*time.Second, func() string {
		if !firing("shop-b") {
			return "shop-b not firing yet"
		}
		return ""
	})
	fired := time.Now()
	var took time.Duration
	eventually(t, 150*time.Second, func() string {
		if pages := hooks.get()["/pager"]; len(pages) >= 2 {
			took = time.Since(fired)
			return ""
		}
		return fmt.Sprintf("no page for shop-b yet: %v", hooks.get())
	})
	pages := hooks.get()["/pager"]
	if took > 90*time.Second {
		t.Errorf("the page for shop-b came %s after it fired, want within 90 s", took.Round(time.Second))
	}
	if !slices.Equal(pages[1], []string{"DjangoProbeFailed/shop-b"}) {
		t.Errorf("the second page carries %v, want DjangoProbeFailed/shop-b alone (shop-a resolved before)", pages[1])
	}
	t.Logf("pages: %v; the second %s after shop-b fired", pages, took.Round(time.Second))
	reliability.Record(t, "alerts", "a second critical alert of a team whose group is open, after the first resolved (example Alertmanager)",
		fmt.Sprintf("paged %s after it fired, carrying only what fires: %v", took.Round(time.Second), pages[1]))
}
