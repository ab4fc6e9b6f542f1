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
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/django-health/django_health_exporter/config"
)

const ridMax = 128

// hardBodyCap is the most a ping may send; beyond body_limit the body is
// cut, beyond this the ping is refused (413).
const hardBodyCap = 1 << 20

// PingHandler serves /heartbeat/{name} and /heartbeat/{name}/{action}:
//
//	/heartbeat/NAME             success
//	/heartbeat/NAME/start       a run started
//	/heartbeat/NAME/fail        a run failed
//	/heartbeat/NAME/log         a message, no change of state
//	/heartbeat/NAME/0..255      a run ended with this exit status (0: success)
//
// GET, HEAD and POST; ?rid= pairs a start with its end; the body (up to
// body_limit) becomes the last message; Authorization: Bearer TOKEN when
// the heartbeat has a token. 200 means the ping is on disk.
func (h *Heartbeats) PingHandler() http.Handler {
	return http.HandlerFunc(h.servePing)
}

func (h *Heartbeats) servePing(w http.ResponseWriter, r *http.Request) {
	refuse := func(code int, reason, msg string) {
		h.reject(reason)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="django_health_exporter"`)
		}
		http.Error(w, msg, code)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		refuse(http.StatusMethodNotAllowed, RejectInvalid, "use GET, HEAD or POST")
		return
	}
	name, action, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/heartbeat/"), "/")
	if !config.ValidHeartbeatName(name) {
		refuse(http.StatusBadRequest, RejectInvalid, "invalid heartbeat name: "+config.HeartbeatNameRule)
		return
	}
	p := ping{kind: KindSuccess}
	if ok {
		switch action {
		case KindStart, KindFail, KindLog:
			p.kind = action
		default:
			code, err := strconv.Atoi(action)
			if err != nil || code < 0 || code > 255 || strconv.Itoa(code) != action {
				refuse(http.StatusBadRequest, RejectInvalid, "unknown action "+strconv.Quote(action)+": want start, fail, log or an exit status 0-255")
				return
			}
			p.exit = &code
			if code != 0 {
				p.kind = KindFail
			}
		}
	}
	p.rid = r.URL.Query().Get("rid")
	if len(p.rid) > ridMax || strings.IndexFunc(p.rid, unicode.IsControl) >= 0 {
		refuse(http.StatusBadRequest, RejectInvalid, "invalid rid: at most 128 printable characters")
		return
	}

	hb, err := h.find(name, bearerToken(r))
	if err != nil {
		var pe *pingError
		if errors.As(err, &pe) {
			refuse(pe.code, pe.reason, pe.msg)
			return
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	hb.mu.Lock()
	limit := hb.cfg.BodyLimitBytes()
	hb.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, hardBodyCap+1))
	if err != nil {
		refuse(http.StatusBadRequest, RejectInvalid, "reading the body: "+err.Error())
		return
	}
	if len(body) > hardBodyCap {
		refuse(http.StatusRequestEntityTooLarge, RejectTooLarge, "body larger than 1 MiB; send the tail of the output")
		return
	}
	p.message = message(body, limit)

	if err := h.accept(hb, p); err != nil {
		h.logger.Error("Could not store a ping", "heartbeat", name, "err", err)
		http.Error(w, "the ping could not be stored: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK\n")
}

// message keeps the first limit bytes of a body, cut on a rune boundary and
// made valid UTF-8.
func message(body []byte, limit int64) string {
	if int64(len(body)) > limit {
		n := int(limit)
		for n > 0 && !utf8.RuneStart(body[n]) {
			n--
		}
		body = body[:n]
	}
	return strings.ToValidUTF8(string(body), "\uFFFD")
}

// bearerToken reads "Authorization: Bearer TOKEN".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// APIHandler serves /api/v1/heartbeats: every heartbeat, its state and
// its last message, as JSON.
func (h *Heartbeats) APIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Heartbeats []HeartbeatView `json:"heartbeats"`
		}{h.Views()})
	})
}
