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

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// nexts returns the next n runs after from, as UTC RFC 3339 strings.
func nexts(t *testing.T, spec, zone string, from time.Time, n int) []string {
	t.Helper()
	s, err := ParseSchedule(spec, mustLoc(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for range n {
		from = s.Next(from)
		out = append(out, from.UTC().Format(time.RFC3339))
	}
	return out
}

func TestScheduleNext(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, spec, zone, from string
		want                   []string
	}{
		{"daily UTC", "@daily", "UTC", "2026-11-21T16:00:00Z",
			[]string{"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"}},
		{"strictly after", "0 12 * * *", "UTC", "2026-11-21T12:00:00Z",
			[]string{"2026-11-22T12:00:00Z"}},
		{"weekdays", "0 9 * * 1-5", "UTC", "2026-11-20T10:00:00Z", // a Friday
			[]string{"2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"}},
		{"dom or dow", "0 0 13 * 5", "UTC", "2026-11-01T00:00:00Z", // the 13th, or any Friday
			[]string{"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z"}},
		{"leap day", "0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z"}},
		// Berlin, clocks go forward on 2026-03-29 at 02:00 CET (01:00 UTC):
		// 02:30 does not exist, the job runs when the clocks have moved.
		{"berlin spring fixed", "30 2 * * *", "Europe/Berlin", "2026-03-28T02:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		// Wildcard jobs follow the clock: 02:00 and 02:30 do not exist.
		{"berlin spring wildcard", "*/30 * * * *", "Europe/Berlin", "2026-03-29T00:15:00Z",
			[]string{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}},
		// Clocks go back on 2026-10-25 at 03:00 CEST (01:00 UTC): 02:30
		// happens twice, a fixed-time job runs once, the first time.
		{"berlin autumn fixed", "30 2 * * *", "Europe/Berlin", "2026-10-24T02:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"berlin autumn wildcard", "0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"}},
		// New York falls back on 2026-11-01 at 02:00 EDT: 01:30 happens twice.
		{"new york autumn fixed", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		// Lord Howe Island (UTC+10:30) moves its clocks by 30 minutes,
		// 02:00 -> 02:30 on 2026-10-04: 02:15 does not exist that day and
		// the job runs at 02:30 (UTC+11), 15:30 UTC the day before.
		{"lord howe half hour", "15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z",
			[]string{"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
		// Southern hemisphere: Sydney goes forward on 2026-10-04 at 02:00.
		{"sydney spring fixed", "30 2 * * *", "Australia/Sydney", "2026-10-02T12:00:00Z",
			[]string{"2026-10-02T16:30:00Z", "2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nexts(t, tc.spec, tc.zone, utc(tc.from), len(tc.want))
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("next runs %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScheduleNeverFires(t *testing.T) {
	s, err := ParseSchedule("0 0 30 2 *", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next(time.Now()).IsZero() {
		t.Error("February 30th never comes")
	}
	_, err = Load([]byte("heartbeats:\n  - {name: a, schedule: '0 0 30 2 *'}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2: heartbeats[0].schedule: cron schedule \"0 0 30 2 *\" never fires") {
		t.Errorf("error = %v", err)
	}
	for _, bad := range []string{"@reboot", "@every 5m", "* * *", "60 * * * *"} {
		if _, err := ParseSchedule(bad, nil); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// robfig/cron's own Next gets both DST days wrong, which is why Schedule
// does its own walk. If this starts failing, robfig was fixed and
// Schedule.Next could go back to it.
func TestRobfigCronGetsDSTWrong(t *testing.T) {
	loc := mustLoc(t, "Europe/Berlin")
	parsed, err := cronParser.Parse("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	spring := parsed.Next(time.Date(2026, 3, 28, 3, 0, 0, 0, loc))
	if spring.Day() != 30 {
		t.Errorf("robfig now runs the job on March 29th (%v): reconsider Schedule", spring)
	}
	// From the first 02:30 (CEST, 00:30 UTC) robfig answers the second
	// 02:30 (CET, 01:30 UTC): a daily job would be expected twice.
	autumn := parsed.Next(time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(loc))
	if !autumn.Equal(time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("robfig no longer expects the job twice on the autumn change (%v): reconsider Schedule", autumn)
	}
}

func FuzzScheduleNext(f *testing.F) {
	f.Add("30 2 * * *", "Europe/Berlin", int64(1774746000))
	f.Add("*/7 */3 * * 1-5", "Australia/Lord_Howe", int64(1790000000))
	f.Add("0 0 29 2 *", "America/New_York", int64(0))
	f.Fuzz(func(t *testing.T, spec, zone string, from int64) {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "" || strings.ContainsAny(zone, "\x00") {
			return
		}
		s, err := ParseSchedule(spec, loc)
		if err != nil {
			return
		}
		start := time.Unix(from%(1<<34), 0)
		next := s.Next(start)
		if next.IsZero() {
			return
		}
		if !next.After(start) {
			t.Fatalf("Next(%v) = %v is not after it", start, next)
		}
		if again := s.Next(next); !again.IsZero() && !again.After(next) {
			t.Fatalf("Next is not increasing: %v then %v", next, again)
		}
	})
}
