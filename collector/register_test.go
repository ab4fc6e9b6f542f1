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
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const registerConfig = `
heartbeat_defaults: {auto_register: true, max_heartbeats: 4, token: tok, expire_after: 1h}
heartbeats:
  - {name: configured, interval: 1h}
`

var auth = []string{"Authorization", "Bearer tok"}

// PUT /api/v1/heartbeats/{name} registers a heartbeat with its schedule;
// the file's names win, the defaults' token and auto_register are needed,
// max_heartbeats counts them; DELETE removes one; they outlive a restart.
func TestRegistrationAPI(t *testing.T) {
	e := newEnv(t, registerConfig)
	put := func(name, body string, header ...string) (int, string) {
		return e.do("PUT", "/api/v1/heartbeats/"+name, body, header...)
	}
	code, body := put("nightly-report", `{"schedule": "30 2 * * *", "timezone": "Europe/Berlin", "grace": "30m", "max_runtime": "1h", "labels": {"team": "data"}}`, auth...)
	if code != 201 || !strings.Contains(body, `"schedule": "30 2 * * *"`) || !strings.Contains(body, `"registered": true`) {
		t.Fatalf("register: %d %s", code, body)
	}
	if code, body := put("canary", `{"interval": "1m", "exclusive": true}`, auth...); code != 201 || !strings.Contains(body, `"exclusive": true`) {
		t.Errorf("register an exclusive interval heartbeat: %d %s", code, body)
	}
	e.do("DELETE", "/api/v1/heartbeats/canary", "", auth...)
	if code, _ := put("nightly-report", `{"schedule": "45 2 * * *", "timezone": "Europe/Berlin"}`, auth...); code != 200 {
		t.Errorf("update: %d", code)
	}
	if v := e.view("nightly-report"); v.Schedule != "45 2 * * *" || v.Grace != 60 {
		t.Errorf("after the update: %s, grace %v (the defaults')", v.Schedule, v.Grace)
	}
	registrationRefusals(t, put)
	put("worker-1", `{"interval": "1m"}`, auth...)
	put("worker-2", `{"interval": "1m"}`, auth...)
	if code, body := put("worker-3", `{"interval": "1m"}`, auth...); code != 403 || !strings.Contains(body, "max_heartbeats") {
		t.Errorf("over max_heartbeats: %d %s", code, body)
	}
	e.ok("POST", "/heartbeat/worker-1", auth...)
	e.want(map[string]float64{"heartbeat_interval_seconds{heartbeat=worker-1}": 60, "heartbeat_up{heartbeat=nightly-report}": 1}) // the update replaced the labels

	// A restart keeps them, registration and all.
	e.reopen(registerConfig)
	if v := e.view("nightly-report"); v.Schedule != "45 2 * * *" || v.Timezone != "Europe/Berlin" || !v.Registered {
		t.Errorf("after a restart: %+v", v)
	}
	if code, _ := e.do("DELETE", "/api/v1/heartbeats/worker-2", "", auth...); code != 204 {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/v1/heartbeats/configured", "", auth...); code != 409 {
		t.Errorf("DELETE of a configured heartbeat: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/v1/heartbeats/worker-2", "", auth...); code != 404 {
		t.Errorf("DELETE twice: %d", code)
	}
	e.reopen(registerConfig)
	for _, v := range e.hbs.Views() {
		if v.Name == "worker-2" {
			t.Error("a deleted heartbeat came back after a restart")
		}
	}

	// expire_after: worker-1 pinged; nightly-report never pinged and was
	// registered an hour and more ago: it goes, the others stay.
	e.clock.advance(61 * time.Minute)
	e.ok("POST", "/heartbeat/worker-1", auth...)
	e.hbs.maintained.Store(0)
	e.metrics()
	names := map[string]bool{}
	for _, v := range e.hbs.Views() {
		names[v.Name] = true
	}
	if !names["worker-1"] || names["nightly-report"] || !names["configured"] {
		t.Errorf("after expire_after: %v", names)
	}
	// Registration needs auto_register.
	e.apply("heartbeats:\n  - {name: configured, interval: 1h}\n")
	if code, body := put("y", `{"interval": "5m"}`); code != 403 || !strings.Contains(body, "auto_register") {
		t.Errorf("without auto_register: %d %s", code, body)
	}
}

// ?metric=NAME:VALUE keeps numbers a job reports, ?source= who sent a
// ping; heartbeat_sources and heartbeat_runs_per_period say when two
// senders run the same job.
func TestValuesSourcesAndRunsPerPeriod(t *testing.T) {
	e := newEnv(t, `
heartbeats:
  - {name: import, interval: 10m, exclusive: true}
  - {name: nightly, schedule: "30 2 * * *", timezone: Europe/Berlin, grace: 10m}
  - {name: workers, interval: 1m}
  - {name: loose, schedule: "0 * * * *", exclusive: false}
`)
	// An interval heartbeat is not exclusive unless it says so (every
	// worker pings this one): neither series, two senders are its
	// nature, not a double run. A schedule is, unless it says not.
	e.ok("POST", "/heartbeat/loose")
	e.ok("POST", "/heartbeat/workers?source=w1")
	e.ok("POST", "/heartbeat/workers?source=w2")
	got := e.metrics()
	for _, series := range []string{"heartbeat_sources{heartbeat=workers}", "heartbeat_runs_per_period{heartbeat=workers}",
		"heartbeat_sources{heartbeat=loose}", "heartbeat_runs_per_period{heartbeat=loose}"} {
		if _, ok := got[series]; ok {
			t.Errorf("%s exported for a heartbeat that is not exclusive", series)
		}
	}
	if _, ok := got["heartbeat_up{heartbeat=workers}"]; !ok {
		t.Error("heartbeat_up missing for the heartbeat that is not exclusive")
	}
	if _, ok := got["heartbeat_sources{heartbeat=nightly}"]; !ok {
		t.Error("heartbeat_sources missing for a schedule")
	}
	if v := e.view("workers"); v.Exclusive || len(v.Sources) != 2 {
		t.Errorf("the view of a heartbeat that is not exclusive: %+v", v)
	}
	e.ok("POST", "/heartbeat/import?metric=rows:1234&metric=seconds:12.5&source=beat-a")
	e.want(map[string]float64{
		"heartbeat_last_value{heartbeat=import,metric=rows}":    1234,
		"heartbeat_last_value{heartbeat=import,metric=seconds}": 12.5,
		"heartbeat_sources{heartbeat=import}":                   1,
	})
	for _, bad := range []string{"metric=Rows:1", "metric=rows", "metric=rows:many", "metric=1rows:1"} {
		if code, _ := e.do("POST", "/heartbeat/import?"+bad, ""); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
	var many []string
	for i := range 11 {
		many = append(many, fmt.Sprintf("metric=m%d:%d", i, i))
	}
	if code, _ := e.do("POST", "/heartbeat/import?"+strings.Join(many, "&"), ""); code != 400 {
		t.Errorf("11 metrics: %d", code)
	}
	// One sender every 10 minutes: one run per period.
	for range 4 {
		e.clock.advance(10 * time.Minute)
		e.ok("POST", "/heartbeat/import?source=beat-a")
	}
	e.want(map[string]float64{"heartbeat_sources{heartbeat=import}": 1, "heartbeat_runs_per_period{heartbeat=import}": 1})
	// A second beat: every run twice, from two senders.
	for range 3 {
		e.clock.advance(10 * time.Minute)
		e.ok("POST", "/heartbeat/import?source=beat-a")
		e.clock.advance(time.Second)
		e.ok("POST", "/heartbeat/import?source=beat-b")
	}
	e.want(map[string]float64{"heartbeat_sources{heartbeat=import}": 2, "heartbeat_runs_per_period{heartbeat=import}": 2})
	nightlyRunsPerSlot(e)

	code, body := e.do("GET", "/api/v1/heartbeats/import", "")
	var v HeartbeatView
	if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil || v.Values["rows"] != 1234 || len(v.Sources) != 2 {
		t.Errorf("GET one: %d %v %+v", code, err, v)
	}
}

// nightlyRunsPerSlot: a nightly job run twice in its slot reads 2 runs
// from 2 sources; the next night, once, reads 1 again.
func nightlyRunsPerSlot(e *env) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	e.clock.t = time.Date(2026, 11, 22, 2, 30, 10, 0, berlin)
	e.ok("POST", "/heartbeat/nightly?source=beat-a")
	e.want(map[string]float64{"heartbeat_runs_per_period{heartbeat=nightly}": 1})
	e.clock.advance(5 * time.Second)
	e.ok("POST", "/heartbeat/nightly?source=beat-b")
	e.want(map[string]float64{"heartbeat_runs_per_period{heartbeat=nightly}": 2, "heartbeat_sources{heartbeat=nightly}": 2})
	// The next night, once: 1 again.
	e.clock.t = time.Date(2026, 11, 23, 2, 30, 3, 0, berlin)
	e.ok("POST", "/heartbeat/nightly?source=beat-a")
	e.want(map[string]float64{"heartbeat_runs_per_period{heartbeat=nightly}": 1, "heartbeat_sources{heartbeat=nightly}": 1})
}

// registrationRefusals: what a registration may not do, and what the
// answer says.
func registrationRefusals(t *testing.T, put func(name, body string, header ...string) (int, string)) {
	t.Helper()
	for _, tc := range []struct {
		name, body string
		header     []string
		code       int
		says       string
	}{
		{"configured", `{"interval": "5m"}`, auth, 409, "configuration file"},
		{"x", `{"interval": "5m"}`, nil, 401, "token"},
		{"x", `{"interval": "5m", "schedule": "@daily"}`, auth, 400, "give interval or schedule"},
		{"x", `{"schedule": "61 * * * *"}`, auth, 400, "invalid cron schedule"},
		{"x", `{"interval": "5m", "colour": "blue"}`, auth, 400, "unknown field"},
		{"x", `{"interval": "5m", "labels": {"bad-label": "x"}}`, auth, 400, "invalid label name"},
		{"bad%20name", `{"interval": "5m"}`, auth, 400, "invalid heartbeat name"},
	} {
		if code, body := put(tc.name, tc.body, tc.header...); code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("PUT %s %s: %d %s, want %d %q", tc.name, tc.body, code, body, tc.code, tc.says)
		}
	}
}

// Autoscaled workers come and go; those killed without a goodbye (OOM,
// kill -9, a lost node) never unregister. A registration's own
// expire_after (the Celery helper sets one for each worker) removes them
// once silent, with no expire_after in heartbeat_defaults: 1,000 worker
// restarts leave the live workers' heartbeats only, and survive a restart
// of the exporter in between.
func TestKilledWorkersExpire(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: start}, logs: &syncBuffer{}, basic: true}
	e.open()
	e.apply("heartbeat_defaults: {auto_register: true, max_heartbeats: 2000}\n")
	const restarts = 1000
	series := func() int {
		n := 0
		for s := range e.metrics() {
			if strings.HasPrefix(s, "heartbeat_") && strings.Contains(s, "heartbeat=celery-worker@") {
				n++
			}
		}
		return n
	}
	for i := range restarts {
		name := fmt.Sprintf("celery-worker@w%d@pod-%d", i%4, i)
		if code, body := e.do("PUT", "/api/v1/heartbeats/"+name, `{"interval": "10s", "expire_after": "1h", "labels": {"celery": "worker"}}`); code != 201 {
			t.Fatalf("register %s: %d %s", name, code, body)
		}
		e.ok("POST", "/heartbeat/"+name)
		e.clock.advance(2 * time.Second) // a pod every two seconds, then killed
	}
	before := series()
	e.reopen("heartbeat_defaults: {auto_register: true, max_heartbeats: 2000}\n")
	// The four live workers keep pinging; the others are gone.
	for range 70 {
		e.clock.advance(time.Minute)
		for w := range 4 {
			e.ok("POST", fmt.Sprintf("/heartbeat/celery-worker@w%d@pod-%d", w, restarts-4+w))
		}
	}
	after := series()
	t.Logf("%d worker restarts: %d series for their heartbeats before expire_after, %d an hour later (4 live workers)", restarts, before, after)
	if n := len(e.hbs.list()); n != 4 || after > 4*6 {
		t.Errorf("after the hour: %d heartbeats and %d series, want the 4 live workers' only", n, after)
	}
}
