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
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// readmeDeployLines are the maintenance lines of the README's deploy
// example, as a deploy script runs them.
func readmeDeployLines(t *testing.T) (start, end []string) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)A deploy holds every page of what it restarts in one line.*?```sh\n(.*?)```").FindSubmatch(b)
	if block == nil {
		t.Fatal("the README has no deploy example")
	}
	for line := range strings.SplitSeq(string(block[1]), "\n") {
		fields := strings.Fields(strings.ReplaceAll(line, "'", ""))
		switch {
		case len(fields) > 2 && fields[0] == "django_health_exporter" && fields[1] == "maintenance" && fields[2] == "start":
			start = fields[1:]
		case len(fields) > 2 && fields[0] == "django_health_exporter" && fields[1] == "maintenance" && fields[2] == "end":
			end = fields[1:]
		}
	}
	if start == nil || end == nil {
		t.Fatalf("the README's deploy example has no maintenance start and end:\n%s", block[1])
	}
	return start, end
}

// The README's deploy, with real restarts: Django under gunicorn, a
// Celery worker and beat on Redis through the installed package (which
// registers its entries, queues and worker itself), the example
// Prometheus with the mixin (every for: at zero, so any blip fires) and
// the example Alertmanager, its receivers counted. Inside the README's
// two maintenance lines, restarting the web, the worker and beat sends
// no notification, during the deploy or after it ends. The same restarts
// without them page: the hold is what keeps the night quiet.
func TestTheREADMEsDeployPagesNothing(t *testing.T) {
	t.Parallel()
	startLine, endLine := readmeDeployLines(t)
	bin := buildExporter(t)
	broker := startRedis(t)
	port := freePort(t)
	web := startDjangoWith(t, stableDjango, djangoOptions{port: port})
	exp := startExporter(t, fmt.Sprintf(`
targets:
  - {name: shop-home, url: "%s/", labels: {team: web}}
heartbeat_defaults: {allow_registration: true, grace: 3s, expire_after: 1h}
heartbeats:
  - {name: celery-beat, interval: 1s, grace: 3s, exclusive: true, labels: {team: web, celery: beat}}
  - {name: celery-worker, interval: 1s, grace: 3s, labels: {team: web, celery: worker}}
`, web.url))
	env := celeryEnv(t, broker, exp.url)
	w := worker(t, "w1", env, "default,reports")
	beat := celery(t, "beat", env, "beat", "--schedule", filepath.Join(t.TempDir(), "beat"))
	hooks, prom := watchedByTheExamples(t, exp.url, "{}")
	allUp := func() string {
		if n := len(prom.query(t, `probe_success{instance="shop-home"} == 1`)); n != 1 {
			return "shop-home is not up"
		}
		// celery-beat, celery-worker, the worker's own, two queue canaries,
		// two beat entries.
		if n := len(prom.query(t, `heartbeat_up == 1`)); n < 7 {
			return fmt.Sprintf("%d heartbeats up, want 7: %v", n, prom.query(t, `heartbeat_up`))
		}
		if n := len(prom.query(t, `heartbeat_up == 0`)); n != 0 {
			return fmt.Sprintf("%d heartbeats down", n)
		}
		return ""
	}
	eventually(t, 120*time.Second, allUp)

	// The deploy: the web, the worker and beat stop, and start again on
	// the new code once wait returns: down for longer than the
	// heartbeats' grace and the Alertmanager's group_wait (30s), so what
	// fires is notified.
	deploy := func(wait func()) {
		web.proc.stop(syscall.SIGTERM)
		w.stop(syscall.SIGTERM)
		beat.stop(syscall.SIGTERM)
		wait()
		web = startDjangoWith(t, stableDjango, djangoOptions{port: port})
		w = worker(t, "w1", env, "default,reports")
		beat = celery(t, "beat", env, "beat", "--schedule", filepath.Join(t.TempDir(), "beat"))
	}
	cli := func(args []string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DJANGO_HEALTH_EXPORTER_URL="+exp.url)
		if out, code := combinedOutput(t, cmd); code != 0 {
			t.Fatalf("%v: %d\n%s", args, code, out)
		}
	}

	// Inside the README's lines.
	cli(startLine)
	eventually(t, 30*time.Second, func() string {
		if n := len(prom.query(t, `probe_maintenance == 1`)); n != 1 {
			return "Prometheus has not seen the window on the probe"
		}
		if n := len(prom.query(t, `heartbeat_paused == 1`)); n < 7 {
			return fmt.Sprintf("Prometheus sees %d paused heartbeats, want every one", n)
		}
		return ""
	})
	deploy(func() { time.Sleep(40 * time.Second) })
	eventually(t, 120*time.Second, allUp)
	cli(endLine)
	time.Sleep(45 * time.Second) // group_wait (30s), and what was held is due again
	held := hooks.get()
	if len(held) != 0 {
		t.Errorf("the README's deploy sent notifications: %v", held)
	}
	if msg := allUp(); msg != "" {
		t.Errorf("after the deploy: %s", msg)
	}

	// The same deploy without the two lines.
	var bare map[string][][]string
	deploy(func() {
		eventually(t, 120*time.Second, func() string {
			if bare = hooks.get(); len(bare["/pager"]) == 0 {
				return fmt.Sprintf("no page yet: %v", bare)
			}
			return ""
		})
	})
	pages := len(bare["/pager"])
	t.Logf("with the README's lines: %v; without: %v", held, bare)
	reliability.Record(t, "alerts", "the README's deploy: the web (gunicorn), a Celery worker and beat down for 40 s, inside `maintenance start deploy --label 'celery=*' --target shop-home` and `maintenance end` (real Django, Celery, Prometheus, example Alertmanager)",
		fmt.Sprintf("%d notifications during it and 45 s after; the same deploy without the two lines: %d page(s) %v", countNotifications(held), pages, bare["/pager"]))
}

func countNotifications(m map[string][][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
