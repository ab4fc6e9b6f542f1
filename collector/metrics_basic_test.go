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
	"sort"
	"strings"
	"testing"
	"time"
)

// basicStates are heartbeats in each state the mixin tells apart, each
// configured twice: NAME with the default metrics: basic, NAME-detailed
// with metrics: detailed. Both get the same pings.
const basicStates = `
heartbeats:
  - {name: never, interval: 1h}
  - {name: fresh, interval: 1h}
  - {name: timed, interval: 1h, max_runtime: 10m}
  - {name: running, interval: 1h, max_runtime: 30m}
  - {name: overrun, interval: 1h, max_runtime: 10m}
  - {name: failing, interval: 1h, failure_threshold: 2}
  - {name: once-failed, interval: 1h, failure_threshold: 2}
  - {name: paused, interval: 1h}
  - {name: twice, schedule: "0 * * * *"}
  - {name: late, interval: 5m, grace: 1m}
`

func detailedTwins(yml string) string {
	var out []string
	for line := range strings.SplitSeq(yml, "\n") {
		out = append(out, line)
		if name, ok := strings.CutPrefix(line, "  - {name: "); ok {
			name, rest, _ := strings.Cut(name, ",")
			out = append(out, "  - {name: "+name+"-detailed, metrics: detailed,"+rest)
		}
	}
	return strings.Join(out, "\n")
}

// Every heartbeat costs at most 6 series in the basic set, in each state
// the mixin alerts on; each basic series has the value the detailed set
// gives it; and the detailed set is still whole.
func TestBasicMetricsAreFewAndTrue(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: start}, logs: &syncBuffer{}, basic: true}
	e.open()
	e.apply(detailedTwins(basicStates))
	for _, suffix := range []string{"", "-detailed"} {
		ping := func(name, rest string) { e.ok("POST", "/heartbeat/"+name+suffix+rest) }
		ping("fresh", "")
		ping("timed", "/start?rid=1")
		ping("running", "")
		ping("overrun", "")
		ping("failing", "/fail")
		ping("failing", "/fail")
		ping("once-failed", "")
		ping("once-failed", "/fail")
		ping("twice", "?source=beat-a")
		ping("twice", "?source=beat-b")
		ping("late", "")
		if code, body := e.do("POST", "/api/v1/heartbeats/paused"+suffix+"/pause", `{"for": "2h"}`); code != 200 {
			t.Fatalf("pause: %d %s", code, body)
		}
	}
	e.clock.advance(2 * time.Minute)
	for _, suffix := range []string{"", "-detailed"} {
		e.ok("POST", "/heartbeat/timed"+suffix+"?rid=1")
		e.ok("POST", "/heartbeat/running"+suffix+"/start")
		e.ok("POST", "/heartbeat/overrun"+suffix+"/start")
	}
	e.clock.advance(15 * time.Minute)

	got := e.metrics()
	byHeartbeat := map[string][]string{}
	for series := range got {
		if _, after, ok := strings.Cut(series, "heartbeat="); ok && strings.HasPrefix(series, "heartbeat_") {
			name, _, _ := strings.Cut(strings.TrimSuffix(after, "}"), ",")
			byHeartbeat[name] = append(byHeartbeat[name], series)
		}
	}
	for _, name := range []string{"never", "fresh", "timed", "running", "overrun", "failing", "once-failed", "paused", "twice", "late"} {
		basic, detailed := byHeartbeat[name], byHeartbeat[name+"-detailed"]
		sort.Strings(basic)
		if len(basic) > 6 {
			t.Errorf("%s: %d basic series, want at most 6:\n%s", name, len(basic), strings.Join(basic, "\n"))
		}
		if len(detailed) < 20 {
			t.Errorf("%s-detailed: only %d series", name, len(detailed))
		}
		for _, s := range basic {
			twin := strings.Replace(s, "heartbeat="+name, "heartbeat="+name+"-detailed", 1)
			if got[s] != got[twin] {
				t.Errorf("%s = %v, but detailed says %v", s, got[s], got[twin])
			}
		}
		t.Logf("%s: %d series basic, %d detailed", name, len(basic), len(detailed))
	}
	// The exporter-wide count by kind ("Pings by kind" on basic) is what
	// the heartbeats counted: each twin got the same pings.
	for _, kind := range []string{"success", "start", "fail"} {
		perHeartbeat := 0.0
		for series, v := range got {
			if strings.HasPrefix(series, "heartbeat_pings_total{") && strings.Contains(series, "-detailed,kind="+kind+"}") {
				perHeartbeat += v
			}
		}
		if total := got["django_health_exporter_heartbeat_pings_total{kind="+kind+"}"]; total != 2*perHeartbeat || total == 0 {
			t.Errorf("django_health_exporter_heartbeat_pings_total{kind=%s} = %v, want %v", kind, total, 2*perHeartbeat)
		}
	}
	// The series the mixin's alerts need are there in their states.
	for _, s := range []string{
		"heartbeat_consecutive_failures{heartbeat=failing}",
		"heartbeat_last_failure_timestamp_seconds{heartbeat=once-failed}",
		"heartbeat_running_since_timestamp_seconds{heartbeat=running}",
		"heartbeat_max_runtime_seconds{heartbeat=overrun}",
		"heartbeat_last_duration_seconds{heartbeat=timed}",
		"heartbeat_paused{heartbeat=paused}",
		"heartbeat_sources{heartbeat=twice}",
		"heartbeat_runs_per_period{heartbeat=twice}",
	} {
		if _, ok := got[s]; !ok {
			t.Errorf("%s is missing from the basic set", s)
		}
	}
	for _, s := range []string{
		"heartbeat_consecutive_failures{heartbeat=once-failed}", // below its threshold
		"heartbeat_max_runtime_seconds{heartbeat=running}",      // within it
		"heartbeat_pings_total{heartbeat=fresh,kind=success}",
		fmt.Sprintf("heartbeat_interval_seconds{heartbeat=%s}", "fresh"),
	} {
		if _, ok := got[s]; ok {
			t.Errorf("%s is in the basic set", s)
		}
	}
}
