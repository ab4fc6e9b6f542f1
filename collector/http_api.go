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
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/config"
)

// The heartbeat API, routed by web.New:
//
//	GET    /api/v1/heartbeats          every heartbeat, and the retained records
//	GET    /api/v1/heartbeats/{name}   one heartbeat, with its last message
//	PUT    /api/v1/heartbeats/{name}   register it (register.go)
//	DELETE /api/v1/heartbeats/{name}   unregister it
//	POST   /api/v1/heartbeats/{name}/pause   pause it (pause.go)
//	DELETE /api/v1/heartbeats/{name}/pause   resume it

// maxRegistrationBody bounds a registration's JSON.
const maxRegistrationBody = 64 << 10

// serveList writes every heartbeat, its state and why, and its last
// message, as JSON; and the records retained for heartbeats the
// configuration no longer names. The answer is written a heartbeat at a
// time: 10,000 heartbeats with 10 KiB messages each are 100 MB of JSON,
// which is never held in memory at once.
func (h *Heartbeats) serveList(w http.ResponseWriter, r *http.Request) {
	views := h.Views()
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	_, _ = bw.WriteString("{\"heartbeats\": [")
	const chunk = 256
	for start := 0; start < len(views); start += chunk {
		part := h.WithMessages(views[start:min(start+chunk, len(views))])
		for i := range part {
			if start+i > 0 {
				_ = bw.WriteByte(',')
			}
			b, _ := json.Marshal(&part[i])
			_, _ = bw.Write(b)
			part[i].LastMessage = "" // done with it
		}
	}
	retained, _ := json.Marshal(h.Retained())
	_, _ = bw.WriteString("],\n\"retained\": ")
	_, _ = bw.Write(retained)
	_, _ = bw.WriteString("}\n")
}

// serveHeartbeat writes one heartbeat, with its last message, as JSON.
func (h *Heartbeats) serveHeartbeat(w http.ResponseWriter, r *http.Request) {
	h.serveView(w, r.PathValue("name"), http.StatusOK)
}

// serveRegister registers a heartbeat (PUT): 201 when created, 200 when
// updated, with the heartbeat as JSON.
func (h *Heartbeats) serveRegister(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var reg config.Registration
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRegistrationBody))
	dec.DisallowUnknownFields()
	if err := decodeOne(dec, &reg); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeAPIError(w, &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("registration larger than %d bytes", maxRegistrationBody)})
			return
		}
		writeAPIError(w, &apiError{http.StatusBadRequest, "invalid registration: " + err.Error()})
		return
	}
	created, err := h.Register(name, requestToken(r), reg)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	h.serveView(w, name, code)
}

// serveUnregister removes a registered heartbeat (DELETE): 204.
func (h *Heartbeats) serveUnregister(w http.ResponseWriter, r *http.Request) {
	if err := h.Unregister(r.PathValue("name"), requestToken(r)); err != nil {
		writeAPIError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxPauseBody bounds a pause's JSON.
const maxPauseBody = 4 << 10

// servePause pauses a heartbeat (POST .../pause): with {"for": "30m"},
// {"until": "2026-12-03T14:00:00Z"}, or no body (until the next ping).
// It answers with the heartbeat as JSON.
func (h *Heartbeats) servePause(w http.ResponseWriter, r *http.Request) {
	var req struct {
		For   string `json:"for"`
		Until string `json:"until"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPauseBody))
	dec.DisallowUnknownFields()
	if err := decodeOne(dec, &req); err != nil && !errors.Is(err, io.EOF) {
		writeAPIError(w, &apiError{http.StatusBadRequest, "invalid pause: " + err.Error() + `; want {"for": "30m"} or {"until": "RFC 3339 time"}, or no body`})
		return
	}
	var until time.Time
	if req.For != "" || req.Until != "" {
		var err error
		if until, err = endOf(req.For, req.Until, h.now()); err != nil {
			writeAPIError(w, err)
			return
		}
	}
	name := r.PathValue("name")
	release, ok := releaseParam(w, r)
	if !ok {
		return
	}
	if err := h.Pause(name, requestToken(r), until, release); err != nil {
		writeAPIError(w, err)
		return
	}
	h.serveView(w, name, http.StatusOK)
}

// serveResume ends a heartbeat's pause (DELETE .../pause).
func (h *Heartbeats) serveResume(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	release, ok := releaseParam(w, r)
	if !ok {
		return
	}
	if err := h.Resume(name, requestToken(r), release); err != nil {
		writeAPIError(w, err)
		return
	}
	h.serveView(w, name, http.StatusOK)
}

// serveBadAPIMethod answers a method /api/v1/heartbeats/{name} does not
// take.
func (h *Heartbeats) serveBadAPIMethod(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
	http.Error(w, "use GET, PUT or DELETE", http.StatusMethodNotAllowed)
}

// apiError is a refused API request.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

// writeAPIError answers a refused request with its status, and anything
// else (the store could not commit) with 503.
func writeAPIError(w http.ResponseWriter, err error) {
	if ae, ok := errors.AsType[*apiError](err); ok {
		http.Error(w, ae.msg, ae.code)
		return
	}
	http.Error(w, err.Error(), http.StatusServiceUnavailable)
}

// serveView writes one heartbeat, with its last message, as JSON.
func (h *Heartbeats) serveView(w http.ResponseWriter, name string, code int) {
	v, ok := h.View(name)
	if !ok {
		http.Error(w, fmt.Sprintf("no heartbeat %q", name), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
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

// decodeOne decodes one JSON value and refuses anything after it: a body
// of {"for":"1m"} garbage is not a pause of one minute.
func decodeOne(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}

// releaseParam is a pause's or resume's ?release=, the release the deploy
// script ships; false when it was refused (answered 400).
func releaseParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	release := r.URL.Query().Get("release")
	if !config.ValidRelease(release) {
		writeAPIError(w, &apiError{http.StatusBadRequest, "invalid release: " + config.ReleaseRule})
		return "", false
	}
	return release, true
}

// endOf is when a pause or a window given {"for"} or {"until"} ends,
// within config.MaxPause of now: one of the two, never both.
func endOf(forText, untilText string, now time.Time) (time.Time, error) {
	switch {
	case (forText == "") == (untilText == ""):
		return time.Time{}, &apiError{http.StatusBadRequest, `give "for" or "until", not both and not neither`}
	case forText != "":
		d, err := model.ParseDuration(forText)
		if err != nil || d <= 0 || time.Duration(d) > config.MaxPause {
			return time.Time{}, &apiError{http.StatusBadRequest, fmt.Sprintf("invalid for %q: want a duration above 0 and at most %s, such as 30m or 2h", forText, model.Duration(config.MaxPause))}
		}
		return now.Add(time.Duration(d)), nil
	}
	t, err := time.Parse(time.RFC3339, untilText)
	if err != nil {
		return time.Time{}, &apiError{http.StatusBadRequest, fmt.Sprintf("invalid until %q: want an RFC 3339 time such as 2026-12-03T14:00:00Z", untilText)}
	}
	if t.After(now.Add(config.MaxPause)) {
		return time.Time{}, &apiError{http.StatusBadRequest, fmt.Sprintf("invalid until %q: it ends at most %s from now", untilText, model.Duration(config.MaxPause))}
	}
	return t, nil
}
