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
		reg.MustRegister(h.rejected, store)
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
	for _, hb := range next {
		hb.mu.Lock()
		hb.labels = labelPairs(hb.cfg)
		hb.mu.Unlock()
	}
	h.byName = next
	h.cfg = cfg
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
	hc := h.cfg.NewAutoHeartbeat(name)
	hb = &heartbeat{cfg: hc, labels: labelPairs(hc), rec: record{Created: h.now(), Auto: true}}
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
	hb.rec.apply(p, hb.staleAfter(p.at))
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

// list returns the heartbeats; each is read under its own lock after.
func (h *Heartbeats) list() []*heartbeat {
	h.mu.RLock()
	defer h.mu.RUnlock()
	list := make([]*heartbeat, 0, len(h.byName))
	for _, hb := range h.byName {
		list = append(list, hb)
	}
	return list
}

// Views returns every heartbeat as the API shows it, sorted by name.
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
