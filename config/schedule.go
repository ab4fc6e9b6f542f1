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
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Schedule is a five-field cron schedule read in a time zone, with the
// DST rules of cron(8) (cronie, Vixie cron), which is what runs most of
// the jobs whose heartbeats it predicts:
//
//   - a fixed-time job (neither the minute nor the hour field starts with
//     '*') whose time falls in the hour skipped when clocks go forward
//     runs when the clocks have moved, and one whose time happens twice
//     when clocks go back runs once, the first time;
//   - a wildcard job ("*/15 * * * *", "0 * * * *") follows the wall
//     clock: it skips the minutes that do not exist and runs in both
//     copies of the minutes that happen twice.
//
// robfig/cron parses the fields; its own Next skips a fixed-time job on
// the day clocks go forward and runs it twice the day they go back
// (TestRobfigCronGetsDSTWrong).
//
// A Schedule is one cron line or several (schedule: [...]): it fires at
// the earliest next time of any of them.
type Schedule struct {
	crons []*cronLine
}

// cronLine is one five-field cron line, read in a time zone.
type cronLine struct {
	spec     *cron.SpecSchedule
	wildcard bool
	loc      *time.Location
}

// cronParser reads standard five-field cron lines and the @daily family.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var descriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// ParseSchedule parses a five-field cron schedule ("30 2 * * *", "@daily")
// to be read in loc (UTC when nil).
func ParseSchedule(s string, loc *time.Location) (*Schedule, error) {
	return ParseSchedules([]string{s}, loc)
}

// ParseSchedules parses several cron lines into one schedule, which
// fires at the earliest next time of any of them.
func ParseSchedules(lines []string, loc *time.Location) (*Schedule, error) {
	if len(lines) == 0 {
		return nil, errors.New("no cron line")
	}
	s := &Schedule{}
	for _, line := range lines {
		c, err := parseCronLine(line, loc)
		if err != nil {
			if len(lines) > 1 {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			return nil, err
		}
		s.crons = append(s.crons, c)
	}
	return s, nil
}

func parseCronLine(s string, loc *time.Location) (*cronLine, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@every") {
		return nil, errors.New("@every is an interval: use the interval key")
	}
	if strings.HasPrefix(s, "@") {
		expanded, ok := descriptors[s]
		if !ok {
			return nil, errors.New("unknown descriptor " + s + " (want @hourly, @daily, @weekly, @monthly or @yearly)")
		}
		s = expanded
	}
	parsed, err := cronParser.Parse(s)
	if err != nil {
		return nil, err
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("unsupported schedule")
	}
	if loc == nil {
		loc = time.UTC
	}
	fields := strings.Fields(s)
	return &cronLine{
		spec:     spec,
		wildcard: strings.HasPrefix(fields[0], "*") || strings.HasPrefix(fields[1], "*"),
		loc:      loc,
	}, nil
}

// maxYears bounds the search of Next: a schedule that matches no day in
// this many years (February 30th) never fires.
const maxYears = 5

// Next is the first time strictly after from at which the job runs, or
// the zero time if it never does.
func (s *Schedule) Next(from time.Time) time.Time {
	var next time.Time
	for _, c := range s.crons {
		if t := c.Next(from); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// Next is the line's first time strictly after from, or zero for none.
func (s *cronLine) Next(from time.Time) time.Time {
	start := from.In(s.loc)
	y, m, d := start.Date()
	for day := range 366 * maxYears {
		// Noon is never in a DST transition, so the date is exact.
		date := time.Date(y, m, d+day, 12, 0, 0, 0, s.loc)
		if !s.dayMatches(date) {
			continue
		}
		for h := range 24 {
			if s.spec.Hour&(1<<uint(h)) == 0 {
				continue
			}
			for mi := range 60 {
				if s.spec.Minute&(1<<uint(mi)) == 0 {
					continue
				}
				runs, n := s.runs(date.Year(), date.Month(), date.Day(), h, mi)
				for _, t := range runs[:n] {
					if t.After(from) {
						return t
					}
				}
			}
		}
	}
	return time.Time{}
}

// dayMatches applies cron's rule: when both day-of-month and day-of-week
// are restricted, either may match.
func (s *cronLine) dayMatches(t time.Time) bool {
	if s.spec.Month&(1<<uint(t.Month())) == 0 {
		return false
	}
	const star = 1 << 63
	dom := s.spec.Dom&(1<<uint(t.Day())) != 0
	dow := s.spec.Dow&(1<<uint(t.Weekday())) != 0
	if s.spec.Dom&star != 0 || s.spec.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}

// runs are the instants at which a job scheduled at this wall-clock time
// runs, earliest first: n of them. Next calls it for every candidate
// minute, so it allocates nothing.
func (s *cronLine) runs(y int, mo time.Month, d, h, mi int) (out [2]time.Time, n int) {
	occ, n := occurrences(s.loc, y, mo, d, h, mi)
	switch {
	case n == 0 && s.wildcard:
		return out, 0 // the minute does not exist; the job follows the clock
	case n == 0:
		out[0] = gapEnd(s.loc, time.Date(y, mo, d, h, mi, 0, 0, time.UTC))
		return out, 1
	case n > 1 && !s.wildcard:
		return occ, 1
	}
	return occ, n
}

// occurrences are the instants whose wall clock in loc reads this date and
// time: none in a gap, two in an overlap (n of them, earliest first). Real
// zones change their offset at most once in three days, so the offsets a
// day and a half either side cover every case.
func occurrences(loc *time.Location, y int, mo time.Month, d, h, mi int) (out [2]time.Time, n int) {
	u := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	var seen [3]int
	tried := 0
	for _, around := range [...]time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := u.Add(around).In(loc).Zone()
		if slices.Contains(seen[:tried], off) {
			continue
		}
		seen[tried] = off
		tried++
		t := u.Add(-time.Duration(off) * time.Second)
		lt := t.In(loc)
		if lt.Year() == y && lt.Month() == mo && lt.Day() == d && lt.Hour() == h && lt.Minute() == mi && n < len(out) {
			out[n] = t
			n++
		}
	}
	if n == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out, n
}

// gapEnd is the instant the clocks jumped over the wall-clock time u (read
// as UTC fields), found by bisecting on the offset.
func gapEnd(loc *time.Location, u time.Time) time.Time {
	lo, hi := u.Add(-36*time.Hour), u.Add(36*time.Hour)
	_, after := hi.In(loc).Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if _, off := mid.In(loc).Zone(); off == after {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi.Truncate(time.Second)
}

// ShortestGap is the shortest time between two of the next n runs after
// from (a week when the schedule fires fewer than twice).
func (s *Schedule) ShortestGap(from time.Time, n int) time.Duration {
	shortest := 7 * 24 * time.Hour
	prev := s.Next(from)
	for i := 0; i < n && !prev.IsZero(); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		shortest = min(shortest, next.Sub(prev))
		prev = next
	}
	return shortest
}

// CronList is a heartbeat's schedule as written: one cron line
// (schedule: "30 2 * * *") or several (schedule: ["0 2 * * 1-5",
// "0 6 * * 6,0"]); the heartbeat is due at the earliest next slot of any.
type CronList []string

// UnmarshalYAML reads one line or a list of lines.
func (c *CronList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*c = CronList{n.Value}
		if n.Value == "" {
			*c = nil
		}
		return nil
	case yaml.SequenceNode:
		var lines []string
		if err := n.Decode(&lines); err != nil {
			return err
		}
		*c = lines
		return nil
	}
	return fmt.Errorf("line %d: schedule must be a cron line or a list of them", n.Line)
}

// MarshalYAML writes one line as a string, several as a list.
func (c CronList) MarshalYAML() (any, error) {
	if len(c) == 1 {
		return c[0], nil
	}
	return []string(c), nil
}

// UnmarshalJSON reads one line or a list of lines (the registration API).
func (c *CronList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = CronList{one}
		if one == "" {
			*c = nil
		}
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return errors.New("schedule must be a cron line or a list of them")
	}
	*c = lines
	return nil
}

// MarshalJSON writes one line as a string, several as a list.
func (c CronList) MarshalJSON() ([]byte, error) {
	if len(c) == 1 {
		return json.Marshal(c[0])
	}
	return json.Marshal([]string(c))
}

// String writes the lines for people: "0 2 * * 1-5; 0 6 * * 6,0".
func (c CronList) String() string { return strings.Join(c, "; ") }
