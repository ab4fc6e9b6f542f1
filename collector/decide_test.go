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

package collector

import (
	"strings"
	"testing"
	"time"
)

// A success ping's body decides, with keywords: a failure keyword makes
// it a failure, and with success keywords one must be there. The message
// and the API say which keyword decided.
func TestKeywordsDecide(t *testing.T) {
	e := newEnv(t, `
heartbeat_defaults: {failure_keywords: [Traceback]}
heartbeats:
  - {name: backup, interval: 1h, success_keywords: ["backup complete"], failure_keywords: [ERROR, Traceback]}
  - {name: report, interval: 1h}
`)
	post := func(path, body string) HeartbeatView {
		t.Helper()
		if code, out := e.do("POST", path, body); code != 200 {
			t.Fatalf("%s: %d %s", path, code, out)
		}
		return e.view(strings.Split(path, "/")[2])
	}
	if v := post("/heartbeat/backup/0", "copying...\nbackup complete\n"); v.State != StateUp || v.Keyword != "backup complete" {
		t.Errorf("a success keyword: %s %q %q", v.State, v.Keyword, v.FailureReason)
	}
	if v := post("/heartbeat/backup/0", "copying...\nERROR: disk full\nbackup complete\n"); v.State != StateFailed || v.FailureReason != `failure keyword "ERROR" in the message` || v.Keyword != "ERROR" {
		t.Errorf("a failure keyword: %s %q %q", v.State, v.FailureReason, v.Keyword)
	}
	if v := post("/heartbeat/backup", "copying..."); v.State != StateFailed || !strings.Contains(v.FailureReason, "no success keyword") {
		t.Errorf("no success keyword: %s %q", v.State, v.FailureReason)
	}
	// From the defaults; a start or log ping is never decided by its body.
	if v := post("/heartbeat/report/log", "Traceback (most recent call last)"); v.State == StateFailed {
		t.Errorf("a log ping was decided: %s", v.State)
	}
	if v := post("/heartbeat/report", "Traceback (most recent call last)"); v.State != StateFailed {
		t.Errorf("the defaults' failure keyword: %s %q", v.State, v.FailureReason)
	}
}

// recovery_threshold: a failed heartbeat needs that many successes in a
// row to be up again.
func TestRecoveryThreshold(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: flaky, interval: 1h, recovery_threshold: 3}\n")
	e.ok("POST", "/heartbeat/flaky/fail")
	for i := 1; i <= 3; i++ {
		e.clock.advance(time.Minute)
		e.ok("POST", "/heartbeat/flaky")
		v := e.view("flaky")
		if i < 3 && (v.State != StateFailed || !strings.Contains(v.Why, "recovering: ")) {
			t.Errorf("after %d successes: %s %q", i, v.State, v.Why)
		}
		if i == 3 && v.State != StateUp {
			t.Errorf("after 3 successes: %s %q", v.State, v.Why)
		}
	}
	e.want(map[string]float64{"heartbeat_up{heartbeat=flaky}": 1})
	// A failure in between starts the count again.
	e.ok("POST", "/heartbeat/flaky/fail")
	e.ok("POST", "/heartbeat/flaky")
	e.ok("POST", "/heartbeat/flaky/fail")
	e.ok("POST", "/heartbeat/flaky")
	e.ok("POST", "/heartbeat/flaky")
	if v := e.view("flaky"); v.State != StateFailed {
		t.Errorf("two successes after a failure: %s", v.State)
	}
}

// A progress ping keeps a long run alive: its max_runtime restarts from
// the ping, while the run's duration still counts from its start.
func TestProgressKeepsARunAlive(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: import, interval: 1h, max_runtime: 30s}\n")
	e.ok("POST", "/heartbeat/import/start?rid=r1")
	e.clock.advance(25 * time.Second)
	e.ok("POST", "/heartbeat/import/progress?rid=r1")
	e.clock.advance(25 * time.Second) // 50 s into the run, 25 s after the progress
	if v := e.view("import"); v.State != StateRunning {
		t.Errorf("50 s into a run with progress at 25 s: %s %q", v.State, v.Why)
	}
	e.clock.advance(6 * time.Second)
	if v := e.view("import"); v.State != StateDown || !strings.Contains(v.Why, "max_runtime 30s") {
		t.Errorf("31 s after the last progress: %s %q", v.State, v.Why)
	}
	e.ok("POST", "/heartbeat/import/progress") // no rid: the only open run
	e.ok("POST", "/heartbeat/import/0?rid=r1")
	if v := e.view("import"); v.LastDuration != 56 || v.Pings["progress"] != 2 || v.State != StateUp {
		t.Errorf("after the end: duration %v, progress pings %d, %s", v.LastDuration, v.Pings["progress"], v.State)
	}
}

// wait_seconds keeps the largest value reported since the previous
// scrape: canaries that waited in a backlog drain at once, and the last
// (smallest) wait must not hide it.
func TestWaitSecondsKeepsThePeakBetweenScrapes(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: celery-queue-reports, interval: 1m}\n")
	e.metrics() // a scrape
	for _, wait := range []string{"0.5", "14.9", "3.2", "0.03"} {
		e.clock.advance(10 * time.Millisecond)
		e.ok("POST", "/heartbeat/celery-queue-reports?metric=wait_seconds:"+wait+"&metric=rows:"+wait)
	}
	e.want(map[string]float64{
		"heartbeat_last_value{heartbeat=celery-queue-reports,metric=wait_seconds}": 14.9,
		"heartbeat_last_value{heartbeat=celery-queue-reports,metric=rows}":         0.03, // any other number: its last
	})
	// After the scrape, a new period: the next wait is what counts.
	e.clock.advance(time.Second)
	e.ok("POST", "/heartbeat/celery-queue-reports?metric=wait_seconds:0.2")
	e.want(map[string]float64{"heartbeat_last_value{heartbeat=celery-queue-reports,metric=wait_seconds}": 0.2})
}

// A heartbeat with several schedules is due at the earliest next slot of
// any; a registration may give the list too.
func TestSeveralSchedules(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\nheartbeats:\n  - {name: report, schedule: [\"0 13 * * *\", \"30 12 * * *\"], grace: 1m}\n")
	// start is 12:00 UTC: 12:30 comes before 13:00.
	if v := e.view("report"); !v.Expected.Equal(start.Add(30*time.Minute)) || v.Schedule != "0 13 * * *; 30 12 * * *" {
		t.Errorf("expected %v, schedule %q", v.Expected, v.Schedule)
	}
	e.clock.advance(31 * time.Minute)
	e.ok("POST", "/heartbeat/report")
	if v := e.view("report"); !v.Expected.Equal(start.Add(time.Hour)) {
		t.Errorf("after the 12:30 run, expected %v", v.Expected)
	}
	if code, body := e.do("PUT", "/api/v1/heartbeats/shifts", `{"schedule": ["0 6 * * *", "0 18 * * *"]}`); code != 201 || !strings.Contains(body, `"schedule": "0 6 * * *; 0 18 * * *"`) {
		t.Errorf("a registration with two schedules: %d %s", code, body)
	}
}
