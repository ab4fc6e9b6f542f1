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
	"slices"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/internal/text"
)

// A record is what the store keeps of a heartbeat, and apply is how a
// ping changes it. Records are copied on write: a ping is applied to a
// clone, and the clone kept only once it is on disk.

// maxOpenRuns bounds the runs a heartbeat tracks at once (starts without
// an end); the oldest is forgotten first.
const maxOpenRuns = 32

// record is what the store keeps of a heartbeat.
type record struct {
	// Format is the layout it was written in (stored.go).
	Format  int       `json:"format,omitempty"`
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
	// Failures counts the failed runs since the last success (that
	// recovered the heartbeat); Streak the successes since the last
	// failure.
	Failures int `json:"failures,omitempty"`
	Streak   int `json:"streak,omitempty"`
	// Keyword is the keyword that decided the last run, "" for none.
	Keyword      string  `json:"keyword,omitempty"`
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
	// Alive is the last progress ping of each open run that sent one.
	Alive map[string]time.Time    `json:"alive,omitempty"`
	Pings [len(wire.Kinds)]uint64 `json:"pings"`
	// Values are the numbers pings reported (?metric=NAME:VALUE).
	Values map[string]value `json:"values,omitempty"`
	// Sources are who sent pings (?source=, else the client's address),
	// with when each was last heard from.
	Sources sources `json:"sources,omitempty"`
	// Successes are the times of the last successes, to count runs per
	// period.
	Successes []time.Time `json:"successes,omitempty"`
	// Pause is the pause asked for through the API, nil for none;
	// Resumed is when the last one ended.
	Pause   *pauseRec `json:"pause,omitempty"`
	Resumed time.Time `json:"resumed,omitzero"`
	// Release is the last release the heartbeat's sender reported
	// (?release=, a registration's "release"): heartbeat_release_info.
	Release string `json:"release,omitempty"`
	// Registration is what the API registered, for a heartbeat created by
	// PUT /api/v1/heartbeats/{name}.
	Registration *storedRegistration `json:"registration,omitempty"`
	// Transitions are the last changes of the heartbeat's state, the
	// newest last (transitions.go).
	Transitions transitions `json:"transitions,omitempty"`
}

// value is a number a ping reported, and when.
type value struct {
	V  float64   `json:"v"`
	At time.Time `json:"at"`
}

// peakValue is the number a ping reports (?metric=) whose largest value
// since the previous scrape is kept, not its last: a Celery queue's
// canaries that waited in a backlog all run at once when it drains, each
// reporting its wait; the last (the smallest) would hide the backlog from
// a scrape every 15 s.
const peakValue = "wait_seconds"

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
	c.Alive = maps.Clone(r.Alive)
	c.Values = maps.Clone(r.Values)
	c.Sources = slices.Clone(r.Sources)
	c.Successes = append([]time.Time(nil), r.Successes...)
	if r.LastExit != nil {
		exit := *r.LastExit
		c.LastExit = &exit
	}
	if r.Pause != nil {
		p := *r.Pause
		c.Pause = &p
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
	release string // "" keeps the last one
	values  map[string]float64
	// peakSince is when /metrics was last scraped: a peakValue reported
	// since keeps the largest.
	peakSince time.Time
	// keyword is the keyword of the heartbeat's success_keywords or
	// failure_keywords that decided the ping, "" for none; reason says
	// why a ping the keywords made a failure is one.
	keyword, reason string
}

// runLimits are what a heartbeat's configuration says about its runs.
type runLimits struct {
	// staleAfter: a run open this long is forgotten when a later one ends.
	staleAfter time.Duration
	minRuntime time.Duration
	// failureThreshold failed runs in a row make the heartbeat failed,
	// recoveryThreshold successes in a row make it up again.
	failureThreshold, recoveryThreshold int
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
	r.endPause(p)
	r.Pings[wire.KindIndex(p.kind)]++
	if p.release != "" {
		r.Release = p.release
	}
	if p.message != "" {
		r.Excerpt, r.MessageAt, r.MessageKind, r.MessageCut = excerpt(p.message), p.at, p.kind, p.cut
	}
	r.note(p)
	if p.exit != nil {
		code := *p.exit
		r.LastExit = &code
	}
	switch p.kind {
	case wire.KindStart:
		if r.Runs == nil {
			r.Runs = map[string]time.Time{}
		}
		r.Runs[p.rid] = p.at
		r.LastStart = p.at
		r.trimRuns()
	case wire.KindProgress:
		if rid, ok := r.openRun(p.rid); ok {
			if r.Alive == nil {
				r.Alive = map[string]time.Time{}
			}
			r.Alive[rid] = p.at
		}
	case wire.KindSuccess, wire.KindFail:
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
		failed, why := p.kind == wire.KindFail, p.failureReason()
		if !failed && closed && took < lim.minRuntime {
			failed, why = true, fmt.Sprintf("finished suspiciously fast: in %s, min_runtime %s", text.Duration(took), text.Duration(lim.minRuntime))
		}
		r.Keyword = p.keyword
		if failed {
			r.LastFailure, r.FailureReason = p.at, why
			r.Failures++
			r.Streak = 0
		} else {
			r.LastSuccess = p.at
			r.Streak++
			// A failed heartbeat is up again after recovery_threshold
			// successes in a row.
			if r.Failures < max(lim.failureThreshold, 1) || r.Streak >= lim.recoveryThreshold {
				r.FailureReason, r.Failures = "", 0
			}
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
		r.Sources = r.Sources.set(p.source, p.at, maxSources)
	}
	for name, v := range p.values {
		if r.Values == nil {
			r.Values = map[string]value{}
		}
		if old, ok := r.Values[name]; ok && name == peakValue && old.At.After(p.peakSince) {
			v = max(v, old.V)
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
	if p.reason != "" {
		return p.reason
	}
	if p.exit != nil {
		return fmt.Sprintf("exit status %d", *p.exit)
	}
	return "fail ping"
}

// closeRun ends the run a ping with this rid belongs to: the run with the
// same rid; without a rid, the run started without one or, failing that,
// the only open run.
func (r *record) closeRun(rid string) (time.Time, bool) {
	rid, ok := r.openRun(rid)
	if !ok {
		return time.Time{}, false
	}
	started := r.Runs[rid]
	delete(r.Runs, rid)
	delete(r.Alive, rid)
	return started, true
}

// openRun is the open run a ping with this rid belongs to: the run with
// the same rid; without a rid, the only open run.
func (r *record) openRun(rid string) (string, bool) {
	if _, ok := r.Runs[rid]; ok {
		return rid, true
	}
	if rid == "" && len(r.Runs) == 1 {
		for k := range r.Runs {
			return k, true
		}
	}
	return "", false
}

func (r *record) trimRuns() {
	dropOldest(r.Runs, maxOpenRuns, func(t time.Time) time.Time { return t })
	maps.DeleteFunc(r.Alive, func(rid string, _ time.Time) bool { _, open := r.Runs[rid]; return !open })
}
