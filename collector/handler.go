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
	"net"
	"net/http"
	"regexp"
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

// TokenHeader carries a heartbeat token where Authorization is taken by
// the web configuration's basic auth.
const TokenHeader = "X-Heartbeat-Token"

// PingHandler serves /heartbeat/{name} and /heartbeat/{name}/{action}:
//
//	/heartbeat/NAME             success
//	/heartbeat/NAME/start       a run started
//	/heartbeat/NAME/fail        a run failed
//	/heartbeat/NAME/log         a message, no change of state
//	/heartbeat/NAME/0..255      a run ended with this exit status (0: success)
//
// GET, HEAD and POST; ?rid= pairs a start with its end; the end of the
// body (up to body_limit) becomes the last message; the token comes in
// Authorization: Bearer TOKEN or X-Heartbeat-Token: TOKEN. 200 means the
// ping is on disk. Everything about the request is checked before the
// heartbeat is looked up, so a refused ping never registers a name.
func (h *Heartbeats) PingHandler() http.Handler {
	return http.HandlerFunc(h.servePing)
}

func (h *Heartbeats) servePing(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/heartbeat/"), "/")
	refuse := func(e *pingError) {
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
	p, body, perr := readPing(r, name, rest)
	if perr != nil {
		refuse(perr)
		return
	}
	hb, err := h.find(name, requestToken(r), r.Method)
	if err != nil {
		var pe *pingError
		if errors.As(err, &pe) {
			refuse(pe)
			return
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	hb.mu.Lock()
	limit := hb.cfg.BodyLimitBytes()
	hb.mu.Unlock()
	p.message, p.cut = messageTail(body, limit)
	if err := h.accept(hb, name, p); err != nil {
		h.logger.Error("Could not store a ping; it was not counted", "heartbeat", name, "err", err)
		http.Error(w, "the ping could not be stored, and was not counted: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK\n")
}

// readPing reads and checks everything a ping says but its token: method,
// name, action, rid and body.
func readPing(r *http.Request, name, action string) (ping, []byte, *pingError) {
	invalid := func(msg string) *pingError { return &pingError{http.StatusBadRequest, RejectInvalid, msg} }
	var p ping
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		return p, nil, &pingError{http.StatusMethodNotAllowed, RejectInvalid, "use GET, HEAD or POST"}
	}
	if !config.ValidHeartbeatName(name) {
		return p, nil, invalid("invalid heartbeat name: " + config.HeartbeatNameRule)
	}
	p.kind = KindSuccess
	switch action {
	case "":
	case KindStart, KindFail, KindLog:
		p.kind = action
	default:
		code, err := strconv.Atoi(action)
		if err != nil || code < 0 || code > 255 || strconv.Itoa(code) != action {
			return p, nil, invalid("unknown action " + strconv.Quote(action) + ": want start, fail, log or an exit status 0-255")
		}
		p.exit = &code
		if code != 0 {
			p.kind = KindFail
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
		if err != nil {
			return nil, fmt.Errorf("invalid metric=%q: %q is not a number", p, text)
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
	cut := 0
	if int64(len(body)) > limit {
		cut = len(body) - int(limit)
		for cut < len(body) && !utf8.RuneStart(body[cut]) {
			cut++
		}
		body = body[cut:]
	}
	msg := strings.ToValidUTF8(string(body), "\uFFFD")
	if cut > 0 {
		msg = fmt.Sprintf("[… first %d bytes cut …]\n", cut) + msg
	}
	return msg, cut
}

// requestToken reads "X-Heartbeat-Token: TOKEN" or "Authorization:
// Bearer TOKEN".
func requestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(TokenHeader)); t != "" {
		return t
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// APIHandler serves /api/v1/heartbeats: every heartbeat, its state and
// why, and its last message, as JSON; and the records retained for
// heartbeats the configuration no longer names; /api/v1/heartbeats/{name}
// is one heartbeat, and takes PUT and DELETE (register.go). The answer is
// written a
// heartbeat at a time: 10,000 heartbeats with 10 KiB messages each are
// 100 MB of JSON, which is never held in memory at once.
func (h *Heartbeats) APIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/heartbeats" {
			h.serveOne(w, r)
			return
		}
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
	})
}
