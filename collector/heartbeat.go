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
	"slices"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// heartbeat is a configured or registered heartbeat and its record.
// Its mutex guards everything in it. Lock order: Heartbeats.mu first,
// then a heartbeat's mu; never Heartbeats.mu while holding a heartbeat's.
type heartbeat struct {
	mu     sync.Mutex
	cfg    *config.Heartbeat
	labels []string // heartbeat and configured labels, as name, value pairs
	rec    record
	// windows are the file's maintenance windows that apply to it; adhoc
	// the windows opened through the API (maintenance.go), all of them.
	windows []*config.MaintenanceWindow
	adhoc   *adHocWindows
	// derived holds what is computed from cfg and cached: reconfigure
	// resets all of it at once.
	derived derived
	// Writes on their way to disk (write.go): pending is the record with
	// all of them, rec the one with those on disk; seq numbers them.
	pending        *record
	seq, committed uint64
}

// derived are values computed from a heartbeat's configuration, cached
// between scrapes.
type derived struct {
	// The schedule's answer for the base time cacheBase.
	cacheBase     time.Time
	cacheExpected time.Time
	cacheInterval time.Duration
	// The schedule's current slot: [slotStart, slotEnd).
	slotStart, slotEnd time.Time
}

// allWindows are the windows that apply to it: the file's and the ad-hoc
// ones that name it. Callers hold h.mu.
func (h *heartbeat) allWindows() []*config.MaintenanceWindow {
	if h.adhoc == nil {
		return h.windows
	}
	extra := h.adhoc.applying(h.cfg)
	if len(extra) == 0 {
		return h.windows
	}
	return append(slices.Clip(h.windows), extra...)
}

// newHeartbeat makes a heartbeat of a configuration and a record.
func newHeartbeat(hc *config.Heartbeat, windows []*config.MaintenanceWindow, rec record) *heartbeat {
	hb := &heartbeat{rec: rec}
	hb.reconfigure(hc, windows)
	return hb
}

// reconfigure gives the heartbeat a new configuration: the one place
// where cfg changes, so every value derived from the old one (the
// schedule's cached answer, its current slot, the labels) goes with it.
// A reload and a restart on the same configuration then agree on every
// series. Callers hold h.mu (or own h alone).
func (h *heartbeat) reconfigure(hc *config.Heartbeat, windows []*config.MaintenanceWindow) {
	h.cfg, h.labels, h.windows, h.derived = hc, labelPairs(hc), windows, derived{}
}

// limits are the run limits of the heartbeat's configuration: a run may
// stay open for its max_runtime, or at least one period plus grace.
// Callers hold h.mu.
func (h *heartbeat) limits(now time.Time) runLimits {
	_, interval := h.expected(h.base(now))
	return runLimits{
		staleAfter:        max(time.Duration(h.cfg.MaxRuntime), interval+h.cfg.GraceDuration()),
		minRuntime:        time.Duration(h.cfg.MinRuntime),
		countRuns:         h.cfg.ExclusiveRuns(),
		failureThreshold:  h.cfg.FailureThreshold,
		recoveryThreshold: max(h.cfg.RecoveryThreshold, 1),
	}
}

// base is what the next success is expected after: the last success, or
// when the heartbeat was first configured, or when its last pause or
// maintenance window ended, whichever is latest: a pause that ends
// leaves a full period plus grace.
func (h *heartbeat) base(now time.Time) time.Time {
	b := h.rec.LastSuccess
	if b.IsZero() {
		b = h.rec.Created
	}
	return latest(b, h.resumed(now))
}

// status is a heartbeat evaluated at a moment.
type status struct {
	State    State
	Expected time.Time // the next success is expected then...
	Deadline time.Time // ...and due by then
	Interval time.Duration
	Up       bool
	Failed   bool
	Running  bool
	Overrun  bool
	// Paused: by the API, or by a maintenance window, until PausedUntil
	// (zero: until the next ping).
	Paused      bool
	PausedUntil time.Time
	// RunningSince is when the oldest run in progress started, or sent
	// its last progress ping.
	RunningSince time.Time
	// Why says, in words, what the state is about: only the views (the
	// API, the pages) ask for it, not /metrics (explain).
	Why string
	// Sources is how many senders pinged within the current period.
	Sources int
	// RunsPerPeriod is how many successes came per expected run: over
	// the current slot of a schedule, over the last three intervals.
	RunsPerPeriod float64
}

// expected is when the next success is due after base, and the period
// around it. A success up to early_margin before a scheduled time counts
// for it, so the next time is looked for from base+early_margin. Callers
// hold h.mu.
func (h *heartbeat) expected(base time.Time) (time.Time, time.Duration) {
	if base.Equal(h.derived.cacheBase) && !h.derived.cacheExpected.IsZero() {
		return h.derived.cacheExpected, h.derived.cacheInterval
	}
	var next time.Time
	var interval time.Duration
	if s := h.cfg.CronSchedule(); s != nil {
		next = s.Next(base.Add(h.cfg.EarlyMarginDuration()))
		if after := s.Next(next); !after.IsZero() {
			interval = after.Sub(next)
		}
	} else {
		interval = time.Duration(h.cfg.Interval)
		next = base.Add(interval)
	}
	h.derived.cacheBase, h.derived.cacheExpected, h.derived.cacheInterval = base, next, interval
	return next, interval
}

// evaluate computes the heartbeat's state at now. While a run is open,
// the heartbeat is due by the earlier of its deadline and the end of the
// run's max_runtime. Callers hold h.mu.
func (h *heartbeat) evaluate(now time.Time) status {
	r := &h.rec
	var st status
	base := h.base(now)
	if st.Paused, st.PausedUntil = h.paused(now); st.Paused {
		// Never due while paused: due a full period after it ends.
		base = latest(base, st.PausedUntil, now)
	}
	st.Expected, st.Interval = h.expected(base)
	st.Deadline = st.Expected.Add(h.cfg.GraceDuration())
	maxRuntime := time.Duration(h.cfg.MaxRuntime)
	if len(r.Runs) > 0 {
		st.Running = true
		for rid, t := range r.Runs {
			// A progress ping restarts a run's clock.
			t = latest(t, r.Alive[rid])
			if st.RunningSince.IsZero() || t.Before(st.RunningSince) {
				st.RunningSince = t
			}
		}
		if maxRuntime > 0 {
			runEnd := st.RunningSince.Add(maxRuntime)
			st.Overrun = now.After(runEnd)
			if runEnd.Before(st.Deadline) {
				st.Deadline = runEnd
			}
		}
	}
	st.Failed = r.Failures >= max(h.cfg.FailureThreshold, 1)
	st.Up = st.Paused || !st.Failed && !st.Overrun && !now.After(st.Deadline)
	switch {
	case st.Paused:
		st.State = StatePaused
	case st.Failed:
		st.State = StateFailed
	case st.Overrun || now.After(st.Deadline):
		st.State = StateDown
	case st.Running:
		st.State = StateRunning
	case r.LastPing.IsZero():
		st.State = StateNew
	case now.After(st.Expected):
		st.State = StateLate
	default:
		st.State = StateUp
	}
	return st
}

// explain adds to a status what it means, in words, and the counts of
// its period.
func (h *heartbeat) explain(st status, now time.Time) status {
	st = h.counted(st, now)
	st.Why = h.why(st, now)
	return st
}

// counted adds to a status the senders and runs of the current period:
// /metrics asks only for those of exclusive heartbeats.
func (h *heartbeat) counted(st status, now time.Time) status {
	st.Sources, st.RunsPerPeriod = h.perPeriod(now, st.Interval)
	return st
}

// intervalPeriods is how many intervals the runs of an interval
// heartbeat are counted over: one period with a job's jitter reads one
// run or two, three read between one and one and a third.
const intervalPeriods = 3

// perPeriod counts, for the current period, the sources heard from and
// the successes per expected run. The period of a schedule is its
// current slot (from early_margin before it); of an interval, the last
// interval for sources, and the last three for runs, divided by three. A
// job started twice (two beats, a double deploy) reads 2 runs, from 2
// sources. Callers hold h.mu.
func (h *heartbeat) perPeriod(now time.Time, interval time.Duration) (sources int, runs float64) {
	if interval <= 0 || (len(h.rec.Sources) == 0 && len(h.rec.Successes) == 0) {
		return 0, 0
	}
	sourcesFrom := now.Add(-interval)
	runsFrom, periods := now.Add(-intervalPeriods*interval), float64(intervalPeriods)
	if s := h.cfg.CronSchedule(); s != nil {
		if now.Before(h.derived.slotStart) || !now.Before(h.derived.slotEnd) {
			h.derived.slotStart, h.derived.slotEnd = currentSlot(s, now, interval)
		}
		sourcesFrom = h.derived.slotStart.Add(-h.cfg.EarlyMarginDuration())
		runsFrom, periods = sourcesFrom, 1
	}
	for _, s := range h.rec.Sources {
		if s.At.After(sourcesFrom) {
			sources++
		}
	}
	succ := h.rec.Successes
	n := 0
	for i := len(succ) - 1; i >= 0 && succ[i].After(runsFrom); i-- {
		n++
	}
	return sources, float64(n) / periods
}

// currentSlot finds the last scheduled time at or before now and the one
// after it, looking back from two periods before now.
func currentSlot(s *config.Schedule, now time.Time, interval time.Duration) (time.Time, time.Time) {
	start := s.Next(now.Add(-2 * interval))
	if start.IsZero() || start.After(now) {
		return now, s.Next(now)
	}
	for {
		next := s.Next(start)
		if next.IsZero() || next.After(now) {
			return start, next
		}
		start = next
	}
}

// why says what a state is about, for the status page and the API:
// "running 8m, max_runtime 30s", "due 02:30 CET, nothing since".
func (h *heartbeat) why(st status, now time.Time) string {
	r := &h.rec
	loc := h.cfg.Location()
	switch st.State {
	case StateFailed:
		s := "last run failed: " + r.FailureReason
		if r.Failures > 1 {
			s += fmt.Sprintf(" (%d in a row, failure_threshold %d)", r.Failures, h.cfg.FailureThreshold)
		}
		if r.Streak > 0 {
			s += fmt.Sprintf("; recovering: %d of %d successes in a row (recovery_threshold)", r.Streak, h.cfg.RecoveryThreshold)
		}
		return s
	case StateDown:
		if st.Overrun {
			return fmt.Sprintf("running %s, max_runtime %s", text.Duration(now.Sub(st.RunningSince)), text.Duration(time.Duration(h.cfg.MaxRuntime)))
		}
		if st.Running {
			return fmt.Sprintf("running %s, past its deadline %s", text.Duration(now.Sub(st.RunningSince)), when(st.Deadline, loc, now))
		}
		if r.LastPing.IsZero() {
			return fmt.Sprintf("due %s, never pinged", when(st.Expected, loc, now))
		}
		return fmt.Sprintf("due %s, nothing since", when(st.Expected, loc, now))
	case StateLate:
		return fmt.Sprintf("due %s, in grace until %s", when(st.Expected, loc, now), when(st.Deadline, loc, now))
	case StateRunning:
		return fmt.Sprintf("running %s", text.Duration(now.Sub(st.RunningSince)))
	case StateNew:
		return fmt.Sprintf("waiting for the first ping, due %s", when(st.Expected, loc, now))
	case StatePaused:
		return h.pauseWhy(st, loc, now)
	}
	if r.Failures > 0 {
		return fmt.Sprintf("%d failed run(s) since the last success, failure_threshold %d", r.Failures, h.cfg.FailureThreshold)
	}
	return ""
}

// when writes a moment the way a person reads it at now: the time of day
// when it is today, the date too when not.
func when(t time.Time, loc *time.Location, now time.Time) string {
	t, now = t.In(loc), now.In(loc)
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}
