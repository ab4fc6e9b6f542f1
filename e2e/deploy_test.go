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
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A real deploy, end to end: Django under gunicorn behind nginx, a Celery
// worker and beat on Redis, all on release r1, watched through the
// installed Python package, a real Prometheus with the mixin and the
// example Alertmanager. The deploy moves the web and beat to r2 and
// forgets the worker: DjangoReleaseDrift fires and names the worker, as
// one notification; starting the worker on r2 resolves it. Then a
// collected file goes missing: DjangoStaticAssetsBroken pages, alone.
func TestADeployThatLeavesAWorkerBehind(t *testing.T) {
	hooks := &notifications{byPath: map[string][][]string{}}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	broker := startRedis(t)
	release := func(r string) []string {
		return []string{"DJANGO_HEALTH_EXPORTER_RELEASE=" + r, "DJANGO_STATIC_STORAGE=manifest"}
	}

	staticRoot, port := filepath.Join(t.TempDir(), "static"), freePort(t)
	web := startDjangoWith(t, stableDjango, djangoOptions{collectStatic: true, staticRoot: staticRoot, port: port, env: release("r1")})
	front, _ := startNginx(t, staticRoot, web.url, "")
	exp := startExporter(t, fmt.Sprintf(`
modules:
  deploy:
    django: {static_assets: {}, release: {header: X-Release}}
targets:
  - {name: shop-web, url: "%s/styled/", module: deploy, labels: {team: web}}
heartbeat_defaults: {auto_register: true, grace: 30s, expire_after: 1h}
heartbeats:
  - {name: celery-beat, interval: 1s, grace: 30s, exclusive: true, labels: {team: web}}
  - {name: celery-worker, interval: 1s, grace: 30s, labels: {team: web}}
`, front))
	env := celeryEnv(t, broker, exp.url)
	oldWorker := worker(t, "w1", append(env, release("r1")...), "default,reports")
	beat := celery(t, "beat", append(env, release("r1")...), "beat", "--schedule", filepath.Join(t.TempDir(), "beat-r1"))
	am := startAlertmanagerWith(t, exampleAlertmanager(t, hook.URL))
	prom := startPrometheus(t, examplePromConfig(t, exp.url, am), fastMixinWith(t, `{ releaseDriftFor: "20s" }`) /* 20 s: longer than the rolling restart of the web and beat */)
	releasesIn := func() map[string][]string {
		out := map[string][]string{}
		for _, s := range prom.query(t, `max by (release, heartbeat) (heartbeat_release_info) or max by (release, instance) (probe_django_release_info)`) {
			out[s.Metric["release"]] = append(out[s.Metric["release"]], s.Metric["heartbeat"]+s.Metric["instance"])
		}
		return out
	}
	eventually(t, 90*time.Second, func() string {
		r := releasesIn()
		if len(r) != 1 || len(r["r1"]) < 4 || !slices.Contains(r["r1"], "shop-web") {
			return fmt.Sprintf("not everything reports r1 yet: %v", r)
		}
		return ""
	})

	// The deploy: collectstatic, the web restarts on r2 in place, beat too;
	// the worker is forgotten.
	web.proc.stop(syscall.SIGTERM)
	startDjangoWith(t, stableDjango, djangoOptions{collectStatic: true, staticRoot: staticRoot, port: port, env: release("r2")})
	beat.stop(syscall.SIGTERM)
	celery(t, "beat-r2", append(env, release("r2")...), "beat", "--schedule", filepath.Join(t.TempDir(), "beat-r2"))

	var description string
	eventually(t, 120*time.Second, func() string {
		if a, ok := prom.firing(t, "DjangoReleaseDrift"); ok {
			description = a.Annotations["description"]
			return ""
		}
		return fmt.Sprintf("DjangoReleaseDrift is not firing; releases %v", releasesIn())
	})
	for _, want := range []string{"r1: heartbeat celery-worker@w1@", "r2: target shop-web"} {
		if !strings.Contains(description, want) {
			t.Errorf("DjangoReleaseDrift does not name %q: %s", want, description)
		}
	}
	eventually(t, 90*time.Second, func() string {
		if got := hooks.get(); len(got["/chat"]) == 0 {
			return fmt.Sprintf("no notification of the drift yet: %v", got)
		}
		return ""
	})

	// The worker, restarted on r2 (the new one first: no gap): resolved.
	worker(t, "w2", append(env, release("r2")...), "default,reports")
	time.Sleep(3 * time.Second)
	oldWorker.stop(syscall.SIGTERM)
	eventually(t, 120*time.Second, func() string {
		for _, a := range prom.alerts(t) {
			if a.Labels["alertname"] == "DjangoReleaseDrift" {
				return fmt.Sprintf("DjangoReleaseDrift still %s; releases %v", a.State, releasesIn())
			}
		}
		return ""
	})
	drift := hooks.get()
	firing := 0
	for _, path := range []string{"/chat", "/pager"} {
		for _, n := range drift[path] {
			switch {
			case slices.Equal(n, []string{"DjangoReleaseDrift/"}):
				firing++
			case slices.Equal(n, []string{"DjangoReleaseDrift/ (resolved)"}):
			default:
				t.Errorf("a notification other than the drift's during the deploy: %s %v", path, n)
			}
		}
	}
	if firing < 1 || len(drift["/pager"]) > 0 {
		t.Errorf("the worker left behind: notifications %v, want one of DjangoReleaseDrift to chat (and its resolution)", drift)
	}

	// A collected file goes missing: one page, DjangoStaticAssetsBroken
	// alone (DjangoProbeFailed, reason static, is inhibited).
	removeCollected(t, staticRoot, "shop/site.css")
	eventually(t, 120*time.Second, func() string {
		if got := hooks.get(); len(got["/pager"]) == 0 {
			return fmt.Sprintf("no page yet: %v", got)
		}
		return ""
	})
	time.Sleep(35 * time.Second) // group_wait: what else was coming has come
	got := hooks.get()
	if len(got["/pager"]) != 1 || !slices.Equal(got["/pager"][0], []string{"DjangoStaticAssetsBroken/shop-web"}) {
		t.Errorf("a collected file lost: pages %v, want one, of DjangoStaticAssetsBroken alone", got["/pager"])
	}
	t.Logf("notifications: %v", got)
	reliability.Record(t, "alerts", "a deploy that restarts the web and beat on r2 and forgets the Celery worker, then loses a collected file (real Django, Celery, Prometheus, example Alertmanager)",
		fmt.Sprintf("DjangoReleaseDrift names the worker: %d notification(s) to chat, none paged; resolved when the worker runs r2; the lost file is %d page (%v)", firing, len(got["/pager"]), got["/pager"]))
}
