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
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// A reload: the heartbeats switch to a new configuration in one step
// with the holder that publishes it.

// Apply switches the heartbeats to a new configuration, and calls
// publish (the holder's swap, which makes cfg the one every part reads)
// at the moment it does, under the registry's lock: no ping, page or
// scrape sees the new heartbeats with the old configuration, or the
// reverse. Heartbeats that stay keep their records, new ones start now,
// returning ones come back whole, and the ones that leave are retained
// (not exported) until their retention ends. Auto-registered heartbeats
// stay while auto_register is on. Apply cannot fail: a registration the
// new file no longer allows keeps its record and is not exported.
func (h *Heartbeats) Apply(cfg *config.Config, publish func()) {
	registered := h.compileRegistrations(cfg)
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.adhocLoaded {
		// Read once the first configuration is there: a window names
		// its targets.
		h.adhoc.load(cfg, now)
		h.adhocLoaded = true
	}
	next := make(map[string]*heartbeat, len(cfg.Heartbeats))
	for _, hc := range cfg.Heartbeats {
		next[hc.Name] = h.take(cfg, hc, false, now)
	}
	if d := &cfg.HeartbeatDefaults; d.AutoRegister || d.AllowRegistration {
		for _, name := range h.autoNames() {
			if _, taken := next[name]; taken || len(next) >= d.MaxHeartbeats {
				continue
			}
			hc := cfg.NewAutoHeartbeat(name)
			reg := h.registration(name)
			if reg == nil && !d.AutoRegister {
				continue // made by a ping, and pings no longer make heartbeats: retained
			}
			if reg != nil {
				c, ok := registered[name]
				if !ok || c.from != reg { // registered again since: check it now
					c.hc, c.err = cfg.RegisteredHeartbeat(name, reg.registration())
				}
				if c.err != nil {
					h.logger.Warn("A registered heartbeat does not fit the new configuration; its record is kept", "heartbeat", name, "err", c.err)
					continue
				}
				hc = c.hc
			}
			next[name] = h.take(cfg, hc, true, now)
		}
	}
	for name, hb := range h.byName {
		if _, stays := next[name]; !stays {
			hb.mu.Lock()
			h.retain(name, hb.rec.clone(), now)
			hb.mu.Unlock()
		}
	}
	for name, rec := range h.retained {
		if rec.Left.IsZero() { // read from the store, named by no configuration
			h.retain(name, *rec, now)
		}
	}
	publish()
	h.byName = next
	h.prune(now)
	h.expire(cfg, now)
}

// compiledRegistration is a stored registration checked by the rules of
// a configuration.
type compiledRegistration struct {
	from *storedRegistration
	hc   *config.Heartbeat
	err  error
}

// compileRegistrations checks every stored registration against cfg
// before Apply takes the registry's lock: with thousands of registered
// workers and beat entries, running the file's rules on each under the
// lock held every ping for the whole reload.
func (h *Heartbeats) compileRegistrations(cfg *config.Config) map[string]compiledRegistration {
	if d := &cfg.HeartbeatDefaults; !d.AutoRegister && !d.AllowRegistration {
		return nil
	}
	h.mu.RLock()
	regs := map[string]*storedRegistration{}
	for _, name := range h.autoNames() {
		if reg := h.registration(name); reg != nil {
			regs[name] = reg
		}
	}
	h.mu.RUnlock()
	out := make(map[string]compiledRegistration, len(regs))
	for name, reg := range regs {
		hc, err := cfg.RegisteredHeartbeat(name, reg.registration())
		out[name] = compiledRegistration{from: reg, hc: hc, err: err}
	}
	return out
}

// current is the configuration in force, nil before the first.
func (h *Heartbeats) current() *config.Config { return h.running() }

// take makes the heartbeat of a configuration entry: the live one of that
// name with the new configuration, or the retained record brought back,
// or a new record. Callers hold h.mu.
func (h *Heartbeats) take(cfg *config.Config, hc *config.Heartbeat, auto bool, now time.Time) *heartbeat {
	windows := cfg.WindowsFor(hc)
	if hb, ok := h.byName[hc.Name]; ok {
		hb.mu.Lock()
		hb.reconfigure(hc, windows)
		hb.rec.Auto = auto
		hb.mu.Unlock()
		return hb
	}
	if rec, ok := h.retained[hc.Name]; ok {
		delete(h.retained, hc.Name)
		if !rec.Left.IsZero() {
			h.logger.Info("Heartbeat is back in the configuration, with its record", "heartbeat", hc.Name, "left", rec.Left)
		}
		if !rec.Left.IsZero() || rec.Auto != auto {
			// Only a change is written: a start on a store of 100,000
			// records rewrote every one of them.
			rec.Left, rec.Auto = time.Time{}, auto
			h.persistAsync(hc.Name, rec)
		}
		hb := newHeartbeat(hc, windows, *rec)
		hb.adhoc = h.adhoc
		return hb
	}
	// The creation time must survive a restart, or a heartbeat that never
	// pings would never be due.
	hb := newHeartbeat(hc, windows, record{Created: now, Auto: auto})
	hb.adhoc = h.adhoc
	h.persistAsync(hc.Name, &hb.rec)
	return hb
}

// retain keeps the record of a heartbeat that left the configuration,
// saying so once. Callers hold h.mu.
func (h *Heartbeats) retain(name string, rec record, now time.Time) {
	if rec.Left.IsZero() {
		rec.Left = now
		h.persistAsync(name, &rec)
		h.logger.Warn("Heartbeat is no longer in the configuration: its metrics are gone, its record is kept and comes back whole if the name returns",
			"heartbeat", name, "kept_until", rec.Left.Add(h.retention()).UTC().Format(time.RFC3339))
	}
	h.retained[name] = &rec
}
