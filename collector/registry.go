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

// Package collector keeps the heartbeats: the configured and registered
// heartbeats and their records (in a bbolt store), the ping and API
// handlers that change them, and their metrics.
package collector

import (
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/django-health/django_health_exporter/collector/wire"
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
//
// Records of heartbeats the configuration no longer names are retained
// (heartbeat_defaults.retention): a restart on another configuration or a
// reload without the name must not turn a dead job's alert into a fresh
// "new" heartbeat with a whole period of grace.
//
// Lock order: h.mu, then a heartbeat's mu (heartbeat.mu); a heartbeat's
// lock is never held while h.mu is taken. A ping holds only its
// heartbeat's lock while it waits for the disk.
type Heartbeats struct {
	store  Storage
	logger *slog.Logger
	now    func() time.Time

	// running is the configuration in force, read from the exporter's one
	// holder (web's Reloader); nil before the first load. Apply switches
	// the heartbeats and publishes the new configuration under mu, so a
	// reader holding mu sees byName and the configuration of one
	// generation.
	running func() *config.Config

	mu     sync.RWMutex // guards byName, retained and adhocLoaded
	byName map[string]*heartbeat
	// refused are the names whose pings were refused as unknown.
	refused refusedNames
	// adhoc are the maintenance windows opened through the API.
	adhoc       *adHocWindows
	adhocLoaded bool
	// retained are the records no configuration names now.
	retained map[string]*record

	rejected *prometheus.CounterVec
	accepted *prometheus.CounterVec
	// acceptedBy are accepted's counters, by wire.KindIndex: a ping
	// counts without a label lookup.
	acceptedBy [len(wire.Kinds)]prometheus.Counter
	// sorted is the last order of sortedList.
	sortedMu   sync.Mutex
	sorted     []named
	warnings   *limiter
	maintained atomic.Int64 // unix nanoseconds of the last maintain
	scraped    atomic.Int64 // unix nanoseconds of the last /metrics
}

// NewHeartbeats reads the store's records and registers the heartbeat
// metrics (and the store's, when it is a collector). running is where the
// configuration in force is published; Apply switches to a new one.
func NewHeartbeats(store Storage, running func() *config.Config, reg prometheus.Registerer, logger *slog.Logger) (*Heartbeats, error) {
	raw, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("reading heartbeat records: %w", err)
	}
	h := &Heartbeats{
		store:    store,
		running:  running,
		logger:   logger,
		now:      time.Now,
		byName:   map[string]*heartbeat{},
		adhoc:    &adHocWindows{store: store, logger: logger},
		retained: make(map[string]*record, len(raw)),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heartbeat_rejected_pings_total",
			Help: "Pings refused, by reason: unknown (no such heartbeat), unauthorized (bad or missing token), invalid (bad name, action, rid or method), too_large (body), limit (max_heartbeats reached).",
		}, []string{"reason"}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "django_health_exporter_heartbeat_pings_total",
			Help: "Pings accepted, over all heartbeats, by kind (success, start, fail, log, progress): five series whatever the number of heartbeats (heartbeat_pings_total{heartbeat,kind} is metrics: detailed's).",
		}, []string{"kind"}),
		warnings: newLimiter(time.Minute, 1000),
	}
	for i, k := range wire.Kinds {
		h.acceptedBy[i] = h.accepted.WithLabelValues(k)
	}
	for _, r := range []string{RejectUnknown, RejectUnauthorized, RejectInvalid, RejectTooLarge, RejectLimit} {
		h.rejected.WithLabelValues(r)
	}
	names := slices.Collect(maps.Keys(raw))
	records, errs := decodeRecords(names, raw)
	for i, name := range names {
		rec := records[i]
		if errs[i] != nil {
			logger.Warn("Ignoring an unreadable heartbeat record", "heartbeat", name, "err", errs[i])
			continue
		}
		if rec.LegacyMessage != "" {
			// Written by a version that kept messages in the record.
			msg := rec.LegacyMessage
			rec.LegacyMessage, rec.Excerpt = "", excerpt(msg)
			if b, err := encodeRecord(rec); err == nil {
				store.Put(name, b, []byte(msg))
			}
		}
		h.retained[name] = rec
	}
	if reg != nil {
		reg.MustRegister(h.rejected, h.accepted)
		if c, ok := store.(prometheus.Collector); ok {
			reg.MustRegister(c)
		}
	}
	return h, nil
}

// registration is what the API registered for a name, nil for none.
// Callers hold h.mu.
func (h *Heartbeats) registration(name string) *storedRegistration {
	if hb, ok := h.byName[name]; ok {
		hb.mu.Lock()
		defer hb.mu.Unlock()
		return hb.rec.Registration
	}
	if rec, ok := h.retained[name]; ok {
		return rec.Registration
	}
	return nil
}

// maintain drops retained records past their retention and registered
// heartbeats past expire_after, at most once a minute.
func (h *Heartbeats) maintain(now time.Time) {
	if last := h.maintained.Load(); last != 0 && now.Sub(time.Unix(0, last)) < time.Minute {
		return
	}
	h.maintained.Store(now.UnixNano())
	h.mu.Lock()
	defer h.mu.Unlock()
	if cfg := h.current(); cfg != nil {
		h.prune(now)
		h.expire(cfg, now)
	}
}

// autoNames are the auto-registered heartbeats, live and retained,
// oldest first. Callers hold h.mu.
func (h *Heartbeats) autoNames() []string {
	created := map[string]time.Time{}
	for name, hb := range h.byName {
		hb.mu.Lock()
		if hb.rec.Auto {
			created[name] = hb.rec.Created
		}
		hb.mu.Unlock()
	}
	for name, rec := range h.retained {
		if rec.Auto {
			created[name] = rec.Created
		}
	}
	names := slices.Collect(maps.Keys(created))
	slices.SortFunc(names, func(a, b string) int { return created[a].Compare(created[b]) })
	return names
}

// retention is how long retained records are kept. Callers hold h.mu.
func (h *Heartbeats) retention() time.Duration {
	cfg := h.current()
	if cfg == nil {
		return time.Duration(config.DefaultHeartbeatDefaults.Retention)
	}
	return time.Duration(cfg.HeartbeatDefaults.Retention)
}

// prune drops the retained records past their retention. Callers hold h.mu.
func (h *Heartbeats) prune(now time.Time) {
	keep := h.retention()
	for name, rec := range h.retained {
		if !rec.Left.IsZero() && now.Sub(rec.Left) >= keep {
			delete(h.retained, name)
			h.store.Delete(name)
			h.logger.Info("Dropped the record of a heartbeat gone from the configuration for longer than its retention", "heartbeat", name, "left", rec.Left)
		}
	}
}

// persistAsync queues a record without waiting for the disk: for records
// whose loss only costs a creation time.
func (h *Heartbeats) persistAsync(name string, rec *record) {
	if b, err := encodeRecord(rec); err == nil {
		h.store.Put(name, b, nil)
	}
}

// decodeRecords decodes the stored records on every core: a store of
// 100,000 records took more than a second to read on one.
func decodeRecords(names []string, raw map[string][]byte) ([]*record, []error) {
	records, errs := make([]*record, len(names)), make([]error, len(names))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(names)/1000))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(names); i += workers {
				records[i] = &record{}
				errs[i] = decodeRecord(raw[names[i]], records[i])
			}
		})
	}
	wg.Wait()
	return records, errs
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

// Healthy is nil while the store can commit: /-/healthy.
func (h *Heartbeats) Healthy() error { return h.store.Healthy() }
