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
	"testing"
	"time"
)

// celeryVersion is a newer Celery with its kombu, billiard, redis-py and
// django-celery-beat, unpacked by .ci/debian-newer, on the Django of the
// same Debian suite.
type celeryVersion struct {
	name    string
	dirs    []string // under .build/debian, first wins
	release string   // what celery.__version__ must say
	beat    string   // django_celery_beat.__version__
}

var newerCeleries = []celeryVersion{
	{name: "5.5", dirs: []string{"celery-trixie", "trixie"}, release: "5.5.", beat: "2.7."},
	{name: "5.6", dirs: []string{"celery-sid", "sid"}, release: "5.6.", beat: "2.9."},
}

func (v celeryVersion) pythonPath(t *testing.T) string {
	var dirs []string
	for _, d := range v.dirs {
		dir := filepath.Join(repoRoot, ".build", "debian", d, "usr", "lib", "python3", "dist-packages")
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s is missing: run make deps (.ci/debian-newer unpacks Celery %s there)", dir, v.name)
		}
		dirs = append(dirs, dir)
	}
	return "PYTHONPATH=" + strings.Join(dirs, ":")
}

// The helper on Celery 5.5 and 5.6 (the system's 5.2 runs every other
// Celery test): workers, beat with django-celery-beat's
// DatabaseScheduler, the queue canaries with their wait and length, and
// the beat entries from the settings and from the database, each
// registered with its schedule and pinged at start and end.
func TestNewerCelery(t *testing.T) {
	for _, v := range newerCeleries {
		t.Run("Celery "+v.name, func(t *testing.T) {
			t.Parallel()
			testNewerCelery(t, v)
		})
	}
}

func testNewerCelery(t *testing.T, v celeryVersion) {
	broker := startRedis(t)
	exp := startExporter(t, celeryExporterConfig)
	env := celeryEnv(t, broker, exp.url, "DJANGO_CELERY_BEAT=1", v.pythonPath(t))
	out := python(t, env, `
import celery, django, django_celery_beat
django.setup()
print("versions", celery.__version__, django_celery_beat.__version__, django.get_version())
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every2, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="Sync Stock Levels", task="shop.tasks.refresh_prices", interval=every2)
`)
	var celeryRelease, beatRelease, djangoRelease string
	for line := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "versions "); ok {
			_, _ = fmt.Sscan(rest, &celeryRelease, &beatRelease, &djangoRelease)
		}
	}
	if !strings.HasPrefix(celeryRelease, v.release) || !strings.HasPrefix(beatRelease, v.beat) {
		t.Fatalf("Celery %s, django-celery-beat %s on Django %s: want %s* and %s*\n%s", celeryRelease, beatRelease, djangoRelease, v.release, v.beat, out)
	}
	t.Logf("Celery %s, django-celery-beat %s, Django %s", celeryRelease, beatRelease, djangoRelease)
	worker(t, "w1", env, "default")
	worker(t, "w2", env, "reports")
	celery(t, "beat", env, "beat", "-S", "django_celery_beat.schedulers:DatabaseScheduler")

	eventually(t, 120*time.Second, func() string {
		h := exp.heartbeats(t)
		ss, rp := h["sync-stock-levels"], h["refresh-prices"]
		switch {
		case h["celery-beat"].State != "up" || h["celery-worker"].State != "up":
			return fmt.Sprintf("celery-beat %s, celery-worker %s", h["celery-beat"].State, h["celery-worker"].State)
		case !ss.Registered || ss.Interval != 2 || ss.State != "up" || ss.Pings["start"] < 1 || ss.Pings["success"] < 1:
			return fmt.Sprintf("sync-stock-levels (from the database): %+v", ss)
		case !rp.Registered || rp.Interval != 3 || rp.Pings["start"] < 1 || rp.Pings["success"] < 1:
			return fmt.Sprintf("refresh-prices (from the settings): %+v", rp)
		}
		for _, q := range []string{"celery-queue-default", "celery-queue-reports"} {
			_, waited := h[q].Values["wait_seconds"]
			_, measured := h[q].Values["queue_length"]
			if h[q].State != "up" || !waited || !measured {
				return fmt.Sprintf("%s: %+v", q, h[q])
			}
		}
		for _, w := range []string{"w1", "w2"} {
			if wh, ok := findPrefix(h, "celery-worker@"+w+"@"); !ok || wh.State != "up" || !wh.Registered {
				return fmt.Sprintf("celery-worker@%s@...: %+v", w, wh)
			}
		}
		return ""
	})
}

// A task that opts in with heartbeat_progress keeps its run alive past
// max_runtime while it works; one that does not is overrunning at the
// same moment (the same run length and limit).
func TestCeleryProgressKeepsALongRunAlive(t *testing.T) {
	broker := startRedis(t)
	exp := startExporter(t, celeryExporterConfig+`  - {name: search-index, interval: 1h, max_runtime: 3s}
  - {name: nightly-report, interval: 1h, max_runtime: 3s}
`)
	env := celeryEnv(t, broker, exp.url)
	worker(t, "w1", env, "default")
	worker(t, "w2", env, "reports")
	python(t, env, `
import shop.celery
from shop.tasks import nightly_report, rebuild_search_index
rebuild_search_index.apply_async(kwargs={"seconds": 7}, queue="default")
nightly_report.apply_async(kwargs={"seconds": 7}, queue="reports")
`)
	var started time.Time
	eventually(t, 60*time.Second, func() string {
		h := exp.heartbeats(t)
		if h["search-index"].Running != 1 || h["nightly-report"].Running != 1 {
			return fmt.Sprintf("both runs started: search-index %+v, nightly-report %+v", h["search-index"], h["nightly-report"])
		}
		started = time.Now()
		return ""
	})
	time.Sleep(time.Until(started.Add(4500 * time.Millisecond)))
	h := exp.heartbeats(t)
	if si, nr := h["search-index"], h["nightly-report"]; si.State != "running" || nr.State != "down" {
		t.Errorf("4.5 s into 7 s runs with max_runtime 3s: search-index (progress pings) %s, want running; nightly-report (none) %s, want down\n%+v\n%+v",
			si.State, nr.State, si, nr)
	}
	eventually(t, 30*time.Second, func() string {
		si := exp.heartbeats(t)["search-index"]
		if si.State != "up" || si.Duration < 6.5 || si.Pings["progress"] < 4 {
			return fmt.Sprintf("search-index after its run: %+v", si)
		}
		return ""
	})
}
