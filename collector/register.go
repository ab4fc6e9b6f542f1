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
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// apiError is a refused API request.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

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
		hb = h.take(hc, true, h.now())
		h.byName[name] = hb
		h.logger.Info("Registered a heartbeat", "heartbeat", name, "interval", hc.Interval, "schedule", hc.Schedule)
	}
	h.mu.Unlock()

	hb.mu.Lock()
	defer hb.mu.Unlock()
	next := hb.rec.clone()
	next.Auto, next.Registration = true, &reg
	b, err := json.Marshal(&next)
	if err == nil {
		err = <-h.store.Put(name, b, nil)
	}
	if err != nil {
		return false, err
	}
	hb.rec, hb.cfg, hb.labels, hb.cacheExpected = next, hc, labelPairs(hc), time.Time{}
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
	cfg := h.cfg
	h.mu.RUnlock()
	switch {
	case cfg == nil:
		return nil, errors.New("no configuration loaded")
	case !config.ValidHeartbeatName(name):
		return nil, &apiError{http.StatusBadRequest, "invalid heartbeat name: " + config.HeartbeatNameRule}
	case !tokenOK(cfg.HeartbeatDefaults.BearerToken(), token):
		return nil, &apiError{http.StatusUnauthorized, errUnauthorized.msg}
	case !cfg.HeartbeatDefaults.AutoRegister:
		return nil, &apiError{http.StatusForbidden, "registering heartbeats needs heartbeat_defaults.auto_register: true"}
	}
	for _, hc := range cfg.Heartbeats {
		if hc.Name == name {
			return nil, &apiError{http.StatusConflict, fmt.Sprintf("heartbeat %q is in the configuration file, which wins", name)}
		}
	}
	return cfg, nil
}

// expire removes registered and auto-registered heartbeats silent for
// longer than expire_after. Callers hold h.mu.
func (h *Heartbeats) expire(now time.Time) {
	after := time.Duration(h.cfg.HeartbeatDefaults.ExpireAfter)
	if after <= 0 {
		return
	}
	for name, hb := range h.byName {
		hb.mu.Lock()
		last := hb.rec.LastPing
		if last.IsZero() {
			last = hb.rec.Created
		}
		gone := hb.rec.Auto && now.Sub(last) > after
		hb.mu.Unlock()
		if gone {
			delete(h.byName, name)
			h.store.Delete(name)
			h.logger.Info("Removed a registered heartbeat silent for longer than expire_after", "heartbeat", name, "last_ping", last)
		}
	}
}

// maxRegistrationBody bounds a registration's JSON.
const maxRegistrationBody = 64 << 10

// serveOne serves /api/v1/heartbeats/{name}: GET shows it with its last
// message, PUT registers it, DELETE removes it.
func (h *Heartbeats) serveOne(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/v1/heartbeats/")
	var err error
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.serveView(w, name)
		return
	case http.MethodPut:
		var reg config.Registration
		dec := json.NewDecoder(io.LimitReader(r.Body, maxRegistrationBody))
		dec.DisallowUnknownFields()
		if derr := dec.Decode(&reg); derr != nil {
			err = &apiError{http.StatusBadRequest, "invalid registration: " + derr.Error()}
			break
		}
		var created bool
		if created, err = h.Register(name, requestToken(r), reg); err == nil {
			code := http.StatusOK
			if created {
				code = http.StatusCreated
			}
			h.serveView(w, name, code)
			return
		}
	case http.MethodDelete:
		if err = h.Unregister(name, requestToken(r)); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		err = &apiError{http.StatusMethodNotAllowed, "use GET, PUT or DELETE"}
	}
	var ae *apiError
	if errors.As(err, &ae) {
		http.Error(w, ae.msg, ae.code)
		return
	}
	http.Error(w, err.Error(), http.StatusServiceUnavailable)
}

// serveView writes one heartbeat, with its last message, as JSON.
func (h *Heartbeats) serveView(w http.ResponseWriter, name string, code ...int) {
	v, ok := h.View(name)
	if !ok {
		http.Error(w, fmt.Sprintf("no heartbeat %q", name), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if len(code) > 0 {
		w.WriteHeader(code[0])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// View is one heartbeat with its last message.
func (h *Heartbeats) View(name string) (HeartbeatView, bool) {
	h.mu.RLock()
	hb, ok := h.byName[name]
	h.mu.RUnlock()
	if !ok {
		return HeartbeatView{}, false
	}
	hb.mu.Lock()
	v := hb.view(h.now())
	hb.mu.Unlock()
	return h.WithMessages([]HeartbeatView{v})[0], true
}
