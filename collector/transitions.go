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
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/django-health/django_health_exporter/internal/text"
)

// A heartbeat's story: the last changes of its state, kept in its record
// on disk, so that "down since 02:45, after: up 01:00, late 02:30" is
// still there after a restart.
//
// A state changes at a ping (a failure, a start, a success) or by time
// alone (due, then past the grace, a window that opens). The changes by
// time are not written when they happen (that would be a write for every
// heartbeat every period, pings or none): the record holds what decides
// them, so they are worked out from it, at the moment they happened, by
// whoever asks (the page, the API), and written with the next write of
// the record, before the ping's own change.

// maxTransitions bounds the changes a record keeps; maxTransitionWhy the
// words of each.
const (
	maxTransitions   = 10
	maxTransitionWhy = 120
)

// transition is a change of a heartbeat's state: to State at At, and why
// for a failure (the reason the run failed). On disk it is an array,
// [unix milliseconds, state] or [ms, state, why]: every record carries its
// changes, and a fleet's store holds 100,000 records.
type transition struct {
	At    time.Time
	State State
	Why   string
}

// transitions is a record's changes, written in one go: a record is
// written at every ping.
type transitions []transition

func (ts transitions) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32*len(ts)+2)
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = t.appendJSON(b)
	}
	return append(b, ']'), nil
}

func (t transition) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }

// appendJSON appends [ms, "state"] or [ms, "state", "why"].
func (t transition) appendJSON(b []byte) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, t.At.UnixMilli(), 10)
	b = append(b, ',')
	b = appendJSONString(b, string(t.State))
	if t.Why != "" {
		b = append(b, ',')
		b = appendJSONString(b, t.Why)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: a state's name as it is, a
// failure's reason through encoding/json (which escapes what it must).
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func (t *transition) UnmarshalJSON(b []byte) error {
	var fields []json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if len(fields) < 2 || len(fields) > 3 {
		return fmt.Errorf("a change of state is [ms, state] or [ms, state, why], not %d fields", len(fields))
	}
	var ms int64
	if err := json.Unmarshal(fields[0], &ms); err != nil {
		return err
	}
	var state string
	if err := json.Unmarshal(fields[1], &state); err != nil {
		return err
	}
	// The constant, not a copy per record: a fleet's store holds 100,000.
	t.State = State(state)
	if i := slices.Index(States, t.State); i >= 0 {
		t.State = States[i]
	}
	if len(fields) == 3 {
		if err := json.Unmarshal(fields[2], &t.Why); err != nil {
			return err
		}
	}
	t.At = time.UnixMilli(ms).UTC()
	return nil
}

// TransitionView is a change of state as the API and pages show it.
type TransitionView struct {
	At    time.Time `json:"at"`
	State State     `json:"state"`
	Why   string    `json:"why,omitempty"`
}

// withRecord evaluates fn against rec in place of the heartbeat's record.
// Callers hold h.mu.
func (h *heartbeat) withRecord(rec *record, fn func()) {
	if rec == &h.rec {
		fn()
		return
	}
	saved := h.rec
	h.rec = *rec
	defer func() { h.rec = saved }()
	fn()
}

// story is rec's logged changes and those by time since, up to now: the
// log as it would be written now. Callers hold h.mu.
func (h *heartbeat) story(rec *record, now time.Time) []transition {
	out := rec.Transitions
	if len(out) > 0 && len(out) < maxTransitions && out[0].State != StateNew && !rec.Created.IsZero() && !rec.Created.After(out[0].At) {
		out = append([]transition{{At: rec.Created, State: StateNew}}, out...)
	}
	var last transition
	if n := len(out); n > 0 {
		last = out[n-1]
	}
	h.withRecord(rec, func() {
		if st := h.evaluate(now); st.State != last.State {
			out = trimTransitions(append(slices.Clip(out), h.changesSince(st, last, now)...))
		}
	})
	return out
}

// changesSince works out the changes that brought the record from its
// last logged change to the state st at now: when st began (the moment
// that decides it), then what it was just before, and so on back to the
// last logged state. A silence after a success reads as late at its due
// time and down at the end of its grace; a pause that ended, as up when
// it ended. Callers hold h.mu, with the record in h.rec.
func (h *heartbeat) changesSince(st status, last transition, now time.Time) []transition {
	var out []transition
	for range maxTransitions {
		t := h.began(st, last, now)
		out = append(out, t)
		if !t.At.After(last.At) {
			break
		}
		before := h.evaluate(t.At.Add(-time.Nanosecond))
		if before.State == last.State || before.State == st.State {
			break
		}
		st, now = before, t.At
	}
	slices.Reverse(out)
	return out
}

// began is the change into st: at the moment that decides the state, no
// earlier than the last logged change and no later than now. Callers
// hold h.mu, with the record in h.rec.
func (h *heartbeat) began(st status, last transition, now time.Time) transition {
	rec := &h.rec
	var since time.Time
	switch st.State {
	case StateDown:
		since = st.Deadline
	case StateLate:
		since = st.Expected
	case StatePaused:
		since = h.pausedSince(now)
	case StateNew:
		since = rec.Created
	case StateFailed:
		since = rec.LastFailure
	case StateRunning:
		since = st.RunningSince
	default:
		since = latest(rec.LastPing, h.resumed(now))
	}
	if since.Before(last.At) {
		since = last.At
	}
	if since.IsZero() || since.After(now) {
		since = now
	}
	t := transition{At: since, State: st.State}
	if st.State == StateFailed {
		t.Why = text.Cut(rec.FailureReason, maxTransitionWhy)
	}
	return t
}

// pausedSince is when the heartbeat's pause began: the earliest start
// among the API's pause and the windows open at now. Callers hold h.mu.
func (h *heartbeat) pausedSince(now time.Time) time.Time {
	var since time.Time
	if p := h.rec.Pause; p != nil && (p.Until.IsZero() || now.Before(p.Until)) {
		since = p.Since
	}
	for _, w := range h.allWindows() {
		open, end := w.Open(now)
		if !open {
			continue
		}
		start, _ := w.Bounds()
		if start.IsZero() {
			start = end.Add(-time.Duration(w.Duration))
		}
		if since.IsZero() || start.Before(since) {
			since = start
		}
	}
	return since
}

// noteTransitions writes into next the story of prev up to now, and the
// change the write itself makes: called by write, under h.mu, for every
// change of a record.
func (h *heartbeat) noteTransitions(prev, next *record, now time.Time) {
	log := h.story(prev, now)
	var st status
	h.withRecord(next, func() { st = h.evaluate(now) })
	if n := len(log); n == 0 || log[n-1].State != st.State {
		t := transition{At: now, State: st.State}
		if st.State == StateFailed {
			t.Why = text.Cut(next.FailureReason, maxTransitionWhy)
		}
		log = trimTransitions(append(slices.Clip(log), t))
	}
	// Every heartbeat begins new, when its record was created: the story
	// tells it from Created (story), the disk need not.
	if len(log) > 0 && log[0].State == StateNew {
		log = log[1:]
	}
	next.Transitions = log
}

func trimTransitions(list []transition) []transition {
	if len(list) > maxTransitions {
		list = list[len(list)-maxTransitions:]
	}
	return list
}

// transitionViews are the story for the API and the pages, the newest
// first.
func transitionViews(list []transition) []TransitionView {
	out := make([]TransitionView, len(list))
	for i, t := range list {
		out[len(list)-1-i] = TransitionView(t)
	}
	return out
}
