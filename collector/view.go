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
	"slices"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
)

// HeartbeatView is one heartbeat as /api/v1/heartbeats and the status page
// show it. Times are zero when the event never happened.
type HeartbeatView struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	State  State             `json:"state"`
	// Since is when the heartbeat came to be in its state; Transitions
	// are its last changes of state, the newest first.
	Since       time.Time        `json:"since,omitzero"`
	Transitions []TransitionView `json:"transitions,omitempty"`
	// Why says what the state is about: "running 8m, max_runtime 30s".
	Why              string    `json:"why,omitempty"`
	Schedule         string    `json:"schedule,omitempty"`
	Timezone         string    `json:"timezone,omitempty"`
	Interval         float64   `json:"interval_seconds"`
	Grace            float64   `json:"grace_seconds"`
	EarlyMargin      float64   `json:"early_margin_seconds"`
	MaxRuntime       float64   `json:"max_runtime_seconds,omitempty"`
	MinRuntime       float64   `json:"min_runtime_seconds,omitempty"`
	FailureThreshold int       `json:"failure_threshold"`
	LastPing         time.Time `json:"last_ping,omitzero"`
	LastPingKind     string    `json:"last_ping_kind,omitempty"`
	LastSuccess      time.Time `json:"last_success,omitzero"`
	LastStart        time.Time `json:"last_start,omitzero"`
	LastFailure      time.Time `json:"last_failure,omitzero"`
	FailureReason    string    `json:"failure_reason,omitempty"`
	// Keyword is the success or failure keyword that decided the last run.
	Keyword string `json:"decided_by_keyword,omitempty"`
	// ConsecutiveFailures counts the failed runs since the last success.
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastDuration        float64   `json:"last_duration_seconds"`
	LastExit            *int      `json:"last_exit_status,omitempty"`
	Expected            time.Time `json:"expected"`
	Deadline            time.Time `json:"deadline"`
	Running             int       `json:"running"`
	RunningSince        time.Time `json:"running_since,omitzero"`
	// Paused: by the API or a maintenance window (Maintenance names the
	// open ones), until PausedUntil (zero: until the next ping).
	Paused      bool      `json:"paused"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	Maintenance []string  `json:"maintenance,omitempty"`
	// LastMessage is the body of the last ping that had one (read from
	// the store by WithMessages), from a ping of MessageKind at MessageAt;
	// Excerpt is its last line.
	LastMessage string    `json:"last_message"`
	Excerpt     string    `json:"last_message_excerpt,omitempty"`
	MessageAt   time.Time `json:"last_message_at,omitzero"`
	MessageKind string    `json:"last_message_kind,omitempty"`
	// MessageCutBytes is how much of the head of the last message was
	// cut: the end of a log is what matters.
	MessageCutBytes int  `json:"message_cut_bytes,omitempty"`
	AutoRegistered  bool `json:"auto_registered,omitempty"`
	// Registered is set for a heartbeat registered through the API.
	Registered bool `json:"registered,omitempty"`
	// Release is the last release the heartbeat's sender reported.
	Release string `json:"release,omitempty"`
	// Exclusive: one run per period from one sender is expected; only then
	// are sources and runs per period exported.
	Exclusive bool              `json:"exclusive"`
	Pings     map[string]uint64 `json:"pings"`
	// Sources are who pinged (?source=, else the address), with when each
	// was last heard from; SourcesInPeriod counts those of the last period.
	Sources         map[string]time.Time `json:"sources,omitempty"`
	SourcesInPeriod int                  `json:"sources_in_period"`
	RunsPerPeriod   float64              `json:"runs_per_period"`
	// Values are the last numbers pings reported (?metric=NAME:VALUE).
	Values map[string]float64 `json:"values,omitempty"`
}

// RetainedView is the record of a heartbeat the configuration no longer
// names, kept until Expires in case the name returns.
type RetainedView struct {
	Name        string    `json:"name"`
	Left        time.Time `json:"left"`
	Expires     time.Time `json:"expires"`
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// view renders the heartbeat for the API and the status page. Callers
// hold h.mu.
func (h *heartbeat) view(now time.Time) HeartbeatView {
	st := h.explain(h.evaluate(now), now)
	r := &h.rec
	v := HeartbeatView{
		Name:                h.cfg.Name,
		Labels:              h.cfg.Labels,
		State:               st.State,
		Why:                 st.Why,
		LastPing:            r.LastPing,
		LastPingKind:        r.LastPingKind,
		LastSuccess:         r.LastSuccess,
		LastStart:           r.LastStart,
		LastFailure:         r.LastFailure,
		FailureReason:       r.FailureReason,
		Keyword:             r.Keyword,
		ConsecutiveFailures: r.Failures,
		LastDuration:        r.LastDuration,
		LastExit:            r.LastExit,
		Expected:            st.Expected,
		Deadline:            st.Deadline,
		Running:             len(r.Runs),
		RunningSince:        st.RunningSince,
		Paused:              st.Paused,
		PausedUntil:         st.PausedUntil,
		Maintenance:         h.openWindows(now),
		Interval:            st.Interval.Seconds(),
		Grace:               h.cfg.GraceDuration().Seconds(),
		EarlyMargin:         h.cfg.EarlyMarginDuration().Seconds(),
		MaxRuntime:          time.Duration(h.cfg.MaxRuntime).Seconds(),
		MinRuntime:          time.Duration(h.cfg.MinRuntime).Seconds(),
		FailureThreshold:    h.cfg.FailureThreshold,
		Excerpt:             r.Excerpt,
		MessageAt:           r.MessageAt,
		MessageKind:         r.MessageKind,
		MessageCutBytes:     r.MessageCut,
		AutoRegistered:      r.Auto,
		Registered:          r.Registration != nil,
		Release:             r.Release,
		Exclusive:           h.cfg.ExclusiveRuns(),
		Pings:               map[string]uint64{},
		Sources:             r.Sources.Map(),
		SourcesInPeriod:     st.Sources,
		RunsPerPeriod:       st.RunsPerPeriod,
	}
	story := h.story(r, now)
	v.Transitions = transitionViews(story)
	if n := len(story); n > 0 {
		v.Since = story[n-1].At
	}
	if len(r.Values) > 0 {
		v.Values = make(map[string]float64, len(r.Values))
		for name, val := range r.Values {
			v.Values[name] = val.V
		}
	}
	if s := h.cfg.CronSchedule(); s != nil {
		v.Schedule, v.Timezone = h.cfg.Schedule.String(), h.cfg.Location().String()
	}
	for i, k := range wire.Kinds {
		v.Pings[k] = r.Pings[i]
	}
	return v
}

func sortViews(v []HeartbeatView) {
	slices.SortFunc(v, func(a, b HeartbeatView) int { return strings.Compare(a.Name, b.Name) })
}

// Views returns every heartbeat as the status page shows it, sorted by
// name: the last line of its last message, not the message.
func (h *Heartbeats) Views() []HeartbeatView {
	now := h.now()
	list := h.list()
	views := make([]HeartbeatView, 0, len(list))
	for _, hb := range list {
		hb.mu.Lock()
		views = append(views, hb.view(now))
		hb.mu.Unlock()
	}
	sortViews(views)
	return views
}

// WithMessages fills in the last message of each view, from the store.
func (h *Heartbeats) WithMessages(views []HeartbeatView) []HeartbeatView {
	index := make(map[string]int, len(views))
	names := make([]string, len(views))
	for i, v := range views {
		index[v.Name], names[i] = i, v.Name
	}
	err := h.store.Messages(names, func(name, msg string) { views[index[name]].LastMessage = msg })
	if err != nil {
		h.logger.Error("Could not read the last messages", "err", err)
	}
	return views
}

// Retained lists the records kept for heartbeats the configuration no
// longer names, sorted by name.
func (h *Heartbeats) Retained() []RetainedView {
	h.mu.RLock()
	defer h.mu.RUnlock()
	keep := h.retention()
	out := make([]RetainedView, 0, len(h.retained))
	for name, rec := range h.retained {
		out = append(out, RetainedView{Name: name, Left: rec.Left, Expires: rec.Left.Add(keep), LastSuccess: rec.LastSuccess})
	}
	slices.SortFunc(out, func(a, b RetainedView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// limiter lets one event a key through per period, and counts the rest.
// It holds at most size keys: beyond that, new keys are not let through
