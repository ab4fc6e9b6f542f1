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
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	pconfig "github.com/prometheus/common/config"
)

// compile turns the text of the file into what the exporter runs with:
// regular expressions, JSON paths, the allow list, target URLs, time
// zones, cron schedules and tokens read from their files. What cannot be
// turned is a problem with its line, like any other.
func (c *Config) compile(v *validator) {
	for _, name := range sortedKeys(c.Modules) {
		if l := c.Modules[name].Django.Login; l != nil {
			l.compile(v, []any{"modules", name, "django", "login"})
		}
		if r := c.Modules[name].Django.Release; r != nil {
			r.compile(v, []any{"modules", name, "django", "release"})
		}
		for i, ch := range c.Modules[name].Checks {
			if ch != nil && ch.kind != "" {
				ch.compile(v, []any{"modules", name, "checks", i, ch.kind})
			}
		}
	}
	c.targetIndex = map[string]*Target{}
	for _, t := range c.Targets {
		if t == nil {
			continue
		}
		t.url, _ = ParseTargetURL(t.URL, false) // validate reported a bad one
		c.targetIndex[t.Name] = t
		if _, taken := c.targetIndex[t.URL]; !taken && t.URL != "" {
			c.targetIndex[t.URL] = t
		}
	}
	allow, problems := NewAllowList(c.AllowTargets)
	for i, p := range problems {
		if p != "" {
			v.errorf([]any{"allow_targets", i}, "%s", p)
		}
	}
	c.allow = allow

	d := &c.HeartbeatDefaults
	d.token = readToken(v, []any{"heartbeat_defaults"}, string(d.Token), d.TokenFile)
	for i, h := range c.Heartbeats {
		if h != nil {
			h.compile(v, []any{"heartbeats", i}, d)
		}
	}
	// After the targets are indexed: a window names them.
	c.validateMaintenance(v)
	for i, w := range c.Maintenance {
		if w != nil {
			w.compile(v, []any{"maintenance", i})
		}
	}
}

func (c *Check) compile(v *validator, path []any) {
	switch c.kind {
	case CheckRegex:
		compileRegexp(v, path, c.Regex)
	case CheckForbidRegex:
		compileRegexp(v, path, c.ForbidRegex)
	case CheckJSON:
		c.JSON.segments = strings.Split(c.JSON.Path, ".")
		if c.JSON.Matches != nil {
			compileRegexp(v, at(path, "matches"), c.JSON.Matches)
		}
	case CheckHeader:
		if c.Header.Regex != nil {
			compileRegexp(v, at(path, "regex"), c.Header.Regex)
		}
	}
}

func compileRegexp(v *validator, path []any, r *Regexp) {
	re, err := regexp.Compile(r.original)
	if err != nil {
		v.errorf(path, "invalid regular expression %q: %v", r.original, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return
	}
	r.Regexp = re
}

func (h *Heartbeat) compile(v *validator, p []any, d *HeartbeatDefaults) {
	if h.Timezone != "" {
		loc, err := loadLocation(h.Timezone)
		if err != nil {
			v.errorf(at(p, "timezone"), "unknown time zone %q (want an IANA name such as Europe/Berlin)", h.Timezone)
		}
		h.location = loc
	}
	if len(h.Schedule) > 0 && h.Interval == 0 && !strings.Contains(h.Schedule.String(), "TZ=") && len(h.Schedule) <= maxScheduleLines {
		if c := v.schedule(h.Schedule, h.location); c.err != nil {
			v.errorf(at(p, "schedule"), "invalid cron schedule %q: %v", h.Schedule.String(), c.err)
		} else if c.never {
			v.errorf(at(p, "schedule"), "cron schedule %q never fires", h.Schedule.String())
		} else {
			h.schedule = c.schedule
			h.shortestGap = c.shortestGap
			if h.EarlyMargin != nil && time.Duration(*h.EarlyMargin) >= h.shortestGap {
				v.errorf(at(p, "early_margin"), "must be shorter than the %s between two runs of %q", h.shortestGap, h.Schedule.String())
			}
		}
	}
	if h.Interval > 0 {
		// Only a schedule has slots to be early for; the margin shown for
		// an interval is at most half of it, as for a schedule.
		h.shortestGap = time.Duration(h.Interval)
	}
	h.token = readToken(v, p, string(h.Token), h.TokenFile)
	if h.token == "" {
		h.token = d.token
	}
}

// readToken reads a token given inline or in a file (relative to the
// configuration file).
func readToken(v *validator, path []any, inline, file string) string {
	if file == "" || inline != "" {
		return inline
	}
	file = pconfig.JoinDir(v.dir, file)
	b, err := os.ReadFile(file)
	if err != nil {
		v.errorf(at(path, "token_file"), "cannot read token file: %v", err)
		return ""
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		v.errorf(at(path, "token_file"), "token file %s is empty", file)
	}
	return t
}

// locations caches time zones: each LoadLocation parses the zone anew, a
// few kilobytes per heartbeat that thousands of heartbeats share.
var locations sync.Map

func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	actual, _ := locations.LoadOrStore(name, loc)
	return actual.(*time.Location), nil
}

// scheduleKey is a schedule as written, in a time zone.
type scheduleKey struct {
	text string
	loc  *time.Location
}

// compiledSchedule is what compile learns of a schedule.
type compiledSchedule struct {
	schedule    *Schedule
	shortestGap time.Duration
	never       bool
	err         error
}

// schedule compiles a schedule once for each text and time zone of a
// load: parsing it and finding its shortest gap (64 runs) cost more than
// the rest of a heartbeat. A Schedule is never changed, so heartbeats
// share it.
func (v *validator) schedule(lines CronList, loc *time.Location) compiledSchedule {
	key := scheduleKey{strings.Join(lines, "\n"), loc}
	if c, ok := v.schedules[key]; ok {
		return c
	}
	var c compiledSchedule
	c.schedule, c.err = ParseSchedules(lines, loc)
	if c.err == nil {
		now := time.Now()
		c.never = c.schedule.Next(now).IsZero()
		if !c.never {
			c.shortestGap = c.schedule.ShortestGap(now, 64)
		}
	}
	if v.schedules == nil {
		v.schedules = map[scheduleKey]compiledSchedule{}
	}
	v.schedules[key] = c
	return c
}
