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
	"strings"
	"testing"
	"time"
)

// storyOf writes a heartbeat's changes as "state@minutes after t0".
func storyOf(v HeartbeatView, t0 time.Time) string {
	parts := make([]string, len(v.Transitions))
	for i, t := range v.Transitions {
		parts[len(parts)-1-i] = fmt.Sprintf("%s@%g", t.State, t.At.Sub(t0).Minutes())
	}
	return strings.Join(parts, " ")
}

// A heartbeat's story is told at the moments things happened, whoever
// asks and whenever: the silence reads as late at its due time and down
// at the end of its grace, not when somebody looked; a failure at its
// ping. It is on disk: a restart tells the same, and a long story keeps
// its last changes.
func TestHeartbeatTellsItsStory(t *testing.T) {
	e := newEnv(t, basicConfig)
	t0 := e.clock.now()
	e.ok("POST", "/heartbeat/celery-beat") // up at 0
	e.clock.advance(5*time.Minute + 30*time.Second)
	if v := e.view("celery-beat"); v.State != StateLate || storyOf(v, t0) != "new@0 up@0 late@5" || !v.Since.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("late: %s, since %s, story %s", v.State, v.Since.Sub(t0), storyOf(v, t0))
	}
	// Nobody looks while it goes down; the page, later, says when.
	e.clock.advance(20 * time.Minute)
	v := e.view("celery-beat")
	if v.State != StateDown || storyOf(v, t0) != "new@0 up@0 late@5 down@6" || !v.Since.Equal(t0.Add(6*time.Minute)) {
		t.Errorf("down: %s, since %s, story %s", v.State, v.Since.Sub(t0), storyOf(v, t0))
	}

	// A restart: the same story, from the record.
	e.reopen(basicConfig)
	if v := e.view("celery-beat"); storyOf(v, t0) != "new@0 up@0 late@5 down@6" {
		t.Errorf("after a restart: %s", storyOf(v, t0))
	}

	// The job comes back failing, twice: one change, at the first.
	e.ok("POST", "/heartbeat/celery-beat/fail?msg=boom")
	e.clock.advance(time.Minute)
	e.ok("POST", "/heartbeat/celery-beat/fail?msg=boom")
	v = e.view("celery-beat")
	if v.State != StateFailed || storyOf(v, t0) != "new@0 up@0 late@5 down@6 failed@25.5" || v.Transitions[0].Why == "" {
		t.Errorf("failed: %s, story %s, %+v", v.State, storyOf(v, t0), v.Transitions[0])
	}
	e.reopen(basicConfig)
	if v := e.view("celery-beat"); storyOf(v, t0) != "new@0 up@0 late@5 down@6 failed@25.5" {
		t.Errorf("after a second restart: %s", storyOf(v, t0))
	}

	// Many days of flapping: the last maxTransitions changes are kept.
	for range 20 {
		e.clock.advance(time.Minute)
		e.ok("POST", "/heartbeat/celery-beat")
		e.clock.advance(7 * time.Minute)
		e.ok("POST", "/heartbeat/celery-beat/fail")
	}
	v = e.view("celery-beat")
	if len(v.Transitions) != maxTransitions || v.Transitions[0].State != StateFailed || !v.Transitions[0].At.Equal(e.clock.now()) {
		t.Errorf("a long story: %d changes, the last %+v", len(v.Transitions), v.Transitions[0])
	}
	// Each flap: up, late, down, failed: all at their own moments.
	if got := storyOf(v, t0); !strings.HasSuffix(got, "up@179.5 late@184.5 down@185.5 failed@186.5") {
		t.Errorf("the last flap: %s", got)
	}
}

// A pause tells when it began and when it ended.
func TestPauseInTheStory(t *testing.T) {
	e := newEnv(t, basicConfig)
	t0 := e.clock.now()
	e.ok("POST", "/heartbeat/celery-beat")
	e.clock.advance(time.Minute)
	if code, body := e.do("POST", "/api/v1/heartbeats/celery-beat/pause", `{"for": "10m"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	e.clock.advance(20 * time.Minute) // the pause ended at 11; due at 16, down at 17
	v := e.view("celery-beat")
	if got := storyOf(v, t0); got != "new@0 up@0 paused@1 up@11 late@16 down@17" {
		t.Errorf("a pause: %s", got)
	}
}

// On disk a change is a short array, and what is not one is refused.
func TestTransitionOnDisk(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 40, 0, 123e6, time.UTC)
	for _, tc := range []struct {
		tr   transition
		want string
	}{
		{transition{At: at, State: StateDown}, `[1796632800123,"down"]`},
		{transition{At: at, State: StateFailed, Why: "exit status 1"}, `[1796632800123,"failed","exit status 1"]`},
		{transition{At: at, State: StateFailed, Why: "KeyError: 'a\"b' <é>\n"}, `[1796632800123,"failed","KeyError: 'a\"b' \u003cé\u003e\n"]`},
	} {
		b, err := json.Marshal(transitions{tc.tr})
		if err != nil || string(b) != "["+tc.want+"]" {
			t.Errorf("%+v is written %s (%v), want %s", tc.tr, b, err, tc.want)
		}
		var back []transition
		if err := json.Unmarshal(b, &back); err != nil || len(back) != 1 || back[0] != tc.tr {
			t.Errorf("%s is read as %+v (%v)", b, back, err)
		}
	}
	for _, bad := range []string{`[]`, `[1]`, `["x","up"]`, `[1,"up","why",4]`, `{"at":1}`} {
		var tr transition
		if err := json.Unmarshal([]byte(bad), &tr); err == nil {
			t.Errorf("%s is read as %+v", bad, tr)
		}
	}
}
