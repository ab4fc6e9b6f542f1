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
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/django-health/django_health_exporter/config"
)

// Reasons a ping is rejected, the reason label of
// heartbeat_rejected_pings_total.
const (
	RejectUnknown      = "unknown"
	RejectUnauthorized = "unauthorized"
	RejectInvalid      = "invalid"
	RejectTooLarge     = "too_large"
	RejectLimit        = "limit"
)

// Heartbeats is every heartbeat the exporter knows: configured ones and,
// with auto_register, the ones pings created. It applies pings, keeps
// their records in the Store, computes what is due when, and exports it.
type Heartbeats struct {
	store  *Store
	logger *slog.Logger
	now    func() time.Time

	mu     sync.RWMutex
	cfg    *config.Config
	byName map[string]*heartbeat
	// Records read from disk for heartbeats no config has named yet.
	loaded map[string]record
	descs  map[string]*heartbeatDescs // by label-name signature

	rejected *prometheus.CounterVec
}

// NewHeartbeats reads the store's records and registers the heartbeat
// metrics. Apply gives it the configuration.
func NewHeartbeats(store *Store, reg prometheus.Registerer, logger *slog.Logger) (*Heartbeats, error) {
	raw, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("reading heartbeat records: %w", err)
	}
	h := &Heartbeats{
		store:  store,
		logger: logger,
		now:    time.Now,
		byName: map[string]*heartbeat{},
		loaded: make(map[string]record, len(raw)),
		descs:  map[string]*heartbeatDescs{},
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heartbeat_rejected_pings_total",
			Help: "Pings refused, by reason: unknown (no such heartbeat), unauthorized (bad or missing token), invalid (bad name, action, rid or method), too_large (body), limit (max_heartbeats reached).",
		}, []string{"reason"}),
	}
	for _, r := range []string{RejectUnknown, RejectUnauthorized, RejectInvalid, RejectTooLarge, RejectLimit} {
		h.rejected.WithLabelValues(r)
	}
	for name, b := range raw {
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			logger.Warn("Ignoring an unreadable heartbeat record", "heartbeat", name, "err", err)
			continue
		}
		h.loaded[name] = rec
	}
	if reg != nil {
		reg.MustRegister(h, h.rejected)
	}
	return h, nil
}

// Apply takes a new configuration. Heartbeats that stay keep their
// records, new ones start now, and removed ones leave the metrics and the
// disk. Auto-registered heartbeats stay while auto_register is on.
func (h *Heartbeats) Apply(cfg *config.Config) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	next := make(map[string]*heartbeat, len(cfg.Heartbeats))
	for _, hc := range cfg.Heartbeats {
		hb, ok := h.byName[hc.Name]
		switch {
		case ok:
			hb.mu.Lock()
			hb.cfg = hc
			hb.rec.Auto = false
			hb.cacheExpected = time.Time{}
			hb.mu.Unlock()
		default:
			rec, known := h.loaded[hc.Name]
			delete(h.loaded, hc.Name)
			if !known {
				rec = record{Created: now}
			}
			rec.Auto = false
			hb = &heartbeat{cfg: hc, rec: rec}
			if !known {
				// The creation time must survive a restart, or a
				// heartbeat that never pings would never be due.
				hb.mu.Lock()
				h.persist(hb)
				hb.mu.Unlock()
			}
		}
		next[hc.Name] = hb
	}
	limit := cfg.HeartbeatDefaults.MaxHeartbeats
	if cfg.HeartbeatDefaults.AutoRegister {
		for name, hb := range h.byName {
			if _, ok := next[name]; !ok && hb.rec.Auto && len(next) < limit {
				hb.mu.Lock()
				hb.cfg = cfg.NewAutoHeartbeat(name)
				hb.cacheExpected = time.Time{}
				hb.mu.Unlock()
				next[name] = hb
			}
		}
		for name, rec := range h.loaded {
			if rec.Auto && len(next) < limit {
				next[name] = &heartbeat{cfg: cfg.NewAutoHeartbeat(name), rec: rec}
				delete(h.loaded, name)
			}
		}
	}
	for name := range h.byName {
		if _, ok := next[name]; !ok {
			h.store.Delete(name)
		}
	}
	for name := range h.loaded {
		h.store.Delete(name)
	}
	h.loaded = map[string]record{}
	h.byName = next
	h.cfg = cfg
	h.descs = map[string]*heartbeatDescs{}
}

// persist queues the heartbeat's record; callers hold hb.mu, so records
// of one heartbeat reach the store in the order they were made.
func (h *Heartbeats) persist(hb *heartbeat) <-chan error {
	b, err := json.Marshal(&hb.rec)
	if err != nil {
		done := make(chan error, 1)
		done <- err
		return done
	}
	return h.store.Put(hb.cfg.Name, b)
}

// pingError is a refused ping: the HTTP status and the reason label.
type pingError struct {
	code   int
	reason string
	msg    string
}

func (e *pingError) Error() string { return e.msg }

// find returns the heartbeat a ping names, creating it when
// auto_register allows, and checks the ping's token.
func (h *Heartbeats) find(name, token string) (*heartbeat, error) {
	h.mu.RLock()
	hb, ok := h.byName[name]
	cfg := h.cfg
	h.mu.RUnlock()
	if cfg == nil {
		return nil, errors.New("no configuration loaded")
	}
	if ok {
		hb.mu.Lock()
		want := hb.cfg.BearerToken()
		hb.mu.Unlock()
		if !tokenOK(want, token) {
			return nil, &pingError{401, RejectUnauthorized, "missing or wrong bearer token"}
		}
		return hb, nil
	}
	d := &cfg.HeartbeatDefaults
	if !d.AutoRegister {
		return nil, &pingError{404, RejectUnknown, fmt.Sprintf("unknown heartbeat %q: add it to heartbeats in the config, or turn on heartbeat_defaults.auto_register", name)}
	}
	if !tokenOK(d.BearerToken(), token) {
		return nil, &pingError{401, RejectUnauthorized, "missing or wrong bearer token"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if hb, ok := h.byName[name]; ok {
		return hb, nil
	}
	if len(h.byName) >= d.MaxHeartbeats {
		return nil, &pingError{404, RejectLimit, fmt.Sprintf("unknown heartbeat %q, and max_heartbeats (%d) are registered already", name, d.MaxHeartbeats)}
	}
	hb = &heartbeat{cfg: h.cfg.NewAutoHeartbeat(name), rec: record{Created: h.now(), Auto: true}}
	h.byName[name] = hb
	h.logger.Info("Registered a heartbeat", "heartbeat", name)
	return hb, nil
}

// accept applies a ping and returns once its record is on disk.
func (h *Heartbeats) accept(hb *heartbeat, p ping) error {
	hb.mu.Lock()
	if p.at.IsZero() {
		p.at = h.now()
	}
	hb.rec.apply(p)
	done := h.persist(hb)
	hb.mu.Unlock()
	return <-done
}

func (h *Heartbeats) reject(reason string) { h.rejected.WithLabelValues(reason).Inc() }

// tokenOK compares tokens in constant time (and length); no token
// configured means none is needed.
func tokenOK(want, got string) bool {
	if want == "" {
		return true
	}
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Views returns every heartbeat as the API shows it, sorted by name.
func (h *Heartbeats) Views() []HeartbeatView {
	now := h.now()
	h.mu.RLock()
	list := make([]*heartbeat, 0, len(h.byName))
	for _, hb := range h.byName {
		list = append(list, hb)
	}
	h.mu.RUnlock()
	views := make([]HeartbeatView, 0, len(list))
	for _, hb := range list {
		hb.mu.Lock()
		views = append(views, hb.view(now))
		hb.mu.Unlock()
	}
	sortViews(views)
	return views
}

// heartbeatDescs are the metric descriptions for heartbeats with the same
// configured label names.
type heartbeatDescs struct {
	lastSuccess, lastStart, lastFailure, lastPing, lastDuration, lastExit *prometheus.Desc
	deadline, expected, up, running, runningSince                         *prometheus.Desc
	interval, grace, maxRuntime, pings                                    *prometheus.Desc
}

func newHeartbeatDescs(labelNames []string) *heartbeatDescs {
	names := append([]string{"heartbeat"}, labelNames...)
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(append([]string(nil), names...), extra...), nil)
	}
	return &heartbeatDescs{
		lastSuccess:  d("heartbeat_last_success_timestamp_seconds", "When the last success ping arrived (0: never)."),
		lastStart:    d("heartbeat_last_start_timestamp_seconds", "When the last start ping arrived (0: never)."),
		lastFailure:  d("heartbeat_last_failure_timestamp_seconds", "When the last failure (fail ping, non-zero exit status) arrived (0: never)."),
		lastPing:     d("heartbeat_last_ping_timestamp_seconds", "When the last ping of any kind arrived (0: never)."),
		lastDuration: d("heartbeat_last_duration_seconds", "How long the last run took, from its start ping to its end (0: no run measured)."),
		lastExit:     d("heartbeat_last_exit_status", "The exit status the last /{exit_status} ping reported."),
		deadline:     d("heartbeat_deadline_timestamp_seconds", "The next success is due by then: the interval or the cron schedule after the last success, plus grace (or the end of max_runtime for a run in progress)."),
		expected:     d("heartbeat_expected_timestamp_seconds", "When the next success is expected, before grace."),
		up:           d("heartbeat_up", "1 while the heartbeat is on time, its last run did not fail and no run is over max_runtime."),
		running:      d("heartbeat_running", "Runs in progress: start pings not yet ended."),
		runningSince: d("heartbeat_running_since_timestamp_seconds", "When the oldest run in progress started (0: none)."),
		interval:     d("heartbeat_interval_seconds", "The expected time between successes (for a schedule, between the next two runs)."),
		grace:        d("heartbeat_grace_seconds", "How late a success may be before the heartbeat is down."),
		maxRuntime:   d("heartbeat_max_runtime_seconds", "How long a run may take from start to end (0: no limit)."),
		pings:        d("heartbeat_pings_total", "Pings accepted, by kind (success, start, fail, log).", "kind"),
	}
}

// Describe sends nothing: heartbeats have different label names, and the
// set changes with the configuration.
func (h *Heartbeats) Describe(chan<- *prometheus.Desc) {}

// Collect exports every heartbeat, evaluated now.
func (h *Heartbeats) Collect(ch chan<- prometheus.Metric) {
	now := h.now()
	type item struct {
		hb    *heartbeat
		descs *heartbeatDescs
	}
	h.mu.Lock()
	items := make([]item, 0, len(h.byName))
	for _, hb := range h.byName {
		key := labelSignature(hb.cfg.Labels)
		d, ok := h.descs[key]
		if !ok {
			d = newHeartbeatDescs(sortedLabelNames(hb.cfg.Labels))
			h.descs[key] = d
		}
		items = append(items, item{hb, d})
	}
	h.mu.Unlock()

	for _, it := range items {
		hb, d := it.hb, it.descs
		hb.mu.Lock()
		st := hb.evaluate(now)
		r := hb.rec
		lv := append([]string{hb.cfg.Name}, sortedLabelValues(hb.cfg.Labels)...)
		grace, maxRuntime := hb.cfg.GraceDuration(), time.Duration(hb.cfg.MaxRuntime)
		var since time.Time
		for _, t := range r.Runs {
			if since.IsZero() || t.Before(since) {
				since = t
			}
		}
		running := len(r.Runs) // the map is shared with the live record
		hb.mu.Unlock()

		gauge := func(desc *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, lv...)
		}
		gauge(d.lastSuccess, ts(r.LastSuccess))
		gauge(d.lastStart, ts(r.LastStart))
		gauge(d.lastFailure, ts(r.LastFailure))
		gauge(d.lastPing, ts(r.LastPing))
		gauge(d.lastDuration, r.LastDuration)
		if r.LastExit != nil {
			gauge(d.lastExit, float64(*r.LastExit))
		}
		gauge(d.deadline, ts(st.Deadline))
		gauge(d.expected, ts(st.Expected))
		gauge(d.up, boolValue(st.Up))
		gauge(d.running, float64(running))
		gauge(d.runningSince, ts(since))
		gauge(d.interval, st.Interval.Seconds())
		gauge(d.grace, grace.Seconds())
		gauge(d.maxRuntime, maxRuntime.Seconds())
		for i, k := range kinds {
			ch <- prometheus.MustNewConstMetric(d.pings, prometheus.CounterValue, float64(r.Pings[i]), append(lv, k)...)
		}
	}
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

func sortedLabelNames(labels map[string]string) []string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func sortedLabelValues(labels map[string]string) []string {
	names := sortedLabelNames(labels)
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = labels[n]
	}
	return values
}

func labelSignature(labels map[string]string) string {
	return strings.Join(sortedLabelNames(labels), "\x00")
}
