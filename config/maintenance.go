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
	"fmt"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/common/model"
)

// MaintenanceWindow is planned work: from each time its schedule fires,
// for its duration, the heartbeats it names are paused (no alert of the
// mixin fires for them, and they are due a full period plus grace after
// the window ends) and the probes of the targets it names say
// probe_maintenance 1.
//
// A window applies to the targets named in Targets, the heartbeats whose
// names match one of Heartbeats (names or globs such as "celery-*"), and
// every target and heartbeat carrying all of Labels.
type MaintenanceWindow struct {
	Name       string            `yaml:"name"`
	Schedule   string            `yaml:"schedule"`
	Duration   model.Duration    `yaml:"duration"`
	Timezone   string            `yaml:"timezone,omitempty"`
	Targets    []string          `yaml:"targets,omitempty"`
	Heartbeats []string          `yaml:"heartbeats,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`

	schedule *Schedule
	// start and until bound an ad-hoc window (opened by a deploy script
	// through the API, NewAdHocWindow); zero for a scheduled one.
	start, until time.Time

	mu        sync.Mutex
	cacheAt   time.Time // the second the cached answer is for
	cacheOpen bool
	cacheEnd  time.Time
}

func (c *Config) validateMaintenance(v *validator) {
	seen := map[string]bool{}
	for i, w := range c.Maintenance {
		p := []any{"maintenance", i}
		if w == nil {
			v.errorf(p, "empty window: give it a name, a schedule and a duration")
			continue
		}
		switch {
		case w.Name == "" || !model.LabelValue(w.Name).IsValid():
			v.errorf(at(p, "name"), "a window needs a name")
		case seen[w.Name]:
			v.errorf(at(p, "name"), "window name %q is used twice", w.Name)
		}
		seen[w.Name] = true
		if w.Duration <= 0 {
			v.errorf(at(p, "duration"), "must be greater than 0 (for example 2h)")
		}
		if len(w.Targets) == 0 && len(w.Heartbeats) == 0 && len(w.Labels) == 0 {
			v.errorf(p, "a window applies to nothing: give targets, heartbeats or labels")
		}
		for j, name := range w.Targets {
			if _, ok := c.targetIndex[name]; !ok && c.targetIndex != nil {
				v.errorf(at(p, "targets", j), "no target is named %q", name)
			}
		}
		for j, glob := range w.Heartbeats {
			if _, err := path.Match(glob, ""); err != nil {
				v.errorf(at(p, "heartbeats", j), "invalid glob %q: %v", glob, err)
			}
		}
	}
}

func (w *MaintenanceWindow) compile(v *validator, p []any) {
	loc := time.UTC
	if w.Timezone != "" {
		l, err := loadLocation(w.Timezone)
		if err != nil {
			v.errorf(at(p, "timezone"), "unknown time zone %q (want an IANA name such as Europe/Berlin)", w.Timezone)
		} else {
			loc = l
		}
	}
	s, err := ParseSchedule(w.Schedule, loc)
	switch {
	case w.Schedule == "":
		v.errorf(at(p, "schedule"), "a window needs a schedule: a 5-field cron string such as \"0 2 * * sun\"")
	case err != nil:
		v.errorf(at(p, "schedule"), "invalid cron schedule %q: %v", w.Schedule, err)
	case s.Next(time.Now()).IsZero():
		v.errorf(at(p, "schedule"), "cron schedule %q never fires", w.Schedule)
	default:
		w.schedule = s
	}
}

// Open reports whether the window is open at now, and when it closes.
// The answer is cached for the second: a scrape asks once per heartbeat.
func (w *MaintenanceWindow) Open(now time.Time) (bool, time.Time) {
	if !w.until.IsZero() {
		return !now.Before(w.start) && now.Before(w.until), w.until
	}
	if w.schedule == nil {
		return false, time.Time{}
	}
	sec := now.Truncate(time.Second)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !sec.Equal(w.cacheAt) {
		end := lastStart(w.schedule, now).Add(time.Duration(w.Duration))
		w.cacheAt, w.cacheOpen, w.cacheEnd = sec, now.Before(end), end
	}
	return w.cacheOpen, w.cacheEnd
}

// LastEnd is when the window last closed, at or before now (zero when it
// never did, or is open now and never closed before).
func (w *MaintenanceWindow) LastEnd(now time.Time) time.Time {
	open, end := w.Open(now)
	if !open {
		return end
	}
	return time.Time{}
}

// lastStart is the latest time the schedule fires at or before t: looked
// for from one gap between two slots before t, then from twice as far,
// and so on (up to a year and a bit, or two gaps where a gap is longer:
// a window on Feb 29 fires every four years, or eight across 2100).
func lastStart(s *Schedule, t time.Time) time.Time {
	next := s.Next(t)
	if next.IsZero() {
		return time.Time{}
	}
	gap := s.Next(next).Sub(next)
	for back := max(gap, time.Minute); back < max(400*24*time.Hour, 2*gap+time.Minute); back *= 2 {
		start := s.Next(t.Add(-back))
		if start.IsZero() || start.After(t) {
			continue
		}
		for {
			n := s.Next(start)
			if n.IsZero() || n.After(t) {
				return start
			}
			start = n
		}
	}
	return time.Time{}
}

// AppliesToHeartbeat reports whether the window names a heartbeat, by
// name, glob or labels.
func (w *MaintenanceWindow) AppliesToHeartbeat(name string, labels map[string]string) bool {
	if slices.ContainsFunc(w.Heartbeats, func(g string) bool { ok, _ := path.Match(g, name); return ok }) {
		return true
	}
	return w.hasLabels(labels)
}

// AppliesToTarget reports whether the window names a target, by name or
// labels.
func (w *MaintenanceWindow) AppliesToTarget(t *Target) bool {
	return slices.Contains(w.Targets, t.Name) || w.hasLabels(t.Labels)
}

// hasLabels: the target or heartbeat carries every label of the window;
// a value may be a glob ("celery-*"), and "*" asks only that the label is
// there.
func (w *MaintenanceWindow) hasLabels(labels map[string]string) bool {
	if len(w.Labels) == 0 {
		return false
	}
	for k, v := range w.Labels {
		got, ok := labels[k]
		if !ok {
			return false
		}
		if match, _ := path.Match(v, got); !match {
			return false
		}
	}
	return true
}

// Bounds of an ad-hoc window (the same as a pause's).
func (w *MaintenanceWindow) Bounds() (start, until time.Time) { return w.start, w.until }

// NewAdHocWindow is a window a deploy script opens (POST
// /api/v1/maintenance/NAME): from start until until, applying to the
// targets named (they must be configured), the heartbeats named or
// matched by a glob, and every target and heartbeat carrying all the
// labels (values may be globs, "*": the label is there). The error names
// every problem.
func (c *Config) NewAdHocWindow(name string, start, until time.Time, targets, heartbeats []string, labels map[string]string) (*MaintenanceWindow, error) {
	w := &MaintenanceWindow{Name: name, Targets: targets, Heartbeats: heartbeats, Labels: labels, start: start, until: until}
	v := &validator{}
	if name == "" || !model.LabelValue(name).IsValid() || len(name) > 128 {
		v.errorf([]any{"name"}, "a window needs a name of at most 128 bytes of UTF-8")
	}
	switch {
	case !until.After(start):
		v.errorf([]any{"until"}, "the window would end before it began")
	case until.Sub(start) > MaxPause:
		v.errorf([]any{"until"}, "a window lasts at most %s", model.Duration(MaxPause))
	}
	if len(targets) == 0 && len(heartbeats) == 0 && len(labels) == 0 {
		v.errorf([]any{"targets"}, "a window applies to nothing: give targets, heartbeats or labels")
	}
	for i, t := range targets {
		if _, ok := c.Target(t); !ok {
			v.errorf([]any{"targets", i}, "no target is named %q", t)
		}
	}
	for i, g := range heartbeats {
		if _, err := path.Match(g, ""); err != nil {
			v.errorf([]any{"heartbeats", i}, "invalid glob %q: %v", g, err)
		}
	}
	for _, k := range sortedKeys(labels) {
		if _, err := path.Match(labels[k], ""); err != nil {
			v.errorf([]any{"labels", k}, "invalid glob %q: %v", labels[k], err)
		}
	}
	if err := v.problems.err(); err != nil {
		return nil, err
	}
	return w, nil
}

// WindowsFor are the maintenance windows that apply to a heartbeat.
func (c *Config) WindowsFor(h *Heartbeat) []*MaintenanceWindow {
	var out []*MaintenanceWindow
	for _, w := range c.Maintenance {
		if w != nil && w.AppliesToHeartbeat(h.Name, h.Labels) {
			out = append(out, w)
		}
	}
	return out
}

// TargetInMaintenance reports whether a configured target (by name or
// URL) is in an open maintenance window at now, the file's or one of
// extra (the ad-hoc windows), and which.
func (c *Config) TargetInMaintenance(target string, now time.Time, extra ...*MaintenanceWindow) (string, bool) {
	t, ok := c.Target(target)
	if !ok {
		return "", false
	}
	for _, w := range append(slices.Clip(c.Maintenance), extra...) {
		if w == nil || !w.AppliesToTarget(t) {
			continue
		}
		if open, _ := w.Open(now); open {
			return w.Name, true
		}
	}
	return "", false
}

// String names a window for a person: "sunday-patching (0 2 * * sun, 2h)".
func (w *MaintenanceWindow) String() string {
	return fmt.Sprintf("%s (%s, %s)", w.Name, w.Schedule, w.Duration)
}
