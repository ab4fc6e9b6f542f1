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
	"maps"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/django-health/django_health_exporter/config"
)

// Kinds of ping, the kind label of heartbeat_pings_total.
const (
	KindSuccess = "success"
	KindStart   = "start"
	KindFail    = "fail"
	KindLog     = "log"
)

var kinds = [...]string{KindSuccess, KindStart, KindFail, KindLog}

func kindIndex(kind string) int {
	for i, k := range kinds {
		if k == kind {
			return i
		}
	}
	return -1
}

// States of a heartbeat, for the status page and the API.
const (
	StateNew     = "new"     // never pinged, not yet due
	StateUp      = "up"      // the last run succeeded and the next is not due
	StateLate    = "late"    // due, within its grace
	StateDown    = "down"    // past its deadline, or running past max_runtime
	StateRunning = "running" // started, not yet ended
	StateFailed  = "failed"  // failure_threshold runs in a row failed
)

// maxOpenRuns bounds the runs a heartbeat tracks at once (starts without
// an end); the oldest is forgotten first.
const maxOpenRuns = 32

// record is what the store keeps of a heartbeat.
type record struct {
	Created time.Time `json:"created"`
	Auto    bool      `json:"auto,omitempty"`
	// Left is when the configuration stopped naming the heartbeat: the
	// record is kept until Left + retention, and comes back whole when the
	// name returns.
	Left          time.Time `json:"left,omitzero"`
	LastPing      time.Time `json:"last_ping,omitzero"`
	LastPingKind  string    `json:"last_ping_kind,omitempty"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastStart     time.Time `json:"last_start,omitzero"`
	LastFailure   time.Time `json:"last_failure,omitzero"`
	FailureReason string    `json:"failure_reason,omitempty"`
	// Failures counts the failed runs since the last success.
	Failures     int     `json:"failures,omitempty"`
	LastDuration float64 `json:"last_duration,omitempty"`
	LastExit     *int    `json:"last_exit,omitempty"`
	// The last message is in the store's messages bucket, not in memory:
	// the record keeps its last line, when it came, with which kind of
	// ping, and how many bytes were cut from its head.
	Excerpt     string    `json:"excerpt,omitempty"`
	MessageAt   time.Time `json:"message_at,omitzero"`
	MessageKind string    `json:"message_kind,omitempty"`
	MessageCut  int       `json:"message_cut,omitempty"`
	// LegacyMessage is where versions before the messages bucket kept the
	// message; NewHeartbeats moves it.
	LegacyMessage string               `json:"message,omitempty"`
	Runs          map[string]time.Time `json:"runs,omitempty"` // open runs by rid ("" for none)
	Pings         [len(kinds)]uint64   `json:"pings"`
	// Values are the numbers pings reported (?metric=NAME:VALUE).
	Values map[string]value `json:"values,omitempty"`
	// Sources are who sent pings (?source=, else the client's address),
	// with when each was last heard from.
	Sources map[string]time.Time `json:"sources,omitempty"`
	// Successes are the times of the last successes, to count runs per
	// period.
	Successes []time.Time `json:"successes,omitempty"`
	// Registration is what the API registered, for a heartbeat created by
	// PUT /api/v1/heartbeats/{name}.
	Registration *config.Registration `json:"registration,omitempty"`
}

// value is a number a ping reported, and when.
type value struct {
	V  float64   `json:"v"`
	At time.Time `json:"at"`
}

// Bounds of what a record keeps of values, sources and successes.
const (
	maxValues    = 10
	maxSources   = 32
	maxSuccesses = 32
)

// clone copies a record, so that a ping can be applied to the copy and
// the copy kept only once it is on disk.
func (r *record) clone() record {
	c := *r
	c.Runs = maps.Clone(r.Runs)
	c.Values = maps.Clone(r.Values)
	c.Sources = maps.Clone(r.Sources)
	c.Successes = append([]time.Time(nil), r.Successes...)
	if r.LastExit != nil {
		exit := *r.LastExit
		c.LastExit = &exit
	}
	return c
}

// upgrade fills fields records written by older versions lack.
func (r *record) upgrade() {
	if r.Failures == 0 && r.LastFailure.After(r.LastSuccess) {
		r.Failures = 1
	}
}

// ping is one accepted ping.
type ping struct {
	kind    string
	exit    *int // for /{exit_status}
	rid     string
	message string // "" for a ping without a body: the last message stays
	cut     int    // bytes cut from the head of the body
	at      time.Time
	source  string
	values  map[string]float64
}

// maxExcerpt bounds the last line of a message kept in memory.
const maxExcerpt = 160

// excerpt is the last non-empty line of a message, cut to maxExcerpt:
// what a failed job's output usually says last is why.
func excerpt(msg string) string {
	msg = strings.TrimRight(msg, " \t\r\n")
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if len(msg) > maxExcerpt {
		n := len(msg) - maxExcerpt
		for n < len(msg) && !utf8.RuneStart(msg[n]) {
			n++
		}
		msg = "…" + msg[n:]
	}
	return strings.Clone(msg) // not a slice that keeps the whole message
}

// runLimits are what a heartbeat's configuration says about its runs.
type runLimits struct {
	// staleAfter: a run open this long is forgotten when a later one ends.
	staleAfter time.Duration
	minRuntime time.Duration
	// countRuns keeps the times of the last successes, for
	// heartbeat_runs_per_period: only an exclusive heartbeat needs them,
	// and every ping writes them to disk.
	countRuns bool
}

// apply records a ping. A start opens a run under its rid; success and
// failure close the matching run and measure its duration, and forget
// runs open for longer than staleAfter: a job that crashed without an
// end ping must not keep its heartbeat down once later runs end. A
// success that ends a run shorter than min_runtime is a failure.
func (r *record) apply(p ping, lim runLimits) {
	r.LastPing, r.LastPingKind = p.at, p.kind
	r.Pings[kindIndex(p.kind)]++
	if p.message != "" {
		r.Excerpt, r.MessageAt, r.MessageKind, r.MessageCut = excerpt(p.message), p.at, p.kind, p.cut
	}
	r.note(p)
	if p.exit != nil {
		code := *p.exit
		r.LastExit = &code
	}
	switch p.kind {
	case KindStart:
		if r.Runs == nil {
			r.Runs = map[string]time.Time{}
		}
		r.Runs[p.rid] = p.at
		r.LastStart = p.at
		r.trimRuns()
	case KindSuccess, KindFail:
		started, closed := r.closeRun(p.rid)
		var took time.Duration
		if closed {
			took = p.at.Sub(started)
			r.LastDuration = took.Seconds()
		}
		for rid, s := range r.Runs {
			if lim.staleAfter > 0 && p.at.Sub(s) > lim.staleAfter {
				delete(r.Runs, rid)
			}
		}
		failed, why := p.kind == KindFail, p.failureReason()
		if !failed && closed && took < lim.minRuntime {
			failed, why = true, fmt.Sprintf("finished suspiciously fast: in %s, min_runtime %s", took.Round(time.Millisecond), lim.minRuntime)
		}
		if failed {
			r.LastFailure, r.FailureReason = p.at, why
			r.Failures++
		} else {
			r.LastSuccess, r.FailureReason, r.Failures = p.at, "", 0
			switch {
			case !lim.countRuns:
				r.Successes = nil
			case len(r.Successes) >= maxSuccesses:
				r.Successes = append(r.Successes[len(r.Successes)-maxSuccesses+1:], p.at)
			default:
				r.Successes = append(r.Successes, p.at)
			}
		}
	}
}

// note keeps who sent a ping and the numbers it reported, forgetting the
// least recently heard past the bounds.
func (r *record) note(p ping) {
	if p.source != "" {
		if r.Sources == nil {
			r.Sources = map[string]time.Time{}
		}
		r.Sources[p.source] = p.at
		dropOldest(r.Sources, maxSources, func(t time.Time) time.Time { return t })
	}
	for name, v := range p.values {
		if r.Values == nil {
			r.Values = map[string]value{}
		}
		r.Values[name] = value{V: v, At: p.at}
	}
	dropOldest(r.Values, maxValues, func(v value) time.Time { return v.At })
}

// dropOldest removes the entries of m with the oldest times until it has
// at most n.
func dropOldest[V any](m map[string]V, n int, at func(V) time.Time) {
	for len(m) > n {
		oldest, first := "", time.Time{}
		for k, v := range m {
			if t := at(v); first.IsZero() || t.Before(first) {
				oldest, first = k, t
			}
		}
		delete(m, oldest)
	}
}

// failureReason says what a failing ping reported.
func (p ping) failureReason() string {
	if p.exit != nil {
		return fmt.Sprintf("exit status %d", *p.exit)
	}
	return "fail ping"
}

// closeRun ends the run a ping with this rid belongs to: the run with the
// same rid; without a rid, the run started without one or, failing that,
// the only open run.
func (r *record) closeRun(rid string) (time.Time, bool) {
	if started, ok := r.Runs[rid]; ok {
		delete(r.Runs, rid)
		return started, true
	}
	if rid == "" && len(r.Runs) == 1 {
		for k, started := range r.Runs {
			delete(r.Runs, k)
			return started, true
		}
	}
	return time.Time{}, false
}

func (r *record) trimRuns() {
	dropOldest(r.Runs, maxOpenRuns, func(t time.Time) time.Time { return t })
}

// heartbeat is a configured or registered heartbeat and its record.
type heartbeat struct {
	mu     sync.Mutex
	cfg    *config.Heartbeat
	labels []string // heartbeat and configured labels, as name, value pairs
	rec    record

	// Cache of the schedule's answer for the current base time.
	cacheBase     time.Time
	cacheExpected time.Time
	cacheInterval time.Duration
	// Cache of the schedule's current slot: [slotStart, slotEnd).
	slotStart, slotEnd time.Time
}

// limits are the run limits of the heartbeat's configuration: a run may
// stay open for its max_runtime, or at least one period plus grace.
// Callers hold h.mu.
func (h *heartbeat) limits() runLimits {
	_, interval := h.expected(h.base())
	return runLimits{
		staleAfter: max(time.Duration(h.cfg.MaxRuntime), interval+h.cfg.GraceDuration()),
		minRuntime: time.Duration(h.cfg.MinRuntime),
		countRuns:  h.cfg.ExclusiveRuns(),
	}
}

// base is what the next success is expected after: the last success, or
// when the heartbeat was first configured.
func (h *heartbeat) base() time.Time {
	if h.rec.LastSuccess.IsZero() {
		return h.rec.Created
	}
	return h.rec.LastSuccess
}

// status is a heartbeat evaluated at a moment.
type status struct {
	State    string
	Expected time.Time // the next success is expected then...
	Deadline time.Time // ...and due by then
	Interval time.Duration
	Up       bool
	Failed   bool
	Running  bool
	Overrun  bool
	// RunningSince is when the oldest run in progress started.
	RunningSince time.Time
	// Why says, in words, what the state is about.
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
	if base.Equal(h.cacheBase) && !h.cacheExpected.IsZero() {
		return h.cacheExpected, h.cacheInterval
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
	h.cacheBase, h.cacheExpected, h.cacheInterval = base, next, interval
	return next, interval
}

// evaluate computes the heartbeat's state at now. While a run is open,
// the heartbeat is due by the earlier of its deadline and the end of the
// run's max_runtime. Callers hold h.mu.
func (h *heartbeat) evaluate(now time.Time) status {
	r := &h.rec
	var st status
	st.Expected, st.Interval = h.expected(h.base())
	st.Deadline = st.Expected.Add(h.cfg.GraceDuration())
	maxRuntime := time.Duration(h.cfg.MaxRuntime)
	if len(r.Runs) > 0 {
		st.Running = true
		for _, t := range r.Runs {
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
	st.Up = !st.Failed && !st.Overrun && !now.After(st.Deadline)
	switch {
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
	st.Why = h.why(st, now)
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
		if now.Before(h.slotStart) || !now.Before(h.slotEnd) {
			h.slotStart, h.slotEnd = currentSlot(s, now, interval)
		}
		sourcesFrom = h.slotStart.Add(-h.cfg.EarlyMarginDuration())
		runsFrom, periods = sourcesFrom, 1
	}
	for _, t := range h.rec.Sources {
		if t.After(sourcesFrom) {
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
		return s
	case StateDown:
		if st.Overrun {
			return fmt.Sprintf("running %s, max_runtime %s", roundDuration(now.Sub(st.RunningSince)), time.Duration(h.cfg.MaxRuntime))
		}
		if st.Running {
			return fmt.Sprintf("running %s, past its deadline %s", roundDuration(now.Sub(st.RunningSince)), when(st.Deadline, loc, now))
		}
		if r.LastPing.IsZero() {
			return fmt.Sprintf("due %s, never pinged", when(st.Expected, loc, now))
		}
		return fmt.Sprintf("due %s, nothing since", when(st.Expected, loc, now))
	case StateLate:
		return fmt.Sprintf("due %s, in grace until %s", when(st.Expected, loc, now), when(st.Deadline, loc, now))
	case StateRunning:
		return fmt.Sprintf("running %s", roundDuration(now.Sub(st.RunningSince)))
	case StateNew:
		return fmt.Sprintf("waiting for the first ping, due %s", when(st.Expected, loc, now))
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

// roundDuration writes 8m, 2h5m, 3d4h: seconds only under a minute, days
// past 48 hours.
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Minute).String()[:len(d.Round(time.Minute).String())-2]
	case d < 48*time.Hour:
		s := d.Round(time.Minute).String()
		return s[:len(s)-2]
	}
	days := d / (24 * time.Hour)
	hours := (d % (24 * time.Hour)) / time.Hour
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}
