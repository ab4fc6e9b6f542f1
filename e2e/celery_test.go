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
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

// The exporter's side of a Celery deployment watched by the helper: the
// two liveness heartbeats in the file, everything else registered by the
// helper itself.
const celeryExporterConfig = `
heartbeat_defaults:
  auto_register: true
  grace: 3s
  expire_after: 1h
heartbeats:
  - {name: celery-beat, interval: 1s, grace: 3s, exclusive: true}
  - {name: celery-worker, interval: 1s, grace: 3s}
`

// celeryEnv is the environment of the example project's Celery
// processes: every helper interval 1s, the beat schedule 100 times faster
// (refresh prices every 3s, import products every 6s).
func celeryEnv(t *testing.T, broker, exporterURL string, extra ...string) []string {
	requirePython(t, "celery", "python3-celery")
	requirePython(t, "redis", "python3-redis")
	return append([]string{
		"CELERY_BROKER_URL=" + broker,
		"DJANGO_HEALTH_EXPORTER_URL=" + exporterURL,
		"HEARTBEAT_BEAT_INTERVAL=1",
		"HEARTBEAT_WORKER_INTERVAL=1",
		"HEARTBEAT_CANARY_INTERVAL=1",
		"SHOP_BEAT_SCALE=0.01",
		"DJANGO_DB_PATH=" + filepath.Join(t.TempDir(), "db.sqlite3"),
		"PYTHONDONTWRITEBYTECODE=1",
	}, extra...)
}

// celery starts a worker or beat of the example project.
func celery(t *testing.T, name string, env []string, args ...string) *proc {
	project := filepath.Join(repoRoot, "examples", "django")
	argv := append([]string{venvPython(t), "-m", "celery", "-A", "shop"}, args...)
	return start(t, name, project, env, append(argv, "--loglevel=INFO")...)
}

// python runs code in the example project, with its environment.
func python(t *testing.T, env []string, code string) string {
	t.Helper()
	cmd := exec.Command(venvPython(t), "-c", code)
	cmd.Dir = filepath.Join(repoRoot, "examples", "django")
	cmd.Env = append(append(os.Environ(), "DJANGO_SETTINGS_MODULE=shop.settings"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

func worker(t *testing.T, name string, env []string, queues string) *proc {
	return celery(t, name, env, "worker", "--concurrency=1", "--hostname="+name+"@%h", "-Q", queues,
		"--without-gossip", "--without-mingle", "--without-heartbeat")
}

func findPrefix(hbs map[string]apiHeartbeat, prefix string) (apiHeartbeat, bool) {
	for name, h := range hbs {
		if strings.HasPrefix(name, prefix) {
			return h, true
		}
	}
	return apiHeartbeat{}, false
}

// Two queues with a worker each, and beat, watched through the helper
// alone: no task events, nothing copied into the exporter's file.
func TestCeleryQueuesWorkersAndBeat(t *testing.T) {
	broker := startRedis(t)
	exp := startExporter(t, celeryExporterConfig)
	env := celeryEnv(t, broker, exp.url)
	w1 := worker(t, "w1", env, "default")
	w2 := worker(t, "w2", env, "reports")
	celery(t, "beat", env, "beat", "--schedule", filepath.Join(t.TempDir(), "celerybeat-schedule"))

	celerySeenWhole(t, exp)
	celerySeesBacklog(t, exp, env)

	// kill -9 of the reports worker: its own heartbeat goes down, and its
	// queue's canary goes late; the other worker and queue stay up.
	w2.stop(syscall.SIGKILL)
	eventually(t, 60*time.Second, func() string {
		h := exp.heartbeats(t)
		w1, _ := findPrefix(h, "celery-worker@w1@")
		w2, _ := findPrefix(h, "celery-worker@w2@")
		if w2.State != "down" || w1.State != "up" || h["celery-worker"].State != "up" ||
			h["celery-queue-reports"].State != "down" || h["celery-queue-default"].State != "up" {
			return fmt.Sprintf("after kill -9 of w2: w2 %s, w1 %s, celery-worker %s, reports queue %s, default queue %s",
				w2.State, w1.State, h["celery-worker"].State, h["celery-queue-reports"].State, h["celery-queue-default"].State)
		}
		return ""
	})

	reliability.Record(t, "heartbeats", "kill -9 of one of two Celery workers, each on its own queue",
		"only that worker's celery-worker@NODE heartbeat and its queue's canary went down")

	// A second beat (a double deploy): every periodic task now runs
	// twice, from two sources.
	celery(t, "beat2", env, "beat", "--schedule", filepath.Join(t.TempDir(), "celerybeat-schedule"))
	eventually(t, 60*time.Second, func() string {
		_, metrics := get(t, exp.url+"/metrics")
		sources, _ := metricValue(t, metrics, `heartbeat_sources{heartbeat="refresh-prices",celery="entry",team="web"}`)
		runs, _ := metricValue(t, metrics, `heartbeat_runs_per_period{heartbeat="refresh-prices",celery="entry",team="web"}`)
		beats, _ := metricValue(t, metrics, `heartbeat_sources{heartbeat="celery-beat"}`)
		if sources != 2 || runs < 1.5 || beats != 2 {
			return fmt.Sprintf("with two beats: refresh-prices sources %v, runs per period %v; celery-beat sources %v", sources, runs, beats)
		}
		return ""
	})

	// A clean shutdown (SIGTERM to the worker: a warm shutdown) removes
	// the worker's own heartbeat.
	if _, ok := findPrefix(exp.heartbeats(t), "celery-worker@w1@"); !ok {
		t.Fatal("no celery-worker@w1@... heartbeat")
	}
	if err := w1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w1.done:
	case <-time.After(30 * time.Second):
		t.Fatal("w1 did not stop on SIGTERM")
	}
	if h, ok := findPrefix(exp.heartbeats(t), "celery-worker@w1@"); ok {
		t.Errorf("celery-worker@w1@... still there after a clean shutdown: %+v", h)
	}
}

// django-celery-beat's DatabaseScheduler: entries made in the database
// (through the ORM, as the admin does) are registered with their
// schedules, an entry added while beat runs as soon as beat sends it.
func TestCeleryDatabaseScheduler(t *testing.T) {
	requirePython(t, "django_celery_beat", "python3-django-celery-beat")
	broker := startRedis(t)
	exp := startExporter(t, celeryExporterConfig)
	env := celeryEnv(t, broker, exp.url, "DJANGO_CELERY_BEAT=1")
	python(t, env, `
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
every2, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="Sync Stock Levels", task="shop.tasks.refresh_prices", interval=every2)
nightly, _ = CrontabSchedule.objects.get_or_create(minute="15", hour="3", day_of_week="*", day_of_month="*",
                                                  month_of_year="*", timezone="Europe/Berlin")
PeriodicTask.objects.create(name="Nightly Cleanup", task="shop.tasks.refresh_prices", crontab=nightly)
`)
	worker(t, "w1", env, "default,reports")
	celery(t, "beat", env, "beat", "-S", "django_celery_beat.schedulers:DatabaseScheduler")

	eventually(t, 90*time.Second, func() string {
		h := exp.heartbeats(t)
		ss, nc, rp := h["sync-stock-levels"], h["nightly-cleanup"], h["refresh-prices"]
		switch {
		case !ss.Registered || ss.Interval != 2 || ss.State != "up" || ss.Pings["start"] < 1 || ss.Pings["success"] < 1:
			return fmt.Sprintf("sync-stock-levels: %+v", ss)
		case !nc.Registered || nc.Schedule != "15 3 * * *" || nc.Timezone != "Europe/Berlin":
			return fmt.Sprintf("nightly-cleanup: %+v", nc)
		case !rp.Registered || rp.Interval != 3:
			// The settings' schedule, which the DatabaseScheduler copies
			// into the database.
			return fmt.Sprintf("refresh-prices: %+v", rp)
		}
		return ""
	})

	// An entry added while beat runs.
	python(t, env, `
import django
django.setup()
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every4, _ = IntervalSchedule.objects.get_or_create(every=4, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="Late Addition", task="shop.tasks.refresh_prices", interval=every4)
`)
	eventually(t, 60*time.Second, func() string {
		if la := exp.heartbeats(t)["late-addition"]; !la.Registered || la.Interval != 4 || la.Pings["success"] < 1 {
			return fmt.Sprintf("late-addition: %+v", la)
		}
		return ""
	})
}

// The helper never raises and never waits longer than its timeout: not for
// an exporter that hangs, one that is not there, or one that refuses; with
// several URLs every one gets the ping; basic auth in the URL moves the
// token to X-Heartbeat-Token.
func TestCeleryHelperNeverRaisesNorHangs(t *testing.T) {
	exp := startExporter(t, `
heartbeat_defaults: {auto_register: true, token: s3cret}
heartbeats:
  - {name: deploy, interval: 1h}
`)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(hung.Close)
	var seen atomic.Value
	recorder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("X-Heartbeat-Token") + "|" + r.URL.RequestURI())
	}))
	t.Cleanup(recorder.Close)
	dead := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))

	run := func(url, code string) (string, time.Duration) {
		t.Helper()
		cmd := exec.Command(venvPython(t), "-c", "import django_health_exporter as hb\n"+code)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "DJANGO_HEALTH_EXPORTER_URL="+url, "DJANGO_HEALTH_EXPORTER_TOKEN=s3cret", "PYTHONDONTWRITEBYTECODE=1")
		began := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("the helper raised: %v\n%s", err, out)
		}
		return strings.TrimSpace(lastLines(string(out), 1)), time.Since(began)
	}
	if out, took := run(hung.URL, "print(hb.ping('deploy', timeout=1))"); out != "False" || took > 5*time.Second {
		t.Errorf("a hung exporter: %q after %v", out, took)
	}
	if out, took := run(dead, "print(hb.ping('deploy'), hb.register('x', interval=60), hb.unregister('x'))"); out != "False False False" || took > 5*time.Second {
		t.Errorf("no exporter: %q after %v", out, took)
	}
	if out, _ := run(exp.url, "print(hb.ping('deploy', metrics={'rows': 'many'}), hb.ping('no such name!'))"); out != "False False" {
		t.Errorf("bad input: %q", out)
	}
	// Two URLs, one dead: the live one stores the ping.
	if out, _ := run(dead+","+exp.url, "print(hb.ping('deploy', metrics={'rows': 1234}, source='deployer'))"); out != "True" {
		t.Errorf("two URLs: %q", out)
	}
	if h := exp.heartbeats(t)["deploy"]; h.State != "up" || h.Values["rows"] != 1234 {
		t.Errorf("deploy after the ping: %+v", h)
	}
	u := strings.Replace(recorder.URL, "http://", "http://user:pa%40ss@", 1)
	run(u, "hb.ping('deploy', rid='r1')")
	if got, _ := seen.Load().(string); got != "Basic dXNlcjpwYUBzcw==|s3cret|/heartbeat/deploy?rid=r1" {
		t.Errorf("basic auth URL: the exporter saw %q", got)
	}
	reliability.Record(t, "heartbeats", "the Celery helper against an exporter that hangs, one that is not there, one that refuses, and two URLs with one dead",
		"never raised; each call returned within its timeout; the live exporter stored the ping")
	if out, _ := run(exp.url, "print([hb.heartbeat_name(n) for n in ('Refresh Prices', 'celery.backend_cleanup', '__init__', 'w1@Host-A')])"); out != "['refresh-prices', 'celery.backend_cleanup', 'init__', 'w1-host-a']" {
		t.Errorf("heartbeat_name: %s", out)
	}
	if out, _ := run(exp.url, "print([hb.node_name(n) for n in ('W1@Host-A.example', 'celery@pod 7')])"); out != "['w1@host-a.example', 'celery@pod-7']" {
		t.Errorf("_node_name: %s", out)
	}
}

// The Python package speaks the wire names the server declares once
// (collector/wire): the ping path, the API path and the token header in
// its transport, the kinds its Celery integration sends. A rename on one
// side fails here, not in production.
func TestPythonPackageUsesTheWireNames(t *testing.T) {
	pkg := filepath.Join(repoRoot, "python", "src", "django_health_exporter")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(pkg, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	transport, tasks := read("_transport.py"), read("celery/_tasks.py")+read("celery/_beat.py")
	for _, want := range []string{
		`PING_PREFIX = "` + wire.PingPrefix + `"`, `API_PREFIX = "` + strings.TrimSuffix(wire.APIPrefix, "/") + `"`,
		`TOKEN_HEADER = "` + wire.TokenHeader + `"`,
	} {
		if !strings.Contains(transport, want) {
			t.Errorf("_transport.py does not say %s", want)
		}
	}
	for _, kind := range []string{wire.KindStart, wire.KindFail, wire.KindLog, wire.KindProgress} {
		if !strings.Contains(tasks, `"`+kind+`"`) {
			t.Errorf("the Celery integration does not send %q", kind)
		}
	}
}

// celerySeenWhole: beat registered every entry of its schedule with its
// real schedule; the entries ran, the queues' canaries and each worker
// pinged, with their labels.
func celerySeenWhole(t *testing.T, exp *exporter) {
	// The retried import is up: its retry is a log ping only.
	eventually(t, 90*time.Second, func() string {
		h := exp.heartbeats(t)
		rp, ip, wn := h["refresh-prices"], h["import-products"], h["weekly-newsletter"]
		switch {
		case !rp.Registered || rp.Interval != 3 || rp.State != "up" || rp.Pings["start"] < 2 || rp.Pings["success"] < 2:
			return fmt.Sprintf("refresh-prices: %+v", rp)
		case !ip.Registered || ip.Interval != 6 || ip.State != "up" || ip.Pings["log"] < 1 || ip.Pings["success"] < 1:
			return fmt.Sprintf("import-products: %+v", ip)
		case !wn.Registered || wn.Schedule != "0 7 * * mon" || wn.Timezone != "UTC" || wn.State != "new":
			return fmt.Sprintf("weekly-newsletter (never run yet, watched from the start): %+v", wn)
		}
		for _, q := range []string{"celery-queue-default", "celery-queue-reports"} {
			if _, ok := h[q].Values["wait_seconds"]; h[q].State != "up" || !ok || !h[q].Registered {
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
	ip := exp.heartbeats(t)["import-products"]
	if ip.Pings["fail"] != 0 || ip.Failures != 0 {
		t.Errorf("a task that failed once and succeeded on its retry counted as failed: %+v", ip)
	}
	// One beat, one sender: metrics: basic (the default) has no
	// heartbeat_sources series below 2.
	_, metrics := get(t, exp.url+"/metrics")
	if v, ok := metricValue(t, metrics, `heartbeat_sources{heartbeat="refresh-prices",celery="entry",team="web"}`); ok {
		t.Errorf("one beat: heartbeat_sources = %v, want no series (basic exports it from 2 senders on)", v)
	}
	if v, ok := metricValue(t, metrics, `heartbeat_up{heartbeat="refresh-prices",celery="entry",team="web"}`); !ok || v != 1 {
		t.Errorf("refresh-prices: heartbeat_up = %v (present %v)", v, ok)
	}
	h := exp.heartbeats(t)
	w1h, _ := findPrefix(h, "celery-worker@w1@")
	w2h, _ := findPrefix(h, "celery-worker@w2@")
	if w1h.Labels["queues"] != "default" || w2h.Labels["queues"] != "reports" || w1h.Labels["team"] != "web" || w1h.Labels["celery"] != "worker" {
		t.Errorf("the workers' queues labels: %v, %v", w1h.Labels, w2h.Labels)
	}
	// The shared liveness heartbeat is not exclusive: no sources or runs
	// per period, which would call two workers a double run.
	if strings.Contains(metrics, `heartbeat_sources{heartbeat="celery-worker"}`) || strings.Contains(metrics, `heartbeat_runs_per_period{heartbeat="celery-worker"}`) {
		t.Error("celery-worker is not exclusive, yet heartbeat_sources or heartbeat_runs_per_period is exported for it")
	}
}

// celerySeesBacklog: a backlog on the reports queue (half-second reports
// arrive four a second, a worker runs two): its canary waits longer and
// longer; the default queue's does not.
func celerySeesBacklog(t *testing.T, exp *exporter, env []string) {
	// A backlog on the reports queue: half-second reports arrive four a
	// second, a worker runs two. The canary waits longer and longer; the
	// default queue's does not.
	loadDone := make(chan string, 1)
	go func() {
		cmd := exec.Command(venvPython(t), "-c", `
import time
from shop.tasks import slow_report
for i in range(60):
    slow_report.delay(0.5)
    time.sleep(0.25)
`)
		cmd.Dir = filepath.Join(repoRoot, "examples", "django")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			loadDone <- fmt.Sprintf("queueing reports: %v\n%s", err, out)
			return
		}
		loadDone <- ""
	}()
	var waits []float64
	longest := 0.0 // queue_length beat measured through Redis
	eventually(t, 60*time.Second, func() string {
		h := exp.heartbeats(t)
		w := h["celery-queue-reports"].Values["wait_seconds"]
		if len(waits) == 0 || waits[len(waits)-1] != w {
			waits = append(waits, w)
		}
		longest = max(longest, h["celery-queue-reports"].Values["queue_length"])
		if d := h["celery-queue-default"].Values["wait_seconds"]; d > 1 {
			t.Errorf("the default queue, which has no backlog, waited %.1fs", d)
		}
		if w < 3 {
			return fmt.Sprintf("the reports queue's canary wait, seen so far: %v", waits)
		}
		return ""
	})
	if msg := <-loadDone; msg != "" {
		t.Fatal(msg)
	}
	_, metrics := get(t, exp.url+"/metrics")
	if v, ok := metricValue(t, metrics, `heartbeat_last_value{heartbeat="celery-queue-reports",celery="queue",queues="reports",team="web",metric="wait_seconds"}`); !ok || v < 3 {
		t.Errorf("heartbeat_last_value of the backlogged queue: %v %v", v, ok)
	}
	// Beat measured the backlog itself, through the broker: reports were
	// queued four a second and run two a second, so the list grew.
	eventually(t, 30*time.Second, func() string {
		longest = max(longest, exp.heartbeats(t)["celery-queue-reports"].Values["queue_length"])
		if longest < 3 {
			return fmt.Sprintf("the reports queue's longest queue_length: %v", longest)
		}
		return ""
	})
	if _, ok := exp.heartbeats(t)["celery-queue-default"].Values["queue_length"]; !ok {
		t.Error("no queue_length for the default queue")
	}
	t.Logf("reports queue canary waits as the backlog grew: %v; longest queue measured: %v", waits, longest)
}
