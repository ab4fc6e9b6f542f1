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
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// Heartbeats registered through the API (PUT /api/v1/heartbeats/{name})
// are how the Celery helper watches each entry of a beat schedule and
// each worker without copying them into the file. They need
// auto_register, count toward max_heartbeats, and take the defaults'
// token; a name the file has is the file's (409). They are kept in their
// records, so they outlive restarts, and expire_after removes those gone
// silent.

// Register creates or updates a registered heartbeat, and returns once its
// record is on disk; created says which.
func (h *Heartbeats) Register(name, token string, reg config.Registration) (created bool, err error) {
	cfg, err := h.registrar(name, token)
	if err != nil {
		return false, err
	}
	hc, err := cfg.RegisteredHeartbeat(name, reg)
	if err != nil {
		return false, &apiError{http.StatusBadRequest, err.Error()}
	}
	h.mu.Lock()
	hb, live := h.byName[name]
	if !live {
		if len(h.byName) >= cfg.HeartbeatDefaults.MaxHeartbeats {
			h.mu.Unlock()
			return false, &apiError{http.StatusForbidden, fmt.Sprintf("max_heartbeats (%d) are registered already", cfg.HeartbeatDefaults.MaxHeartbeats)}
		}
		hb = h.take(cfg, hc, true, h.now())
		h.byName[name] = hb
		h.logger.Info("Registered a heartbeat", "heartbeat", name, "interval", hc.Interval, "schedule", hc.Schedule)
	}
	h.mu.Unlock()

	err = h.write(hb, name, nil, func(next *record) error {
		next.Auto, next.Registration = true, storeRegistration(reg)
		if reg.Release != "" {
			next.Release = reg.Release
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	hb.reconfigure(hc, cfg.WindowsFor(hc))
	return !live, nil
}

// Unregister removes a registered or auto-registered heartbeat and its
// record: a worker shutting down cleanly.
func (h *Heartbeats) Unregister(name, token string) error {
	if _, err := h.registrar(name, token); err != nil {
		return err
	}
	h.mu.Lock()
	hb, ok := h.byName[name]
	if ok {
		hb.mu.Lock()
		ok = hb.rec.Auto
		hb.mu.Unlock()
	}
	if !ok {
		h.mu.Unlock()
		return &apiError{http.StatusNotFound, fmt.Sprintf("no registered heartbeat %q", name)}
	}
	delete(h.byName, name)
	h.mu.Unlock()
	h.logger.Info("Unregistered a heartbeat", "heartbeat", name)
	return <-h.store.Delete(name)
}

// registrar checks that the API may register name: auto_register is on,
// the token is the defaults', and the file does not name it.
func (h *Heartbeats) registrar(name, token string) (*config.Config, error) {
	h.mu.RLock()
	cfg := h.current()
	h.mu.RUnlock()
	switch {
	case cfg == nil:
		return nil, errors.New("no configuration loaded")
	case !config.ValidHeartbeatName(name):
		return nil, &apiError{http.StatusBadRequest, "invalid heartbeat name: " + config.HeartbeatNameRule}
	case !tokenOK(cfg.HeartbeatDefaults.BearerToken(), token):
		return nil, &apiError{http.StatusUnauthorized, errUnauthorized.msg}
	case !cfg.HeartbeatDefaults.AutoRegister && !cfg.HeartbeatDefaults.AllowRegistration:
		return nil, &apiError{http.StatusForbidden, "registering heartbeats needs heartbeat_defaults.allow_registration: true (or auto_register)"}
	}
	for _, hc := range cfg.Heartbeats {
		if hc.Name == name {
			return nil, &apiError{http.StatusConflict, fmt.Sprintf("heartbeat %q is in the configuration file, which wins", name)}
		}
	}
	return cfg, nil
}

// expire removes registered and auto-registered heartbeats silent for
// longer than their expire_after (the registration's, or the defaults').
// Callers hold h.mu.
func (h *Heartbeats) expire(cfg *config.Config, now time.Time) {
	for name, hb := range h.byName {
		hb.mu.Lock()
		after := hb.cfg.ExpireAfter(&cfg.HeartbeatDefaults)
		last := hb.rec.LastPing
		if last.IsZero() {
			last = hb.rec.Created
		}
		gone := hb.rec.Auto && after > 0 && now.Sub(last) > after
		hb.mu.Unlock()
		if gone {
			delete(h.byName, name)
			h.store.Delete(name)
			h.logger.Info("Removed a registered heartbeat silent for longer than expire_after", "heartbeat", name, "last_ping", last)
		}
	}
}
