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

// heartbeatSeries are the heartbeat series of one scrape, without the
// exporter's own.
func heartbeatSeries(e *env) map[string]float64 {
	out := map[string]float64{}
	for k, v := range e.metrics() {
		if strings.HasPrefix(k, "heartbeat_") && !strings.HasPrefix(k, "heartbeat_rejected") {
			out[k] = v
		}
	}
	return out
}

// A reload and a restart on the same configuration agree on every
// heartbeat series: a schedule changed by a reload does not keep the old
// schedule's slot, so a daily job pinged from two sources, moved onto
// every minute, does not read 2 sources and 2 runs per period until the
// old day ends (HeartbeatMultipleSources and HeartbeatRanTooOften would
// fire falsely).
func TestReloadAndRestartAgree(t *testing.T) {
	daily := "heartbeats:\n  - {name: job, schedule: \"0 0 * * *\", grace: 5m}\n"
	minutely := "heartbeats:\n  - {name: job, schedule: \"* * * * *\", grace: 5m}\n"
	e := newEnv(t, daily)
	e.ok("POST", "/heartbeat/job?source=beat-a")
	e.ok("POST", "/heartbeat/job?source=beat-b")
	e.want(map[string]float64{"heartbeat_sources{heartbeat=job}": 2, "heartbeat_runs_per_period{heartbeat=job}": 2})

	e.clock.advance(time.Minute) // the next minute began
	e.apply(minutely)
	reloaded := heartbeatSeries(e)
	e.reopen(minutely)
	restarted := heartbeatSeries(e)
	for k, v := range restarted {
		if got, ok := reloaded[k]; !ok || got != v {
			t.Errorf("%s: %v after the reload, %v after a restart", k, got, v)
		}
	}
	for k := range reloaded {
		if _, ok := restarted[k]; !ok {
			t.Errorf("%s only after the reload", k)
		}
	}
	if v := restarted["heartbeat_sources{heartbeat=job}"]; v != 0 {
		t.Errorf("sources after the move to every minute: %v", v)
	}
}

// A registration that changes the schedule resets the derived values
// too: the API and the file take one path.
func TestRegistrationChangeResetsTheSlot(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\n")
	put := func(body string) {
		t.Helper()
		if code, out := e.do("PUT", "/api/v1/heartbeats/job", body); code != 200 && code != 201 {
			t.Fatalf("PUT %s: %d %s", body, code, out)
		}
	}
	put(`{"schedule": "0 0 * * *"}`)
	e.ok("POST", "/heartbeat/job?source=a")
	e.ok("POST", "/heartbeat/job?source=b")
	e.want(map[string]float64{"heartbeat_sources{heartbeat=job}": 2})
	e.clock.advance(time.Minute)
	put(`{"schedule": "* * * * *"}`)
	e.want(map[string]float64{"heartbeat_sources{heartbeat=job}": 0, "heartbeat_runs_per_period{heartbeat=job}": 0})
}
