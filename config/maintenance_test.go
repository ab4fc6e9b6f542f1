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

func TestMaintenanceWindows(t *testing.T) {
	c, err := Load([]byte(`
targets:
  - {name: shop-home, url: "https://shop.example.com/", labels: {team: web}}
  - {name: blog, url: "https://blog.example.com/"}
heartbeats:
  - {name: celery-beat, interval: 1m}
  - {name: nightly, interval: 1d, labels: {team: data}}
maintenance:
  - {name: sunday, schedule: "0 2 * * sun", duration: 2h, timezone: Europe/Berlin, targets: [blog], heartbeats: ["celery-*"]}
  - {name: data, schedule: "0 * * * *", duration: 10m, labels: {team: data}}
`))
	if err != nil {
		t.Fatal(err)
	}
	sunday, data := c.Maintenance[0], c.Maintenance[1]
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tc := range []struct {
		at   time.Time
		open bool
		end  time.Time
	}{
		{time.Date(2026, 11, 29, 1, 59, 0, 0, berlin), false, time.Date(2026, 11, 22, 4, 0, 0, 0, berlin)},
		{time.Date(2026, 11, 29, 2, 0, 0, 0, berlin), true, time.Date(2026, 11, 29, 4, 0, 0, 0, berlin)},
		{time.Date(2026, 11, 29, 3, 59, 59, 0, berlin), true, time.Date(2026, 11, 29, 4, 0, 0, 0, berlin)},
		{time.Date(2026, 11, 29, 4, 0, 0, 0, berlin), false, time.Date(2026, 11, 29, 4, 0, 0, 0, berlin)},
	} {
		open, end := sunday.Open(tc.at)
		if open != tc.open || !end.Equal(tc.end) {
			t.Errorf("at %v: open %v until %v, want %v %v", tc.at, open, end, tc.open, tc.end)
		}
	}
	if got := sunday.LastEnd(time.Date(2026, 11, 30, 9, 0, 0, 0, berlin)); !got.Equal(time.Date(2026, 11, 29, 4, 0, 0, 0, berlin)) {
		t.Errorf("last end: %v", got)
	}
	if ws := c.WindowsFor(c.Heartbeats[0]); len(ws) != 1 || ws[0] != sunday {
		t.Errorf("celery-beat is in %v", ws)
	}
	if ws := c.WindowsFor(c.Heartbeats[1]); len(ws) != 1 || ws[0] != data {
		t.Errorf("nightly is in %v", ws)
	}
	if name, in := c.TargetInMaintenance("blog", time.Date(2026, 11, 29, 2, 30, 0, 0, berlin)); !in || name != "sunday" {
		t.Errorf("blog during the window: %q %v", name, in)
	}
	if _, in := c.TargetInMaintenance("shop-home", time.Date(2026, 11, 29, 2, 30, 0, 0, berlin)); in {
		t.Error("shop-home is in no window")
	}
}

func TestMaintenanceErrors(t *testing.T) {
	_, err := Load([]byte(`
targets:
  - {name: blog, url: "https://blog.example.com/"}
maintenance:
  - {name: a, schedule: "0 2 * * sun", duration: 2h, targets: [nope]}
  - {name: a, schedule: "61 * * * *", duration: 0s, heartbeats: ["[x"]}
  - {name: c, schedule: "0 2 * * sun", duration: 1h, timezone: Mars/Olympus}
`))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		`maintenance[0].targets[0]: no target is named "nope"`,
		`maintenance[1].name: window name "a" is used twice`,
		`maintenance[1].duration: must be greater than 0`,
		`maintenance[1].schedule: invalid cron schedule`,
		`maintenance[1].heartbeats[0]: invalid glob`,
		`maintenance[2].timezone: unknown time zone`,
		`maintenance[2]: a window applies to nothing`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

// A window on Feb 29 opens on every Feb 29 there is: the search for the
// last start stopped at 400 days, and leap days are four years apart
// (eight across 2100).
func TestMaintenanceOnLeapDays(t *testing.T) {
	c, err := Load([]byte("maintenance:\n  - {name: leap, schedule: \"0 1 29 2 *\", duration: 2h, heartbeats: [x]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Maintenance[0]
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2028, 2, 29, 1, 30, 0, 0, time.UTC), true},
		{time.Date(2028, 2, 29, 3, 30, 0, 0, time.UTC), false},
		{time.Date(2027, 2, 28, 1, 30, 0, 0, time.UTC), false},
		{time.Date(2032, 2, 29, 2, 59, 0, 0, time.UTC), true},
		{time.Date(2104, 2, 29, 1, 0, 0, 0, time.UTC), true}, // eight years after 2096
	} {
		if open, _ := w.Open(tc.at); open != tc.open {
			t.Errorf("at %s: open %v, want %v", tc.at, open, tc.open)
		}
	}
}
