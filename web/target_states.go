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

package web

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
	"github.com/django-health/django_health_exporter/probe"
)

// Current keeps the last result of each target, for the status page's
// "what is broken now?": every configured target, and the ad-hoc targets
// (?target=URL) probed most recently, at most maxAdHoc of them. Each entry
// is a small summary with bounded strings, whatever the target answered;
// the full account stays in the History (while it is kept).
type Current struct {
	mu       sync.Mutex
	byKey    map[string]*TargetState
	maxAdHoc int
}

// TargetState is the last probe of one target, or a configured target not
// probed yet (Probed false).
type TargetState struct {
	Target     string // as asked for: a configured name, or a URL
	Module     string
	Hostname   string
	Configured bool
	URL        string // a configured target's (redacted) URL
	Probed     bool
	ID         uint64 // the probe, for /logs while the history keeps it
	Start      time.Time
	Duration   time.Duration
	Success    bool
	StatusCode int
	Reasons    []string // probe_failed_due_to
	Failure    string   // why, in words
	// FailingSince is when the target began to fail, over the probes
	// this exporter saw (zero while it succeeds); UpSince when it began
	// to succeed (zero while it fails).
	FailingSince time.Time
	UpSince      time.Time
	// LastFailed is the last probe of the target that failed (zero when
	// none did since the exporter started): /logs?target= shows it.
	LastFailed FailedProbe
	// Transitions are the target's last changes between up and failing,
	// the newest last: kept in memory, at most maxTransitions.
	Transitions []Transition
	Warnings    []string // warning-level checks that failed
	// Release is the release that answered (django.release), "".
	Release string
	// BrokenAssets are the static assets its page links that are broken,
	// each as "URL (status): why" (django.static_assets).
	BrokenAssets []string
}

// FailedProbe is what the status page keeps of a target's last failed
// probe: which it was (for /logs while the history keeps it), when, and
// why in words (kept here whatever the history drops).
type FailedProbe struct {
	ID      uint64
	At      time.Time
	Failure string
}

// Transition is a change of a target's state: to "up" or "failing" at a
// probe, and why (the failure, cut).
type Transition struct {
	At    time.Time
	State string
	Why   string
}

const (
	// maxTransitions bounds the changes kept per target.
	maxTransitions = 10
	// maxTransitionWhy bounds the words of each.
	maxTransitionWhy = 200
	maxAdHocTargets  = 100
	maxStateTarget   = 512
	maxStateFailure  = 2048
	maxStateWarnings = 10
	maxStateAssets   = 10
)

// NewCurrent keeps the configured targets and the last maxAdHoc ad-hoc ones.
func NewCurrent(maxAdHoc int) *Current {
	if maxAdHoc <= 0 {
		maxAdHoc = maxAdHocTargets
	}
	return &Current{byKey: map[string]*TargetState{}, maxAdHoc: maxAdHoc}
}

func stateKey(target, module, hostname string) string {
	return target + "\x00" + module + "\x00" + hostname
}

// Observe keeps a finished probe as its target's state. configured says
// whether the target is one of the configuration's (then it is never
// pushed out by ad-hoc ones).
func (c *Current) Observe(r *probe.Result, configured bool) {
	s := &TargetState{
		Target:     text.Cut(r.Target, maxStateTarget),
		Module:     r.Module,
		Hostname:   r.Hostname,
		Configured: configured,
		Probed:     true,
		ID:         r.ID,
		Start:      r.Start,
		Duration:   r.Duration,
		Success:    r.Success,
		StatusCode: r.StatusCode,
		Failure:    text.Cut(r.Failure(), maxStateFailure),
	}
	for _, f := range r.Failures {
		if !slices.Contains(s.Reasons, f.Reason) {
			s.Reasons = append(s.Reasons, f.Reason)
		}
	}
	for i, w := range r.Warnings {
		if i == maxStateWarnings {
			break
		}
		s.Warnings = append(s.Warnings, text.Cut(w, maxStateTarget))
	}
	s.Release = r.Release
	if r.Assets != nil {
		for i, a := range r.Assets.Broken {
			if i == maxStateAssets {
				s.BrokenAssets = append(s.BrokenAssets, fmt.Sprintf("and %d more", len(r.Assets.Broken)-i))
				break
			}
			status := "no answer"
			if a.Status != 0 {
				status = fmt.Sprintf("HTTP %d", a.Status)
			}
			s.BrokenAssets = append(s.BrokenAssets, text.Cut(fmt.Sprintf("%s (%s, %s): %s", a.URL, a.Kind, status, a.Why), maxStateTarget))
		}
	}
	if s.Success {
		s.UpSince = s.Start
	} else {
		s.FailingSince = s.Start
		s.LastFailed = FailedProbe{ID: s.ID, At: s.Start, Failure: s.Failure}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := stateKey(s.Target, s.Module, s.Hostname)
	prev := c.byKey[key]
	if prev != nil {
		s.Transitions = prev.Transitions
		if s.Success {
			s.LastFailed = prev.LastFailed
		}
		switch {
		case !s.Success && !prev.FailingSince.IsZero():
			s.FailingSince = prev.FailingSince
		case s.Success && !prev.UpSince.IsZero():
			s.UpSince = prev.UpSince
		}
	}
	if prev == nil || prev.Success != s.Success {
		s.Transitions = appendTransition(s.Transitions, s)
	}
	c.byKey[key] = s
	if !configured {
		c.trimAdHoc()
	}
}

// Changes are the target's last changes, the newest first.
func (s TargetState) Changes() []Transition {
	out := slices.Clone(s.Transitions)
	slices.Reverse(out)
	return out
}

// appendTransition adds a state's change to a target's last ones, copying
// (a kept state is shared with the copies States returned).
func appendTransition(list []Transition, s *TargetState) []Transition {
	t := Transition{At: s.Start, State: "up"}
	if !s.Success {
		t.State, t.Why = "failing", text.Cut(s.Failure, maxTransitionWhy)
	}
	out := make([]Transition, 0, min(len(list)+1, maxTransitions))
	out = append(out, list[max(0, len(list)+1-maxTransitions):]...)
	return append(out, t)
}

// LastFailed finds the last failed probe of a target, by its name or URL
// (of any module and Host header): the latest when there are several.
func (c *Current) LastFailed(target string) (TargetState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var found *TargetState
	for _, s := range c.byKey {
		if s.Target != target {
			continue
		}
		if found == nil || s.LastFailed.At.After(found.LastFailed.At) {
			found = s
		}
	}
	if found == nil {
		return TargetState{}, false
	}
	return *found, true
}

// trimAdHoc drops the oldest ad-hoc states beyond maxAdHoc. Callers hold
// c.mu.
func (c *Current) trimAdHoc() {
	var adHoc []*TargetState
	for _, s := range c.byKey {
		if !s.Configured {
			adHoc = append(adHoc, s)
		}
	}
	if len(adHoc) <= c.maxAdHoc {
		return
	}
	sort.Slice(adHoc, func(i, j int) bool { return adHoc[i].Start.Before(adHoc[j].Start) })
	for _, s := range adHoc[:len(adHoc)-c.maxAdHoc] {
		delete(c.byKey, stateKey(s.Target, s.Module, s.Hostname))
	}
}

// States lists every configured target of cfg (probed or not) and the
// recent ad-hoc ones: failing first, then not probed yet, then up, each
// by name. States of targets the configuration no longer names are
// forgotten.
func (c *Current) States(cfg *config.Config) []TargetState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TargetState, 0, len(cfg.Targets)+c.maxAdHoc)
	seen := map[string]bool{}
	for _, t := range cfg.Targets {
		key := stateKey(t.Name, t.ModuleName(), t.Hostname)
		seen[key] = true
		s := TargetState{Target: t.Name, Module: t.ModuleName(), Hostname: t.Hostname}
		if kept, ok := c.byKey[key]; ok {
			s = *kept
		}
		s.Configured, s.URL = true, config.RedactURL(t.URL)
		out = append(out, s)
	}
	for key, s := range c.byKey {
		switch {
		case seen[key]:
		case s.Configured: // no longer in the configuration
			delete(c.byKey, key)
		default:
			out = append(out, *s)
		}
	}
	slices.SortStableFunc(out, compareStates)
	return out
}

// compareStates puts the worst first: failing targets (by their worst
// reason: an unreachable site before a failed check; then the longest
// failing), then the ones not probed yet, then the ones up; by name
// within each.
func compareStates(a, b TargetState) int {
	if c := cmp.Compare(a.rank(), b.rank()); c != 0 {
		return c
	}
	if a.rank() == 0 {
		if c := cmp.Compare(worstReason(a.Reasons), worstReason(b.Reasons)); c != 0 {
			return c
		}
		if c := a.FailingSince.Compare(b.FailingSince); c != 0 {
			return c
		}
	}
	return strings.Compare(a.Target, b.Target)
}

// reasonOrder ranks probe_failed_due_to reasons, the worst first: the
// site cannot be reached, then it answers wrongly, then one part of it
// (a check, a backend) fails.
var reasonOrder = []string{
	probe.ReasonDNS, probe.ReasonConnect, probe.ReasonTLS, probe.ReasonTimeout,
	probe.ReasonStatus, probe.ReasonDebugPage, probe.ReasonDisallowedHost, probe.ReasonRedirect,
	probe.ReasonLogin, probe.ReasonHealthCheck, probe.ReasonCheck, probe.ReasonAllowedHostsNotEnforced,
	probe.ReasonBodyLimit, probe.ReasonRefused,
}

// worstReason is the rank of the worst of a target's reasons.
func worstReason(reasons []string) int {
	worst := len(reasonOrder)
	for _, r := range reasons {
		if i := slices.Index(reasonOrder, r); i >= 0 && i < worst {
			worst = i
		}
	}
	return worst
}

// rank orders the states: failing, not probed yet, up.
func (s *TargetState) rank() int {
	switch {
	case s.Probed && !s.Success:
		return 0
	case !s.Probed:
		return 1
	}
	return 2
}
