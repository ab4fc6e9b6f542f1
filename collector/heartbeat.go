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
	"sort"
	"strings"
	"sync"
	"time"

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
	StateFailed  = "failed"  // the last run failed
)

// maxOpenRuns bounds the runs a heartbeat tracks at once (starts without
// an end); the oldest is forgotten first.
const maxOpenRuns = 32

// record is what the store keeps of a heartbeat.
type record struct {
	Created      time.Time            `json:"created"`
	Auto         bool                 `json:"auto,omitempty"`
	LastPing     time.Time            `json:"last_ping,omitzero"`
	LastPingKind string               `json:"last_ping_kind,omitempty"`
	LastSuccess  time.Time            `json:"last_success,omitzero"`
	LastStart    time.Time            `json:"last_start,omitzero"`
	LastFailure  time.Time            `json:"last_failure,omitzero"`
	LastDuration float64              `json:"last_duration,omitempty"`
	LastExit     *int                 `json:"last_exit,omitempty"`
	Message      string               `json:"message,omitempty"`
	Runs         map[string]time.Time `json:"runs,omitempty"` // open runs by rid ("" for none)
	Pings        [len(kinds)]uint64   `json:"pings"`
}

// ping is one accepted ping.
type ping struct {
	kind    string
	exit    *int // for /{exit_status}
	rid     string
	message string
	at      time.Time
}

// apply records a ping. A start opens a run under its rid; success and
// failure close the matching run and measure its duration, and forget
// runs open for longer than staleAfter: a job that crashed without an
// end ping must not keep its heartbeat down once later runs end.
func (r *record) apply(p ping, staleAfter time.Duration) {
	r.LastPing, r.LastPingKind = p.at, p.kind
	r.Pings[kindIndex(p.kind)]++
	r.Message = p.message
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
		if started, ok := r.closeRun(p.rid); ok {
			r.LastDuration = p.at.Sub(started).Seconds()
		}
		for rid, started := range r.Runs {
			if staleAfter > 0 && p.at.Sub(started) > staleAfter {
				delete(r.Runs, rid)
			}
		}
		if p.kind == KindSuccess {
			r.LastSuccess = p.at
		} else {
			r.LastFailure = p.at
		}
	}
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
	for len(r.Runs) > maxOpenRuns {
		oldest, first := "", time.Time{}
		for k, t := range r.Runs {
			if first.IsZero() || t.Before(first) {
				oldest, first = k, t
			}
		}
		delete(r.Runs, oldest)
	}
}

// heartbeat is a configured or auto-registered heartbeat and its record.
type heartbeat struct {
	mu     sync.Mutex
	cfg    *config.Heartbeat
	labels []string // heartbeat and configured labels, as name, value pairs
	rec    record

	// Cache of the schedule's answer for the current base time.
	cacheBase     time.Time
	cacheExpected time.Time
	cacheInterval time.Duration
}

// staleAfter is how long a run may stay open before a later end forgets
// it: its max_runtime, or at least one period plus grace. Callers hold h.mu.
func (h *heartbeat) staleAfter(now time.Time) time.Duration {
	base := h.rec.LastSuccess
	if base.IsZero() {
		base = h.rec.Created
	}
	_, interval := h.expected(base)
	return max(time.Duration(h.cfg.MaxRuntime), interval+h.cfg.GraceDuration())
}

// status is a heartbeat evaluated at a moment.
type status struct {
	State    string
	Expected time.Time // the next success is expected then...
	Deadline time.Time // ...and due by then (grace, and runs within max_runtime)
	Interval time.Duration
	Up       bool
	Running  bool
	Overrun  bool
	// RunningSince is when the oldest run in progress started.
	RunningSince time.Time
}

// expected is when the next success is due after base, and the period
// around it. Callers hold h.mu.
func (h *heartbeat) expected(base time.Time) (time.Time, time.Duration) {
	if base.Equal(h.cacheBase) && !h.cacheExpected.IsZero() {
		return h.cacheExpected, h.cacheInterval
	}
	var next time.Time
	var interval time.Duration
	if s := h.cfg.CronSchedule(); s != nil {
		next = s.Next(base)
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

// evaluate computes the heartbeat's state at now. Callers hold h.mu.
func (h *heartbeat) evaluate(now time.Time) status {
	r := &h.rec
	base := r.LastSuccess
	if base.IsZero() {
		// Never succeeded: due one interval (or the next scheduled time)
		// after it was configured.
		base = r.Created
	}
	var st status
	st.Expected, st.Interval = h.expected(base)
	st.Deadline = st.Expected.Add(h.cfg.GraceDuration())

	maxRuntime := time.Duration(h.cfg.MaxRuntime)
	if len(r.Runs) > 0 {
		st.Running = true
		var oldest, latest time.Time
		for _, t := range r.Runs {
			if oldest.IsZero() || t.Before(oldest) {
				oldest = t
			}
			if t.After(latest) {
				latest = t
			}
		}
		st.RunningSince = oldest
		if maxRuntime > 0 {
			st.Overrun = now.Sub(oldest) > maxRuntime
			// A run within its max_runtime is not late: its end is due
			// by the end of its allowed time.
			if end := latest.Add(maxRuntime); end.After(st.Deadline) {
				st.Deadline = end
			}
		}
	}
	failed := !r.LastFailure.IsZero() && r.LastFailure.After(r.LastSuccess)
	st.Up = !failed && !st.Overrun && !now.After(st.Deadline)
	switch {
	case failed:
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

// view renders the heartbeat for the API and the status page. Callers
// hold h.mu.
func (h *heartbeat) view(now time.Time) HeartbeatView {
	st := h.evaluate(now)
	r := &h.rec
	v := HeartbeatView{
		Name:           h.cfg.Name,
		Labels:         h.cfg.Labels,
		State:          st.State,
		StateClass:     stateClass(st.State),
		LastPing:       r.LastPing,
		LastPingKind:   r.LastPingKind,
		LastSuccess:    r.LastSuccess,
		LastStart:      r.LastStart,
		LastFailure:    r.LastFailure,
		LastDuration:   r.LastDuration,
		LastExit:       r.LastExit,
		Expected:       st.Expected,
		Deadline:       st.Deadline,
		Running:        len(r.Runs),
		Interval:       st.Interval.Seconds(),
		Grace:          h.cfg.GraceDuration().Seconds(),
		MaxRuntime:     time.Duration(h.cfg.MaxRuntime).Seconds(),
		LastMessage:    r.Message,
		AutoRegistered: r.Auto,
		Pings:          map[string]uint64{},
	}
	if s := h.cfg.CronSchedule(); s != nil {
		v.Schedule, v.Timezone = h.cfg.Schedule, h.cfg.Location().String()
	}
	for i, k := range kinds {
		v.Pings[k] = r.Pings[i]
	}
	return v
}

func stateClass(state string) string {
	switch state {
	case StateUp, StateRunning:
		return "ok"
	case StateLate, StateNew:
		return "warn"
	}
	return "bad"
}

func sortViews(v []HeartbeatView) {
	sort.Slice(v, func(i, j int) bool { return strings.Compare(v[i].Name, v[j].Name) < 0 })
}
