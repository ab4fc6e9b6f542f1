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
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

type apiHeartbeat struct {
	Name        string            `json:"name"`
	State       string            `json:"state"`
	LastMessage string            `json:"last_message"`
	LastExit    *int              `json:"last_exit_status"`
	Running     int               `json:"running"`
	Duration    float64           `json:"last_duration_seconds"`
	Pings       map[string]uint64 `json:"pings"`
	// Registration and the Celery helper's numbers.
	Schedule        string             `json:"schedule"`
	Timezone        string             `json:"timezone"`
	Interval        float64            `json:"interval_seconds"`
	Labels          map[string]string  `json:"labels"`
	Registered      bool               `json:"registered"`
	Values          map[string]float64 `json:"values"`
	SourcesInPeriod int                `json:"sources_in_period"`
	RunsPerPeriod   float64            `json:"runs_per_period"`
	Failures        int                `json:"consecutive_failures"`
	Paused          bool               `json:"paused"`
	PausedUntil     time.Time          `json:"paused_until"`
}

func (e *exporter) heartbeats(t testing.TB) map[string]apiHeartbeat {
	t.Helper()
	code, body := get(t, e.url+"/api/v1/heartbeats")
	if code != 200 {
		t.Fatalf("/api/v1/heartbeats: %d %s", code, body)
	}
	var resp struct {
		Heartbeats []apiHeartbeat `json:"heartbeats"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	out := map[string]apiHeartbeat{}
	for _, h := range resp.Heartbeats {
		out[h.Name] = h
	}
	return out
}

// Every ping answered 200 is still there after kill -9 and a restart.
func TestHeartbeatsSurviveKill9(t *testing.T) {
	const (
		names   = 20
		perName = 40
		workers = 16
	)
	cfg := "heartbeat_defaults: {auto_register: true, max_heartbeats: 100}\n"
	exp := startExporter(t, cfg)

	var acked atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				name := fmt.Sprintf("job-%02d", i%names)
				code, body := post(t, exp.url+"/heartbeat/"+name, fmt.Sprintf("ping %d", i))
				if code != 200 {
					t.Errorf("%s: %d %s", name, code, body)
					continue
				}
				acked.Add(1)
			}
		})
	}
	for i := range names * perName {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	// The last ping of each name, answered 200, then kill -9 at once.
	for n := range names {
		if code, _ := post(t, exp.url+fmt.Sprintf("/heartbeat/job-%02d/log", n), fmt.Sprintf("last words of %d", n)); code != 200 {
			t.Fatal(code)
		}
	}
	exp.proc.stop(syscall.SIGKILL)

	restarted := startExporterWith(t, buildExporter(t), exp.cfgPath, exp.storage)
	hbs := restarted.heartbeats(t)
	if len(hbs) != names {
		t.Fatalf("%d heartbeats after restart, want %d", len(hbs), names)
	}
	var total uint64
	for n := range names {
		name := fmt.Sprintf("job-%02d", n)
		h := hbs[name]
		total += h.Pings["success"]
		if h.LastMessage != fmt.Sprintf("last words of %d", n) || h.Pings["log"] != 1 {
			t.Errorf("%s after kill -9: message %q, log pings %d", name, h.LastMessage, h.Pings["log"])
		}
	}
	if total != uint64(acked.Load()) || total != names*perName {
		t.Errorf("%d success pings after kill -9, %d were acknowledged", total, acked.Load())
	}
	reliability.Record(t, "store", fmt.Sprintf("kill -9 right after %d pings from %d clients", names*perName+names, workers), "every acknowledged ping found after the restart")
}

// The ping and run commands, against the real server.
func TestPingAndRunCommands(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exp := startExporter(t, `
heartbeats:
  - {name: nightly-report, schedule: "30 2 * * *", timezone: Europe/Berlin, grace: 30m, max_runtime: 1h, token_file: `+tokenFile+`}
  - {name: deploy, interval: 24h}
`)
	bin := buildExporter(t)
	client := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DJANGO_HEALTH_EXPORTER_URL="+exp.url)
		return combinedOutput(t, cmd)
	}

	if out, code := client("ping", "deploy", "--message", "v1.4.2 deployed"); code != 0 {
		t.Fatalf("ping: %d %s", code, out)
	}
	// A ping that is refused is a warning: it does not fail the script
	// that sends it, unless --strict.
	if out, code := client("ping", "nightly-report"); code != 0 || !strings.Contains(out, "warning") || !strings.Contains(out, "401") {
		t.Errorf("ping without the token: %d %s", code, out)
	}
	if out, code := client("ping", "no-such-job", "--strict"); code != 1 || !strings.Contains(out, "404") {
		t.Errorf("ping --strict of an unknown heartbeat: %d %s", code, out)
	}
	out, code := client("run", "nightly-report", "--token-file", tokenFile, "--", "sh", "-c", "echo building; echo 'Traceback: KeyError' >&2; exit 4")
	if code != 4 || !strings.Contains(out, "building") {
		t.Errorf("run of a failing command: %d %s", code, out)
	}
	hbs := exp.heartbeats(t)
	if h := hbs["nightly-report"]; h.State != "failed" || h.LastExit == nil || *h.LastExit != 4 || !strings.Contains(h.LastMessage, "Traceback: KeyError") || h.Pings["start"] != 1 {
		t.Errorf("after a failed run: %+v", h)
	}
	if h := hbs["deploy"]; h.State != "up" || h.LastMessage != "v1.4.2 deployed" {
		t.Errorf("after a deploy ping: %+v", h)
	}
	if out, code := client("run", "nightly-report", "--token-file", tokenFile, "--", "sh", "-c", "sleep 0.2"); code != 0 {
		t.Errorf("run of a good command: %d %s", code, out)
	}
	if h := exp.heartbeats(t)["nightly-report"]; h.State != "up" || h.Duration < 0.2 || h.Running != 0 {
		t.Errorf("after a good run: %+v", h)
	}
	if out, code := client("ping", "deploy", "--start", "--fail"); code != 2 || !strings.Contains(out, "at most one") {
		t.Errorf("two actions: %d %s", code, out)
	}
}

// startRedis runs Debian's redis-server on a free port, without
// persistence.
func startRedis(t *testing.T) string {
	t.Helper()
	requireProgram(t, "/usr/bin/redis-server", "redis-server")
	port := freePort(t)
	p := start(t, "redis", t.TempDir(), nil, "/usr/bin/redis-server",
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := exec.Command("/usr/bin/redis-cli", "-p", fmt.Sprint(port), "ping").CombinedOutput(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return "redis://" + addr + "/0"
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("redis did not start:\n%s", p.output())
	return ""
}

// A real Celery worker and beat, on Redis, send heartbeats through the
// example helper; killing the worker silences both, and the exporter says
// so. django-health-check's Celery ping agrees, through a probe.
func TestCeleryHeartbeats(t *testing.T) {
	requirePython(t, "celery", "python3-celery")
	requirePython(t, "redis", "python3-redis")
	broker := startRedis(t)
	exp := startExporter(t, `
heartbeats:
  - {name: celery-beat, interval: 2s, grace: 3s}
  - {name: celery-worker, interval: 2s, grace: 3s}
  - {name: nightly-report, interval: 24h}
`)
	project := filepath.Join(repoRoot, "examples", "django")
	dir := t.TempDir()
	env := []string{
		"CELERY_BROKER_URL=" + broker,
		"DJANGO_HEALTH_EXPORTER_URL=" + exp.url,
		"HEARTBEAT_BEAT_INTERVAL=1",
		"HEARTBEAT_WORKER_INTERVAL=1",
		"DJANGO_DB_PATH=" + filepath.Join(dir, "db.sqlite3"),
		"PYTHONDONTWRITEBYTECODE=1",
	}
	worker := start(t, "celery-worker", project, env, venvPython(t), "-m", "celery", "-A", "shop", "worker",
		"--loglevel=INFO", "--concurrency=1", "--hostname=w1@%h", "--without-gossip", "--without-mingle")
	start(t, "celery-beat", project, env, venvPython(t), "-m", "celery", "-A", "shop", "beat",
		"--loglevel=INFO", "--schedule", filepath.Join(dir, "celerybeat-schedule"))
	site := startDjango(t, "CELERY_BROKER_URL="+broker)

	eventually(t, 90*time.Second, func() string {
		h := exp.heartbeats(t)
		if h["celery-beat"].State != "up" || h["celery-worker"].State != "up" || h["celery-beat"].Pings["success"] < 2 {
			return fmt.Sprintf("celery heartbeats not up yet: beat %+v, worker %+v", h["celery-beat"], h["celery-worker"])
		}
		return ""
	})
	wantMetric(t, exp.probe(t, site.url+"/ht/", ""), `probe_django_health_check_up{check="CeleryPingHealthCheck"}`, 1)

	// A task named in connect_celery reports its runs, failures included.
	call := func(args string) {
		cmd := exec.Command(venvPython(t), "-c", "from shop.tasks import nightly_report; nightly_report.apply_async(kwargs="+args+")")
		cmd.Dir = project
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("queueing a task: %v\n%s", err, out)
		}
	}
	call("{'fail': True, 'seconds': 0.1}")
	eventually(t, 30*time.Second, func() string {
		if h := exp.heartbeats(t)["nightly-report"]; h.State != "failed" || !strings.Contains(h.LastMessage, "the report database is unreachable") {
			return fmt.Sprintf("nightly-report after a failing run: %+v", h)
		}
		return ""
	})
	// Timed at the exporter, from the start ping to the end ping: both go
	// through the helper's background sender, so a little less than the
	// task slept may show.
	call("{'seconds': 0.3}")
	eventually(t, 30*time.Second, func() string {
		if h := exp.heartbeats(t)["nightly-report"]; h.State != "up" || h.Duration < 0.2 || h.Pings["start"] != 2 {
			return fmt.Sprintf("nightly-report after a good run: %+v", h)
		}
		return ""
	})

	// The worker dies: no task runs, no worker thread pings.
	worker.stop(syscall.SIGKILL)
	eventually(t, 30*time.Second, func() string {
		h := exp.heartbeats(t)
		if h["celery-beat"].State != "down" || h["celery-worker"].State != "down" {
			return fmt.Sprintf("after killing the worker: beat %s, worker %s", h["celery-beat"].State, h["celery-worker"].State)
		}
		return ""
	})
	_, metrics := get(t, exp.url+"/metrics")
	wantMetric(t, metrics, `heartbeat_up{heartbeat="celery-beat"}`, 0)
	wantMetric(t, metrics, `heartbeat_up{heartbeat="celery-worker"}`, 0)
	wantMetric(t, exp.probe(t, site.url+"/ht/", ""), `probe_django_health_check_up{check="CeleryPingHealthCheck"}`, 0)
}
