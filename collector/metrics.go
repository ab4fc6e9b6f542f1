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
	"io"
	"maps"
	"slices"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/exposition"
)

// Thousands of heartbeats make hundreds of thousands of series: they are
// written directly as text (a scrape costs a fraction of what a
// client_golang collector's per-series objects would), each family
// declared here once with its value, sorted by name.
//
// A heartbeat exports the basic set unless it asks for metrics: detailed
// (then every family, zeros and configuration values included). The
// basic set is what the mixin reads, at most 6 series in each state:
// heartbeat_up, heartbeat_deadline_timestamp_seconds and
// heartbeat_last_success_timestamp_seconds always; the others only when
// they say something (a failure happened, runs are measured, the
// heartbeat is failed, a run is open, it is paused, an exclusive job ran
// twice), each with the value detailed would give.

// snapshot is a heartbeat's values at one moment, read under its lock.
type snapshot struct {
	labels    []string // heartbeat and configured labels, as name, value pairs
	name      string
	st        status
	rec       recordValues
	grace     time.Duration
	maxRun    time.Duration
	threshold int
	values    map[string]value
	release   string
	exclusive bool // one sender, one run per period (config exclusive)
	// detailed: every series (metrics: detailed); else the basic set.
	detailed bool
}

// recordValues are the parts of a record the metrics show.
type recordValues struct {
	lastPing, lastSuccess, lastStart, lastFailure time.Time
	lastDuration                                  float64
	lastExit                                      float64 // -1: none
	running                                       int
	failures                                      int
	pings                                         [len(wire.Kinds)]uint64
}

type hbFamily = exposition.Family[*snapshot]

var heartbeatFamilies = exposition.Prepare([]hbFamily{
	{Name: "heartbeat_consecutive_failures", Type: exposition.Gauge,
		Help:    "Failed runs since the last success; the heartbeat is failed from failure_threshold on.",
		Present: func(s *snapshot) bool { return s.detailed || s.st.Failed },
		Value:   func(s *snapshot) float64 { return float64(s.rec.failures) }},
	{Name: "heartbeat_deadline_timestamp_seconds", Type: exposition.Gauge,
		Help:  "The next success is due by then: the interval or the cron schedule after the last success, plus grace; while a run is open, the end of its max_runtime if that is earlier.",
		Value: func(s *snapshot) float64 { return ts(s.st.Deadline) }},
	{Name: "heartbeat_expected_timestamp_seconds", Type: exposition.Gauge,
		Help:    "When the next success is expected, before grace.",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return ts(s.st.Expected) }},
	{Name: "heartbeat_failure_threshold", Type: exposition.Gauge,
		Help:    "How many failed runs in a row make the heartbeat failed.",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return float64(s.threshold) }},
	{Name: "heartbeat_grace_seconds", Type: exposition.Gauge,
		Help:    "How late a success may be before the heartbeat is down.",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return s.grace.Seconds() }},
	{Name: "heartbeat_interval_seconds", Type: exposition.Gauge,
		Help:    "The expected time between successes (for a schedule, between the next two runs).",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return s.st.Interval.Seconds() }},
	{Name: "heartbeat_last_duration_seconds", Type: exposition.Gauge,
		Help:    "How long the last run took, from its start ping to its end (0: no run measured).",
		Present: func(s *snapshot) bool { return s.detailed || s.rec.lastDuration > 0 },
		Value:   func(s *snapshot) float64 { return s.rec.lastDuration }},
	{Name: "heartbeat_last_exit_status", Type: exposition.Gauge,
		Help:    "The exit status the last /{exit_status} ping reported (-1: none yet).",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return s.rec.lastExit }},
	{Name: "heartbeat_last_failure_timestamp_seconds", Type: exposition.Gauge,
		Help:    "When the last failure (fail ping, non-zero exit status) arrived (0: never).",
		Present: func(s *snapshot) bool { return s.detailed || !s.rec.lastFailure.IsZero() },
		Value:   func(s *snapshot) float64 { return ts(s.rec.lastFailure) }},
	{Name: "heartbeat_last_ping_timestamp_seconds", Type: exposition.Gauge,
		Help:    "When the last ping of any kind arrived (0: never).",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return ts(s.rec.lastPing) }},
	{Name: "heartbeat_last_value", Type: exposition.Gauge,
		Help:    "The last number a ping reported for each metric (?metric=NAME:VALUE); for wait_seconds the largest since the previous scrape, so a backlog that drains between two scrapes still shows.",
		Present: func(s *snapshot) bool { return len(s.values) > 0 },
		Samples: func(s *snapshot, smp *exposition.Sampler) {
			for _, name := range slices.Sorted(maps.Keys(s.values)) {
				smp.Sample(s.values[name].V, "metric", name)
			}
		}},
	{Name: "heartbeat_last_start_timestamp_seconds", Type: exposition.Gauge,
		Help:    "When the last start ping arrived (0: never).",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return ts(s.rec.lastStart) }},
	{Name: "heartbeat_last_success_timestamp_seconds", Type: exposition.Gauge,
		Help:  "When the last success ping arrived (0: never).",
		Value: func(s *snapshot) float64 { return ts(s.rec.lastSuccess) }},
	{Name: "heartbeat_max_runtime_seconds", Type: exposition.Gauge,
		Help:    "How long a run may take from start to end (0: no limit).",
		Present: func(s *snapshot) bool { return s.detailed || s.st.Overrun },
		Value:   func(s *snapshot) float64 { return s.maxRun.Seconds() }},
	{Name: "heartbeat_paused", Type: exposition.Gauge,
		Help:    "1 while the heartbeat is paused (POST /api/v1/heartbeats/{name}/pause, or an open maintenance window): it is not due, and the mixin's heartbeat alerts are quiet for it.",
		Present: func(s *snapshot) bool { return s.detailed || s.st.Paused },
		Value:   func(s *snapshot) float64 { return boolValue(s.st.Paused) }},
	{Name: "heartbeat_pings_total", Type: exposition.Counter,
		Help:    "Pings accepted, by kind (success, start, fail, log, progress).",
		Present: func(s *snapshot) bool { return s.detailed },
		Samples: func(s *snapshot, smp *exposition.Sampler) {
			for k, kind := range wire.Kinds {
				smp.Sample(float64(s.rec.pings[k]), "kind", kind)
			}
		}},
	{Name: "heartbeat_release_info", Type: exposition.Gauge,
		Help:    "1, with the last release the heartbeat's sender reported (?release=, a registration's release): which release each worker and job runs. Only once one was reported.",
		Present: func(s *snapshot) bool { return s.release != "" },
		Samples: func(s *snapshot, smp *exposition.Sampler) { smp.Sample(1, "release", s.release) }},
	{Name: "heartbeat_runs_per_period", Type: exposition.Gauge,
		Help:    "Successes per expected run: over the current slot of a schedule, over the last three intervals; 2 for a job started twice. Only for exclusive heartbeats (the default for a schedule).",
		Present: func(s *snapshot) bool { return s.exclusive && (s.detailed || s.st.RunsPerPeriod > 1) },
		Value:   func(s *snapshot) float64 { return s.st.RunsPerPeriod }},
	{Name: "heartbeat_running", Type: exposition.Gauge,
		Help:    "Runs in progress: start pings not yet ended.",
		Present: func(s *snapshot) bool { return s.detailed },
		Value:   func(s *snapshot) float64 { return float64(s.rec.running) }},
	{Name: "heartbeat_running_since_timestamp_seconds", Type: exposition.Gauge,
		Help:    "When the oldest run in progress started, or sent its last progress ping (0: none): max_runtime counts from here.",
		Present: func(s *snapshot) bool { return s.detailed || !s.st.RunningSince.IsZero() },
		Value:   func(s *snapshot) float64 { return ts(s.st.RunningSince) }},
	{Name: "heartbeat_sources", Type: exposition.Gauge,
		Help:    "Distinct senders of pings (?source=, else the client's address) within the current period (the schedule's slot, the last interval); 2 for two beats. Only for exclusive heartbeats (the default for a schedule).",
		Present: func(s *snapshot) bool { return s.exclusive && (s.detailed || s.st.Sources > 1) },
		Value:   func(s *snapshot) float64 { return float64(s.st.Sources) }},
	{Name: "heartbeat_up", Type: exposition.Gauge,
		Help:  "1 while the heartbeat is on time, fewer than failure_threshold runs in a row failed, and no run is over max_runtime.",
		Value: func(s *snapshot) float64 { return boolValue(s.st.Up) }},
})

// snapshot reads the heartbeat at now. Callers hold h.mu.
func (h *heartbeat) snapshot(now time.Time) snapshot {
	r := &h.rec
	exit := -1.0
	if r.LastExit != nil {
		exit = float64(*r.LastExit)
	}
	st := h.evaluate(now)
	if h.cfg.ExclusiveRuns() {
		st = h.counted(st, now)
	}
	maxRun := time.Duration(h.cfg.MaxRuntime)
	return snapshot{
		detailed:  h.cfg.Detailed(),
		labels:    h.labels,
		name:      h.cfg.Name,
		st:        st,
		grace:     h.cfg.GraceDuration(),
		maxRun:    maxRun,
		threshold: h.cfg.FailureThreshold,
		values:    r.Values,
		release:   r.Release,
		exclusive: h.cfg.ExclusiveRuns(),
		rec: recordValues{
			lastPing: r.LastPing, lastSuccess: r.LastSuccess, lastStart: r.LastStart, lastFailure: r.LastFailure,
			lastDuration: r.LastDuration, lastExit: exit, running: len(r.Runs), failures: r.Failures, pings: r.Pings,
		},
	}
}

// WriteText writes every heartbeat's families to w in the text exposition
// format, evaluated now, sorted by heartbeat name.
func (h *Heartbeats) WriteText(w io.Writer) error {
	now := h.now()
	h.maintain(now)
	defer h.scraped.Store(now.UnixNano())
	list := h.sortedList()
	snaps := make([]snapshot, len(list))
	for i, n := range list {
		n.hb.mu.Lock()
		snaps[i] = n.hb.snapshot(now)
		n.hb.mu.Unlock()
	}
	ptrs := make([]*snapshot, len(snaps))
	for i := range snaps {
		ptrs[i] = &snaps[i]
	}
	return exposition.Write(w, heartbeatFamilies, ptrs, func(s *snapshot) []string { return s.labels })
}

func ts(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// labelPairs are the heartbeat label and the configured labels, sorted by
// name, as name, value pairs.
func labelPairs(hc *config.Heartbeat) []string {
	names := slices.Sorted(maps.Keys(hc.Labels))
	pairs := make([]string, 0, 2+2*len(names))
	pairs = append(pairs, "heartbeat", hc.Name)
	for _, n := range names {
		pairs = append(pairs, n, hc.Labels[n])
	}
	return pairs
}
