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
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
)

// Planned work: a deploy script pauses a heartbeat (POST
// /api/v1/heartbeats/{name}/pause), a maintenance window of the
// configuration pauses the heartbeats it names. While paused a heartbeat
// is never late, heartbeat_paused is 1 and the mixin's heartbeat alerts
// are quiet for it; pings are still recorded. When the pause ends, the
// heartbeat is due a full period plus grace later: never down the moment
// it ends (the trap push monitors elsewhere fall into).

// pauseRec is a pause asked for through the API.
type pauseRec struct {
	Since time.Time `json:"since"`
	// Until is when it ends; zero: at the next ping.
	Until time.Time `json:"until,omitzero"`
}

// endPause ends a pause that lasts until the next ping, when this ping
// is one (a log ping is only a message). Callers own r.
func (r *record) endPause(p ping) {
	if r.Pause != nil && r.Pause.Until.IsZero() && p.kind != wire.KindLog {
		r.Pause, r.Resumed = nil, p.at
	}
}

// paused reports whether the heartbeat is paused at now, and until when
// (zero: until the next ping): by the API, or by an open maintenance
// window; the later end wins. Callers hold h.mu.
func (h *heartbeat) paused(now time.Time) (bool, time.Time) {
	paused, until := false, time.Time{}
	if p := h.rec.Pause; p != nil && (p.Until.IsZero() || now.Before(p.Until)) {
		paused, until = true, p.Until
	}
	for _, w := range h.allWindows() {
		if open, end := w.Open(now); open {
			if !paused || !until.IsZero() && end.After(until) {
				until = end
			}
			paused = true
		}
	}
	return paused, until
}

// resumed is when the heartbeat's last pause or maintenance window
// ended, at or before now (zero for never). Callers hold h.mu.
func (h *heartbeat) resumed(now time.Time) time.Time {
	t := h.rec.Resumed
	if p := h.rec.Pause; p != nil && !p.Until.IsZero() && !now.Before(p.Until) {
		t = latest(t, p.Until)
	}
	for _, w := range h.allWindows() {
		t = latest(t, w.LastEnd(now))
	}
	return t
}

// openWindows names the maintenance windows open at now. Callers hold
// h.mu.
func (h *heartbeat) openWindows(now time.Time) []string {
	var names []string
	for _, w := range h.allWindows() {
		if open, _ := w.Open(now); open {
			names = append(names, w.Name)
		}
	}
	return names
}

// pauseWhy says why and until when a heartbeat is paused.
func (h *heartbeat) pauseWhy(st status, loc *time.Location, now time.Time) string {
	until := "until the next ping"
	if !st.PausedUntil.IsZero() {
		until = "until " + when(st.PausedUntil, loc, now)
	}
	if w := h.openWindows(now); len(w) > 0 {
		return fmt.Sprintf("maintenance window %s, paused %s", strings.Join(w, ", "), until)
	}
	return "paused " + until
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// Pause pauses a heartbeat until a time (zero: until its next ping), and
// returns once that is on disk. The token is the heartbeat's own or the
// defaults' (what a deploy script has); a configured heartbeat may be
// paused as well as a registered one.
func (h *Heartbeats) Pause(name, token string, until time.Time, release string) error {
	return h.changePause(name, token, release, func(r *record, now time.Time) error {
		if !until.IsZero() && !until.After(now) {
			return &apiError{http.StatusBadRequest, "the pause would end before it began"}
		}
		r.Pause = &pauseRec{Since: now, Until: until}
		return nil
	})
}

// Resume ends a heartbeat's pause: it is due a full period plus grace
// from now.
func (h *Heartbeats) Resume(name, token, release string) error {
	return h.changePause(name, token, release, func(r *record, now time.Time) error {
		if r.Pause != nil {
			r.Pause, r.Resumed = nil, now
		}
		return nil
	})
}

// changePause applies change to the heartbeat's record (and the release
// the deploy script reported, when it did), and returns once it is on
// disk (write).
func (h *Heartbeats) changePause(name, token, release string, change func(*record, time.Time) error) error {
	h.mu.RLock()
	hb, ok := h.byName[name]
	cfg := h.current()
	h.mu.RUnlock()
	switch {
	case cfg == nil:
		return &apiError{http.StatusServiceUnavailable, "no configuration loaded"}
	case !ok:
		return &apiError{http.StatusNotFound, fmt.Sprintf("no heartbeat %q", name)}
	}
	hb.mu.Lock()
	allowed := mayPause(hb.cfg, &cfg.HeartbeatDefaults, token)
	hb.mu.Unlock()
	if !allowed {
		return &apiError{http.StatusUnauthorized, errUnauthorized.msg}
	}
	return h.write(hb, name, nil, func(next *record) error {
		if release != "" {
			next.Release = release
		}
		return change(next, h.now())
	})
}

// mayPause: the heartbeat's token, or the defaults' when one is set.
func mayPause(hc *config.Heartbeat, d *config.HeartbeatDefaults, token string) bool {
	if tokenOK(hc.BearerToken(), token) {
		return true
	}
	return d.BearerToken() != "" && tokenOK(d.BearerToken(), token)
}
