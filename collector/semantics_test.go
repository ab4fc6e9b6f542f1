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
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A configuration without a heartbeat (a restart on the built-in one, a
// reload without the name) keeps its record: its metrics go, the record
// stays, it is logged once, and when the name returns the heartbeat comes
// back whole: a dead job that was due is down, not "new" with a fresh
// grace period.
func TestRecordsOutliveTheConfiguration(t *testing.T) {
	e := newEnv(t, basicConfig)
	e.ok("POST", "/heartbeat/celery-beat/start")
	e.ok("POST", "/heartbeat/celery-beat")
	e.clock.advance(10 * time.Minute) // celery-beat is due (5m + 1m grace)
	if v := e.view("celery-beat"); v.State != StateDown {
		t.Fatalf("before: %s", v.State)
	}

	// Restart on the built-in configuration: no heartbeats at all.
	e.reopen("modules: {}\n")
	if views := e.hbs.Views(); len(views) != 0 {
		t.Errorf("heartbeats exported without configuration: %+v", views)
	}
	for k := range e.metrics() {
		if strings.Contains(k, "heartbeat=") {
			t.Errorf("a heartbeat left the configuration but is still exported: %s", k)
		}
	}
	retained := e.hbs.Retained()
	if len(retained) != 3 || retained[0].Name != "celery-beat" || !retained[0].Expires.Equal(e.clock.now().Add(30*24*time.Hour)) {
		t.Errorf("retained = %+v", retained)
	}
	if n := strings.Count(e.logs.String(), "Heartbeat is no longer in the configuration"); n != 3 {
		t.Errorf("%d warnings for 3 heartbeats leaving:\n%s", n, e.logs)
	}
	code, body := e.do("GET", "/api/v1/heartbeats", "")
	if code != 200 || !strings.Contains(body, `"retained": [`) || !strings.Contains(body, `"name":"nightly"`) {
		t.Errorf("the API lists the retained records: %s", body)
	}

	// A later restart with the name, after nightly's 02:30 slot and its
	// grace: everything is back, and both are down.
	e.clock.advance(14 * time.Hour)
	e.reopen(basicConfig)
	v := e.view("celery-beat")
	if v.State != StateDown || !v.LastSuccess.Equal(start) || v.Pings[wire.KindSuccess] != 1 || v.Pings[wire.KindStart] != 1 || v.LastDuration != 0 {
		t.Errorf("back after a restart: %+v", v)
	}
	if v := e.view("nightly"); v.State != StateDown || v.Why != "due 02:30 CET, never pinged" {
		t.Errorf("a never-pinged heartbeat that was due: %s %q", v.State, v.Why)
	}
	if len(e.hbs.Retained()) != 0 {
		t.Errorf("still retained: %+v", e.hbs.Retained())
	}

	// A reload without the name, then with it again: the same.
	e.apply("heartbeats:\n  - {name: celery-beat, interval: 5m, grace: 1m, labels: {team: web}}\n")
	if len(e.hbs.Views()) != 1 || len(e.hbs.Retained()) != 2 {
		t.Errorf("after a reload without two names: %d live, %d retained", len(e.hbs.Views()), len(e.hbs.Retained()))
	}
	e.apply(basicConfig)
	if v := e.view("nightly"); v.State != StateDown {
		t.Errorf("nightly after the reload: %s", v.State)
	}

	// Retention ends: the record goes, from the disk too.
	e.apply("heartbeat_defaults: {retention: 7d}\nheartbeats:\n  - {name: celery-beat, interval: 5m}\n")
	e.clock.advance(7*24*time.Hour + time.Minute)
	e.apply("heartbeat_defaults: {retention: 7d}\nheartbeats:\n  - {name: celery-beat, interval: 5m}\n")
	if r := e.hbs.Retained(); len(r) != 0 {
		t.Errorf("kept past retention: %+v", r)
	}
	e.reopen(basicConfig)
	if v := e.view("nightly"); v.State != StateNew {
		t.Errorf("a heartbeat whose record was dropped starts afresh: %s", v.State)
	}
}

// A success a little before a cron slot (clock skew, a job started
// early) counts for that slot, in every zone and across DST changes.
func TestEarlyMarginCountsForTheSlot(t *testing.T) {
	for _, tc := range []struct {
		zone, schedule string
		slot           time.Time // a scheduled run, in the zone
	}{
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC)},
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 3, 29, 3, 0, 0, 0, time.UTC)},   // spring forward: 02:30 is 03:00 CEST
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)}, // fall back: the first 02:30
		{"America/New_York", "0 2 * * *", time.Date(2026, 3, 8, 3, 0, 0, 0, time.UTC)},
		{"America/New_York", "*/15 * * * *", time.Date(2026, 11, 1, 1, 45, 0, 0, time.UTC)}, // the repeated hour
		{"Australia/Sydney", "0 9 * * 1-5", time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC)},
		{"Australia/Lord_Howe", "30 1 * * *", time.Date(2026, 4, 5, 1, 30, 0, 0, time.UTC)},
		{"UTC", "@hourly", time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.zone+" "+tc.schedule+" "+tc.slot.Format("2006-01-02"), func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			sched, err := config.ParseSchedule(tc.schedule, loc)
			if err != nil {
				t.Fatal(err)
			}
			// The test's slot is written in the zone's wall clock: find the
			// instant the schedule runs at on that day.
			wall := time.Date(tc.slot.Year(), tc.slot.Month(), tc.slot.Day(), tc.slot.Hour(), tc.slot.Minute(), 0, 0, loc)
			slot := sched.Next(wall.Add(-time.Minute))
			after := sched.Next(slot)
			yml := fmt.Sprintf("heartbeats:\n  - {name: job, schedule: %q, timezone: %s, grace: 10m}\n", tc.schedule, tc.zone)
			e := newEnv(t, yml)
			e.clock.t = slot.Add(-2 * time.Second)
			e.ok("POST", "/heartbeat/job")
			v := e.view("job")
			if !v.Expected.Equal(after) {
				t.Errorf("a success 2s before the %s slot expects %v, want the next slot %v", slot.In(loc), v.Expected.In(loc), after.In(loc))
			}
			e.clock.t = slot.Add(5 * time.Minute)
			if v := e.view("job"); v.State != StateUp {
				t.Errorf("5m after the slot it ran for early: %s %q", v.State, v.Why)
			}
			// With early_margin 0 the same success is the previous slot's.
			e.apply(fmt.Sprintf("heartbeats:\n  - {name: job, schedule: %q, timezone: %s, grace: 10m, early_margin: 0s}\n", tc.schedule, tc.zone))
			if v := e.view("job"); !v.Expected.Equal(slot) || v.State != StateLate {
				t.Errorf("early_margin 0: expected %v (%s), want %v late", v.Expected.In(loc), v.State, slot.In(loc))
			}
		})
	}
}

// The default early margin is the smaller of grace and a minute, and at
// most half the time between two runs; a longer one is refused.
func TestEarlyMarginDefaults(t *testing.T) {
	c, err := config.Load([]byte(`
heartbeats:
  - {name: a, schedule: "30 2 * * *", grace: 30m}
  - {name: b, schedule: "30 2 * * *", grace: 10s}
  - {name: c, schedule: "* * * * *", grace: 5m}
  - {name: d, interval: 1h}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{time.Minute, 10 * time.Second, 30 * time.Second, time.Minute} {
		if got := c.Heartbeats[i].EarlyMarginDuration(); got != want {
			t.Errorf("%s: early margin %v, want %v", c.Heartbeats[i].Name, got, want)
		}
	}
	_, err = config.Load([]byte("heartbeats:\n  - {name: a, schedule: '*/5 * * * *', early_margin: 5m}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2: heartbeats[0].early_margin: must be shorter than the 5m0s between two runs") {
		t.Errorf("an early margin as long as the schedule's period: %v", err)
	}
}

// failure_threshold: a flaky job that fails and succeeds on retry is not
// failed until that many runs in a row fail; heartbeat_consecutive_failures
// says how many have.
func TestFailureThreshold(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: flaky, interval: 1h, failure_threshold: 3}\n")
	lbl := "{heartbeat=flaky}"
	e.ok("POST", "/heartbeat/flaky")
	for i := 1; i <= 2; i++ {
		e.ok("POST", "/heartbeat/flaky/1")
		if v := e.view("flaky"); v.State != StateUp || v.ConsecutiveFailures != i {
			t.Errorf("after %d failure(s): %s, %d", i, v.State, v.ConsecutiveFailures)
		}
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 1, "heartbeat_consecutive_failures" + lbl: 2, "heartbeat_failure_threshold" + lbl: 3})
	e.ok("POST", "/heartbeat/flaky/fail")
	if v := e.view("flaky"); v.State != StateFailed || v.Why != "last run failed: fail ping (3 in a row, failure_threshold 3)" {
		t.Errorf("after 3 failures: %s %q", v.State, v.Why)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 0, "heartbeat_consecutive_failures" + lbl: 3})
	e.ok("POST", "/heartbeat/flaky/0")
	e.want(map[string]float64{"heartbeat_up" + lbl: 1, "heartbeat_consecutive_failures" + lbl: 0})
}

// min_runtime: a run that ends sooner is a failure, and says so.
func TestMinRuntime(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: backup, interval: 24h, min_runtime: 1m, max_runtime: 2h}\n")
	e.ok("POST", "/heartbeat/backup/start?rid=1")
	e.clock.advance(2 * time.Second)
	e.ok("POST", "/heartbeat/backup/0?rid=1")
	v := e.view("backup")
	if v.State != StateFailed || v.FailureReason != "finished suspiciously fast: in 2s, min_runtime 1m" || !v.LastSuccess.IsZero() {
		t.Errorf("a 2s backup: %s %q %v", v.State, v.FailureReason, v.LastSuccess)
	}
	e.ok("POST", "/heartbeat/backup/start?rid=2")
	e.clock.advance(10 * time.Minute)
	e.ok("POST", "/heartbeat/backup/0?rid=2")
	if v := e.view("backup"); v.State != StateUp || v.FailureReason != "" {
		t.Errorf("a 10m backup: %s %q", v.State, v.FailureReason)
	}
	// A success without a start measures no run: min_runtime cannot apply.
	e.ok("POST", "/heartbeat/backup")
	if v := e.view("backup"); v.State != StateUp {
		t.Errorf("a success without a run: %s", v.State)
	}
}

// A refused ping is logged, at most once a minute per heartbeat and
// reason, with how many were refused since.
func TestRefusedPingsAreLogged(t *testing.T) {
	e := newEnv(t, basicConfig)
	for range 5 {
		if code, _ := e.do("POST", "/heartbeat/secret", "", "Authorization", "Bearer wrong"); code != 401 {
			t.Fatal(code)
		}
	}
	e.do("POST", "/heartbeat/no-such-job", "")
	logs := e.logs.String()
	if n := strings.Count(logs, `msg="Heartbeat ping refused" heartbeat=secret reason=unauthorized`); n != 1 {
		t.Errorf("%d warnings for 5 bad tokens in a minute:\n%s", n, logs)
	}
	if !strings.Contains(logs, `heartbeat=no-such-job reason=unknown`) {
		t.Errorf("the unknown heartbeat is not logged:\n%s", logs)
	}
	e.clock.advance(61 * time.Second)
	e.do("POST", "/heartbeat/secret", "")
	if !strings.Contains(e.logs.String(), "heartbeat=secret reason=unauthorized detail=\"missing or wrong token: send Authorization: Bearer TOKEN or X-Heartbeat-Token: TOKEN\" remote=192.0.2.1:1234 refused_since_last_warning=4") {
		t.Errorf("the next warning says how many were held back:\n%s", e.logs)
	}
	// A flood of made-up names cannot grow the limiter past its size.
	for i := range 3000 {
		e.do("GET", fmt.Sprintf("/heartbeat/made-up-%d", i), "")
	}
	if n := len(e.hbs.warnings.last); n > 1000 {
		t.Errorf("the limiter holds %d keys", n)
	}
	reliability.Record(t, "heartbeats", "bad tokens, and 3,000 pings to made-up names", "one WARN a minute per heartbeat and reason; the limiter holds at most 1,000 names")
}

// The token may come in X-Heartbeat-Token, beside the web configuration's
// basic auth in Authorization.
func TestTokenHeader(t *testing.T) {
	e := newEnv(t, basicConfig)
	if code, _ := e.do("POST", "/heartbeat/secret", "", "Authorization", "Basic cHJvbTpzM2NyZXQ=", wire.TokenHeader, "s3cret"); code != 200 {
		t.Errorf("X-Heartbeat-Token beside basic auth: %d", code)
	}
	if code, _ := e.do("POST", "/heartbeat/secret", "", wire.TokenHeader, "wrong", "Authorization", "Bearer s3cret"); code != 401 {
		t.Errorf("a wrong X-Heartbeat-Token wins over Authorization: %d", code)
	}
}

// post_only: a heartbeat that takes POST pings only refuses a GET (any
// web page a browser opens can send one), and registers nothing with it.
func TestPostOnly(t *testing.T) {
	e := newEnv(t, `
heartbeat_defaults: {auto_register: true, post_only: true}
heartbeats:
  - {name: strict}
  - {name: lax, post_only: false}
`)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/heartbeat/strict", 405},
		{"HEAD", "/heartbeat/strict/start", 405},
		{"POST", "/heartbeat/strict", 200},
		{"GET", "/heartbeat/lax", 200},
		{"GET", "/heartbeat/new-one", 405},
	} {
		if code, _ := e.do(tc.method, tc.path, ""); code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, code, tc.code)
		}
	}
	for _, v := range e.hbs.Views() {
		if v.Name == "new-one" {
			t.Error("a refused GET registered a heartbeat")
		}
	}
	e.want(map[string]float64{"heartbeat_rejected_pings_total{reason=invalid}": 3})
}

// A ping refused for any reason (too large, invalid) registers nothing,
// and cannot fill max_heartbeats.
func TestRefusedPingsRegisterNothing(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true, max_heartbeats: 2}\n")
	big := strings.Repeat("x", hardBodyCap+1)
	for i := range 5 {
		if code, _ := e.do("POST", fmt.Sprintf("/heartbeat/too-big-%d", i), big); code != 413 {
			t.Errorf("too large: %d", code)
		}
		if code, _ := e.do("POST", fmt.Sprintf("/heartbeat/bad-action-%d/restart", i), ""); code != 400 {
			t.Errorf("bad action: %d", code)
		}
		if code, _ := e.do("POST", fmt.Sprintf("/heartbeat/bad-rid-%d?rid=%%ff", i), ""); code != 400 {
			t.Errorf("rid with invalid UTF-8: %d", code)
		}
	}
	if n := len(e.hbs.Views()); n != 0 {
		t.Errorf("%d heartbeats registered by refused pings", n)
	}
	reliability.Record(t, "heartbeats", "pings refused as too large, with a bad action or a rid of invalid UTF-8, with auto_register on", "refused (413, 400); no name registered, max_heartbeats not filled")
	e.ok("POST", "/heartbeat/real-1")
	e.ok("POST", "/heartbeat/real-2")
}

// A ping whose write fails (a full disk, a closed store) is answered 503
// and changes nothing: the client's retry does not count twice.
func TestFailedWriteChangesNothing(t *testing.T) {
	e := newEnv(t, basicConfig)
	e.ok("POST", "/heartbeat/celery-beat/start")
	before := e.view("celery-beat")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do("POST", "/heartbeat/celery-beat", "done"); code != 503 || !strings.Contains(body, "was not counted") {
		t.Errorf("a ping the store refused: %d %s", code, body)
	}
	after := e.view("celery-beat")
	if after.Pings[wire.KindSuccess] != before.Pings[wire.KindSuccess] || after.Running != 1 || after.State != before.State || !after.LastSuccess.IsZero() {
		t.Errorf("a refused write changed the heartbeat: before %+v\nafter %+v", before, after)
	}
	reliability.Record(t, "store", "a ping whose write fails (store closed)", "answered 503; the heartbeat unchanged in memory")
}
