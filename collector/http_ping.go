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
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

const ridMax = 128

// hardBodyCap is the most a ping may send; beyond body_limit the body is
// cut, beyond this the ping is refused (413).
const hardBodyCap = 1 << 20

// servePing serves a ping. web.New routes it with these patterns, which
// give the name and the action:
//
//	GET|HEAD|POST /heartbeat/{name}            success
//	GET|HEAD|POST /heartbeat/{name}/start      a run started
//	GET|HEAD|POST /heartbeat/{name}/fail       a run failed
//	GET|HEAD|POST /heartbeat/{name}/log        a message, no change of state
//	GET|HEAD|POST /heartbeat/{name}/progress   the run is alive: max_runtime restarts
//	GET|HEAD|POST /heartbeat/{name}/0..255     a run ended with this exit status (0: success)
//
// ?rid= pairs a start with its end; the end of the body (up to
// body_limit) becomes the last message; the token comes in
// Authorization: Bearer TOKEN or X-Heartbeat-Token: TOKEN. 200 means the
// ping is on disk. Everything about the request is checked before the
// heartbeat is looked up, so a refused ping never registers a name.
func (h *Heartbeats) servePing(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p, body, perr := readPing(r, name, r.PathValue("action"))
	if perr != nil {
		h.refuse(w, r, name, perr)
		return
	}
	hb, created, err := h.find(name, requestToken(r), r.Method)
	if err != nil {
		if pe, ok := errors.AsType[*pingError](err); ok {
			h.refuse(w, r, name, pe)
			return
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	hb.mu.Lock()
	limit := hb.cfg.BodyLimitBytes()
	decide(&p, hb.cfg, body)
	hb.mu.Unlock()
	p.message, p.cut = messageTail(body, limit)
	if err := h.accept(hb, name, p); err != nil {
		if created {
			h.forget(name, hb)
		}
		// A full disk refuses every ping: one ERROR a minute says so.
		if ok, suppressed := h.warnings.allow("\x00store", h.now()); ok {
			h.logger.Error("Could not store a ping; it was not counted", "heartbeat", name, "err", err, "refused_since_last_error", suppressed)
		}
		http.Error(w, "the ping could not be stored, and was not counted: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK\n")
}

// serveBadPing serves what the ping patterns do not take: a method other
// than GET, HEAD or POST (405), or a path of another shape (400). Both
// are counted as invalid pings.
func (h *Heartbeats) serveBadPing(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, wire.PingPrefix)
	name, _, _ := strings.Cut(rest, "/")
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		h.refuse(w, r, name, &pingError{http.StatusBadRequest, RejectInvalid,
			"want /heartbeat/NAME or /heartbeat/NAME/ACTION (ACTION: start, fail, log or an exit status 0-255)"})
	default:
		h.refuse(w, r, name, &pingError{http.StatusMethodNotAllowed, RejectInvalid, "use GET, HEAD or POST"})
	}
}

// decide applies a heartbeat's keywords to a success ping's body (for
// wrappers that always exit 0): a failure keyword in it makes it a
// failure; with success keywords, one of them must be in it. The whole
// body is searched, not only the tail kept as the message.
func decide(p *ping, hc *config.Heartbeat, body []byte) {
	if p.kind != wire.KindSuccess || len(hc.SuccessKeywords)+len(hc.FailureKeywords) == 0 {
		return
	}
	for _, kw := range hc.FailureKeywords {
		if bytes.Contains(body, []byte(kw)) {
			p.kind, p.keyword = wire.KindFail, kw
			p.reason = fmt.Sprintf("failure keyword %q in the message", kw)
			return
		}
	}
	if len(hc.SuccessKeywords) == 0 {
		return
	}
	for _, kw := range hc.SuccessKeywords {
		if bytes.Contains(body, []byte(kw)) {
			p.keyword = kw
			return
		}
	}
	p.kind = wire.KindFail
	p.reason = fmt.Sprintf("no success keyword in the message (want one of %q)", hc.SuccessKeywords)
}

// refuse answers a refused ping, and counts and logs it.
func (h *Heartbeats) refuse(w http.ResponseWriter, r *http.Request, name string, e *pingError) {
	h.reject(name, e.reason, e.msg, r.RemoteAddr)
	switch e.code {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="django_health_exporter"`)
	case http.StatusMethodNotAllowed:
		allow := "GET, HEAD, POST"
		if e == errPostOnly {
			allow = http.MethodPost
		}
		w.Header().Set("Allow", allow)
	}
	http.Error(w, e.msg, e.code)
}

// readPing reads and checks everything a ping says but its token: name,
// action, rid, source, values and body.
func readPing(r *http.Request, name, action string) (ping, []byte, *pingError) {
	invalid := func(msg string) *pingError { return &pingError{http.StatusBadRequest, RejectInvalid, msg} }
	var p ping
	if !config.ValidHeartbeatName(name) {
		return p, nil, invalid("invalid heartbeat name: " + config.HeartbeatNameRule)
	}
	p.kind = wire.KindSuccess
	switch action {
	case "":
	case wire.KindStart, wire.KindFail, wire.KindLog, wire.KindProgress:
		p.kind = action
	default:
		code, err := strconv.Atoi(action)
		if err != nil || code < 0 || code > 255 || strconv.Itoa(code) != action {
			return p, nil, invalid("unknown action " + strconv.Quote(action) + ": want start, fail, log, progress or an exit status 0-255")
		}
		p.exit = &code
		if code != 0 {
			p.kind = wire.KindFail
		}
	}
	q := r.URL.Query()
	p.rid = q.Get("rid")
	if !printable(p.rid) {
		return p, nil, invalid("invalid rid: at most 128 bytes of printable UTF-8")
	}
	p.source = q.Get("source")
	if !printable(p.source) {
		return p, nil, invalid("invalid source: at most 128 bytes of printable UTF-8")
	}
	if p.source == "" {
		p.source = clientAddress(r)
	}
	if p.release = q.Get("release"); !config.ValidRelease(p.release) {
		return p, nil, invalid("invalid release: " + config.ReleaseRule)
	}
	var err error
	if p.values, err = pingValues(q["metric"]); err != nil {
		return p, nil, invalid(err.Error())
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, hardBodyCap+1))
	if err != nil {
		return p, nil, invalid("reading the body: " + err.Error())
	}
	if len(body) > hardBodyCap {
		return p, nil, &pingError{http.StatusRequestEntityTooLarge, RejectTooLarge, "body larger than 1 MiB; send the tail of the output"}
	}
	return p, body, nil
}

// printable reports whether an id (rid, source) is at most 128 bytes of
// printable UTF-8.
func printable(s string) bool {
	return len(s) <= ridMax && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// metricNameRE is what ?metric=NAME:VALUE may call a number.
var metricNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// pingValues reads ?metric=NAME:VALUE parameters: at most maxValues.
func pingValues(params []string) (map[string]float64, error) {
	if len(params) == 0 {
		return nil, nil
	}
	if len(params) > maxValues {
		return nil, fmt.Errorf("%d metric= parameters: at most %d", len(params), maxValues)
	}
	values := make(map[string]float64, len(params))
	for _, p := range params {
		name, text, ok := strings.Cut(p, ":")
		if !ok || !metricNameRE.MatchString(name) || len(name) > 64 {
			return nil, fmt.Errorf("invalid metric=%q: want NAME:VALUE, NAME of a-z, 0-9 and _", p)
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("invalid metric=%q: %q is not a finite number", p, text)
		}
		values[name] = v
	}
	return values, nil
}

// clientAddress is the address a ping came from, the default source.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// messageTail keeps the last limit bytes of a body, cut on a rune
// boundary and made valid UTF-8: the end of a log is what says why a job
// failed. It returns how many bytes were cut from the head, and the kept
// text starts with a line saying so.
func messageTail(body []byte, limit int64) (string, int) {
	msg, cut := text.Tail(string(body), int(limit))
	if cut > 0 {
		msg = fmt.Sprintf("[… first %d bytes cut …]\n", cut) + msg
	}
	return msg, cut
}

// requestToken reads "X-Heartbeat-Token: TOKEN" or "Authorization:
// requestToken reads "X-Heartbeat-Token: TOKEN" or "Authorization:
// Bearer TOKEN".
func requestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(wire.TokenHeader)); t != "" {
		return t
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
