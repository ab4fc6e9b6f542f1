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
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// Pings: find the heartbeat a ping names (or register it), check its
// token, apply the ping to a copy of its record, and keep the copy once
// it is on disk.

// pingError is a refused ping: the HTTP status and the reason label.
type pingError struct {
	code   int
	reason string
	msg    string
}

func (e *pingError) Error() string { return e.msg }

// find returns the heartbeat a ping names, creating it when
// auto_register allows (created: this ping made it, and nothing of it is
// on disk yet), and checks the ping's token and method.
func (h *Heartbeats) find(name, token, method string) (hb *heartbeat, created bool, err error) {
	h.mu.RLock()
	hb, ok := h.byName[name]
	cfg := h.current()
	h.mu.RUnlock()
	if cfg == nil {
		return nil, false, errors.New("no configuration loaded")
	}
	if ok {
		hb.mu.Lock()
		want, postOnly := hb.cfg.BearerToken(), hb.cfg.PostOnlyPings()
		hb.mu.Unlock()
		if !tokenOK(want, token) {
			return nil, false, errUnauthorized
		}
		if postOnly && method != http.MethodPost {
			return nil, false, errPostOnly
		}
		return hb, false, nil
	}
	d := &cfg.HeartbeatDefaults
	if !d.AutoRegister {
		return nil, false, &pingError{404, RejectUnknown, fmt.Sprintf("unknown heartbeat %q: add it to heartbeats in the config, or turn on heartbeat_defaults.auto_register", name)}
	}
	if !tokenOK(d.BearerToken(), token) {
		return nil, false, errUnauthorized
	}
	if d.PostOnly && method != http.MethodPost {
		return nil, false, errPostOnly
	}
	if near := typoOf(name, cfg); near != "" {
		return nil, false, &pingError{http.StatusConflict, RejectUnknown, fmt.Sprintf(
			"unknown heartbeat %q: did you mean %q? auto_register does not create a name this close to a configured one: a typo would hide the real job's silence", name, near)}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if hb, ok := h.byName[name]; ok {
		return hb, false, nil
	}
	if len(h.byName) >= d.MaxHeartbeats {
		return nil, false, &pingError{404, RejectLimit, fmt.Sprintf("unknown heartbeat %q, and max_heartbeats (%d) are registered already", name, d.MaxHeartbeats)}
	}
	cfg = h.current() // a reload may have come since the check above
	hc := cfg.NewAutoHeartbeat(name)
	if _, back := h.retained[name]; back {
		hb = h.take(cfg, hc, true, h.now())
	} else {
		// Nothing is written before the ping is: its own write stores
		// the record, and a ping the disk refuses registers nothing.
		hb, created = newHeartbeat(hc, cfg.WindowsFor(hc), record{Created: h.now(), Auto: true}), true
		hb.adhoc = h.adhoc
	}
	h.byName[name] = hb
	h.logger.Info("Registered a heartbeat", "heartbeat", name)
	return hb, created, nil
}

// forget takes back a heartbeat that a refused ping created, unless a
// ping of it has been stored since: a refused ping registers nothing.
func (h *Heartbeats) forget(name string, hb *heartbeat) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hb.mu.Lock()
	stored := hb.committed > 0 || hb.pending != nil
	hb.mu.Unlock()
	if !stored && h.byName[name] == hb {
		delete(h.byName, name)
		h.logger.Info("A ping that could not be stored registered nothing", "heartbeat", name)
	}
}

// typoOf is the configured heartbeat a new name is likely a typo of
// (within two edits, of five or more characters), "" for none. Names
// that differ only in digits are not typos: worker-1 and worker-2.
func typoOf(name string, cfg *config.Config) string {
	if len(name) < 5 {
		return ""
	}
	names := make([]string, 0, len(cfg.Heartbeats))
	for _, hc := range cfg.Heartbeats {
		if hc != nil {
			names = append(names, hc.Name)
		}
	}
	noDigits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	for _, near := range text.Closest(name, names, 2) {
		if noDigits(near) != noDigits(name) {
			return near
		}
	}
	return ""
}

var (
	errUnauthorized = &pingError{401, RejectUnauthorized, "missing or wrong token: send Authorization: Bearer TOKEN or X-Heartbeat-Token: TOKEN"}
	errPostOnly     = &pingError{405, RejectInvalid, "this heartbeat takes POST pings only (post_only)"}
)

// accept applies a ping and returns once its record is on disk (write).
func (h *Heartbeats) accept(hb *heartbeat, name string, p ping) error {
	var msg []byte
	if p.message != "" {
		msg = []byte(p.message)
	}
	err := h.write(hb, name, msg, func(next *record) error {
		if p.at.IsZero() {
			p.at = h.now()
		}
		p.peakSince = time.Unix(0, h.scraped.Load())
		next.apply(p, hb.limits(p.at))
		return nil
	})
	if err == nil {
		h.acceptedBy[wire.KindIndex(p.kind)].Inc()
	}
	return err
}

// reject counts a refused ping and says so in the log, at most once a
// minute for each heartbeat and reason: a job whose token is wrong is
// otherwise invisible until its heartbeat is late.
func (h *Heartbeats) reject(name, reason, detail, remote string) {
	h.rejected.WithLabelValues(reason).Inc()
	name = text.Cut(name, 128)
	if reason == RejectUnknown && config.ValidHeartbeatName(name) {
		h.refused.note(name, h.closestName(name), h.now())
	}
	if ok, suppressed := h.warnings.allow(name+"\x00"+reason, h.now()); ok {
		h.logger.Warn("Heartbeat ping refused", "heartbeat", name, "reason", reason, "detail", detail,
			"remote", remote, "refused_since_last_warning", suppressed)
	}
}

// tokenOK compares tokens in constant time (and length); no token
// configured means none is needed.
func tokenOK(want, got string) bool {
	if want == "" {
		return true
	}
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
