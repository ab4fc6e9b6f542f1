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
	"slices"
	"sort"
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
	Warnings   []string // warning-level checks that failed
}

const (
	maxAdHocTargets  = 100
	maxStateTarget   = 512
	maxStateFailure  = 2048
	maxStateWarnings = 10
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
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[stateKey(s.Target, s.Module, s.Hostname)] = s
	if !configured {
		c.trimAdHoc()
	}
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
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].rank(), out[j].rank(); a != b {
			return a < b
		}
		return out[i].Target < out[j].Target
	})
	return out
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
