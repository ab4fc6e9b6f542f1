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

// A heartbeat paused for 30 minutes is not late while paused (pings are
// still recorded), and is due a full interval plus grace after the pause
// ends: never down the moment it ends.
func TestPauseFor(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: job, interval: 5m, grace: 1m}\n")
	e.ok("POST", "/heartbeat/job")
	e.clock.advance(20 * time.Minute) // long past due
	e.want(map[string]float64{"heartbeat_up{heartbeat=job}": 0, "heartbeat_paused{heartbeat=job}": 0})
	if code, body := e.do("POST", "/api/v1/heartbeats/job/pause", `{"for": "30m"}`); code != 200 || !strings.Contains(body, `"paused": true`) || !strings.Contains(body, `"state": "paused"`) {
		t.Fatalf("pause: %d %s", code, body)
	}
	e.want(map[string]float64{"heartbeat_up{heartbeat=job}": 1, "heartbeat_paused{heartbeat=job}": 1})
	if v := e.view("job"); v.State != StatePaused || !strings.HasPrefix(v.Why, "paused until ") {
		t.Errorf("paused: %s %q", v.State, v.Why)
	}
	e.ok("POST", "/heartbeat/job/log") // recorded while paused
	if v := e.view("job"); v.Pings["log"] != 1 || v.State != StatePaused {
		t.Errorf("a ping while paused: %+v", v)
	}
	e.clock.advance(30 * time.Minute) // the pause ends
	e.want(map[string]float64{"heartbeat_up{heartbeat=job}": 1, "heartbeat_paused{heartbeat=job}": 0})
	e.clock.advance(5*time.Minute + 59*time.Second) // within interval + grace of the end
	e.want(map[string]float64{"heartbeat_up{heartbeat=job}": 1})
	e.clock.advance(2 * time.Second)
	e.want(map[string]float64{"heartbeat_up{heartbeat=job}": 0})
}

// Without a time, a pause lasts until the next ping; DELETE resumes; a
// restart keeps a pause.
func TestPauseUntilNextPingAndResume(t *testing.T) {
	yml := "heartbeats:\n  - {name: job, interval: 5m, grace: 1m}\n  - {name: other, interval: 5m}\n"
	e := newEnv(t, yml)
	if code, body := e.do("POST", "/api/v1/heartbeats/job/pause", ""); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	e.clock.advance(3 * time.Hour)
	e.reopen(yml)
	if v := e.view("job"); v.State != StatePaused || v.Why != "paused until the next ping" {
		t.Errorf("after 3 hours and a restart: %s %q", v.State, v.Why)
	}
	e.ok("POST", "/heartbeat/job/start") // the job runs again
	if v := e.view("job"); v.Paused {
		t.Errorf("a ping did not end the pause: %+v", v)
	}
	e.do("POST", "/api/v1/heartbeats/other/pause", `{"until": "`+e.clock.now().Add(time.Hour).Format(time.RFC3339)+`"}`)
	e.clock.advance(10 * time.Minute)
	if code, _ := e.do("DELETE", "/api/v1/heartbeats/other/pause", ""); code != 200 {
		t.Errorf("resume: %d", code)
	}
	v := e.view("other")
	if v.Paused || !v.Deadline.Equal(e.clock.now().Add(6*time.Minute)) {
		t.Errorf("after resume: paused %v, deadline %v (now %v)", v.Paused, v.Deadline, e.clock.now())
	}
}

// What a pause may not be, and who may ask.
func TestPauseRefusals(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {token: deploy}\nheartbeats:\n  - {name: job, interval: 5m, token: own}\n")
	past := e.clock.now().Add(-time.Minute).Format(time.RFC3339)
	for _, tc := range []struct {
		name, body, token string
		code              int
		says              string
	}{
		{"job", `{"for": "30m"}`, "", 401, "token"},
		{"job", `{"for": "30m"}`, "wrong", 401, "token"},
		{"job", `{"for": "30m", "until": "` + past + `"}`, "own", 400, "not both"},
		{"job", `{"for": "soon"}`, "own", 400, "invalid for"},
		{"job", `{"until": "tomorrow"}`, "own", 400, "invalid until"},
		{"job", `{"until": "` + past + `"}`, "own", 400, "end before it began"},
		{"job", `{"colour": "blue"}`, "own", 400, "unknown field"},
		{"nope", `{"for": "30m"}`, "deploy", 404, "no heartbeat"},
		{"job", `{"for": "30m"}`, "own", 200, `"paused": true`},
		{"job", `{"for": "1h"}`, "deploy", 200, `"paused": true`},
	} {
		code, body := e.do("POST", "/api/v1/heartbeats/"+tc.name+"/pause", tc.body, "Authorization", "Bearer "+tc.token)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("pause %s %s (token %q): %d %s, want %d %q", tc.name, tc.body, tc.token, code, body, tc.code, tc.says)
		}
	}
}

// A maintenance window pauses the heartbeats it names while it is open,
// and they are due a full interval plus grace after it closes.
func TestMaintenanceWindowPauses(t *testing.T) {
	e := newEnv(t, `
heartbeats:
  - {name: celery-beat, interval: 5m, grace: 1m}
  - {name: nightly, interval: 5m, grace: 1m, labels: {team: data}}
  - {name: web, interval: 5m, grace: 1m}
maintenance:
  - {name: patching, schedule: "30 12 * * *", duration: 1h, heartbeats: ["celery-*"], labels: {team: data}}
`)
	for _, n := range []string{"celery-beat", "nightly", "web"} {
		e.ok("POST", "/heartbeat/"+n)
	}
	e.clock.advance(40 * time.Minute) // 12:40, in the window, everything silent
	e.want(map[string]float64{
		"heartbeat_paused{heartbeat=celery-beat}": 1, "heartbeat_up{heartbeat=celery-beat}": 1,
		"heartbeat_paused{heartbeat=nightly,team=data}": 1,
		"heartbeat_paused{heartbeat=web}":               0, "heartbeat_up{heartbeat=web}": 0,
	})
	if v := e.view("celery-beat"); v.State != StatePaused || len(v.Maintenance) != 1 || !strings.HasPrefix(v.Why, "maintenance window patching, paused until 13:30") {
		t.Errorf("in the window: %s %v %q", v.State, v.Maintenance, v.Why)
	}
	e.clock.advance(50 * time.Minute) // 13:30: the window closed
	e.want(map[string]float64{"heartbeat_paused{heartbeat=celery-beat}": 0, "heartbeat_up{heartbeat=celery-beat}": 1})
	e.clock.advance(6*time.Minute + time.Second) // 13:36:01: interval plus grace after it closed
	e.want(map[string]float64{"heartbeat_up{heartbeat=celery-beat}": 0})
}
