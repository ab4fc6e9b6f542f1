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

package config

import (
	"strings"
	"testing"
	"time"
)

// A YAML syntax error names the line it is on, not the line where the
// enclosing block began (yaml.v3 says line 1 for these).
func TestSyntaxErrorNamesItsLine(t *testing.T) {
	for yml, want := range map[string]string{
		"heartbeats:\n  - name: a\n    interval: 1m\n  - name: b\n   interval: 1m\n": "line 5: did not find expected '-' indicator",
		"modules:\n  django:\n    timeout: 5s\n   http: {}\nheartbeats: []\n":        "line 4: did not find expected key",
		"heartbeats:\n  - {name: a, interval: 1m}\n  - name: b\n     interval: 5m\n": "line 4: mapping values are not allowed in this context",
	} {
		if _, err := Load([]byte(yml)); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: %v, want %s", yml, err, want)
		}
	}
}

// schedule takes one cron line or a list: the heartbeat is due at the
// earliest next slot of any.
func TestScheduleList(t *testing.T) {
	c, err := Load([]byte(`
heartbeats:
  - name: report
    schedule: ["0 2 * * 1-5", "0 6 * * 6,0"]
    timezone: Europe/Berlin
  - {name: one, schedule: "30 2 * * *"}
`))
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s := c.Heartbeats[0].CronSchedule()
	for from, want := range map[time.Time]time.Time{
		time.Date(2026, 12, 4, 3, 0, 0, 0, berlin): time.Date(2026, 12, 5, 6, 0, 0, 0, berlin), // Friday after 02:00: Saturday 06:00
		time.Date(2026, 12, 6, 7, 0, 0, 0, berlin): time.Date(2026, 12, 7, 2, 0, 0, 0, berlin), // Sunday after 06:00: Monday 02:00
	} {
		if got := s.Next(from); !got.Equal(want) {
			t.Errorf("Next(%v) = %v, want %v", from, got, want)
		}
	}
	if got := c.Heartbeats[0].Schedule.String(); got != "0 2 * * 1-5; 0 6 * * 6,0" {
		t.Errorf("String() = %q", got)
	}
	out, err := MarshalRedacted(c.Heartbeats[1])
	if err != nil || !strings.Contains(string(out), `schedule: 30 2 * * *`) {
		t.Errorf("one line marshals as a string: %s %v", out, err)
	}
	_, err = Load([]byte("heartbeats:\n  - {name: bad, schedule: [\"0 2 * * *\", \"61 * * * *\"]}\n"))
	if err == nil || !strings.Contains(err.Error(), `heartbeats[0].schedule: invalid cron schedule`) || !strings.Contains(err.Error(), `"61 * * * *"`) {
		t.Errorf("a bad line in a list: %v", err)
	}
}
