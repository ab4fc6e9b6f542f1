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
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

// No label a client may set breaks the scrape: a label the exporter
// itself puts on a series (metric, kind, reason, ...) is refused in a
// registration (400) and in the file (a config error naming the key).
func TestReservedLabelsAreRefused(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\n")
	for name := range config.ReservedLabels {
		code, body := e.do("PUT", "/api/v1/heartbeats/job", `{"interval": "1m", "labels": {"`+name+`": "x"}}`)
		if code != 400 || !strings.Contains(body, "set by the exporter") {
			t.Errorf("label %s: %d %s", name, code, body)
		}
		_, err := config.Load([]byte("heartbeats:\n  - {name: job, interval: 1m, labels: {" + name + ": x}}\n"))
		if err == nil || !strings.Contains(err.Error(), "heartbeats[0].labels."+name) {
			t.Errorf("label %s in the file: %v", name, err)
		}
	}
	if _, ok := e.hbs.View("job"); ok {
		t.Error("a refused registration registered the heartbeat")
	}
	reliability.Record(t, "input", "a heartbeat label named metric (or any label the exporter sets)", "400 / config error; /metrics stays valid")
}

// Labels are bounded in number and length, in registrations and the
// file; a registration over 64 KiB is 413, not "unexpected EOF".
func TestRegistrationBounds(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\n")
	labels := map[string]string{}
	for i := range config.MaxLabels + 1 {
		labels[fmt.Sprintf("l%d", i)] = "v"
	}
	b, _ := json.Marshal(map[string]any{"interval": "1m", "labels": labels})
	if code, body := e.do("PUT", "/api/v1/heartbeats/many", string(b)); code != 400 || !strings.Contains(body, "at most 16") {
		t.Errorf("17 labels: %d %s", code, body)
	}
	long := `{"interval": "1m", "labels": {"team": "` + strings.Repeat("x", config.MaxLabelValueBytes+1) + `"}}`
	if code, body := e.do("PUT", "/api/v1/heartbeats/long", long); code != 400 || !strings.Contains(body, "at most 256") {
		t.Errorf("a long label value: %d %s", code, body)
	}
	huge := `{"interval": "1m", "labels": {"team": "` + strings.Repeat("x", 70<<10) + `"}}`
	if code, body := e.do("PUT", "/api/v1/heartbeats/huge", huge); code != 413 {
		t.Errorf("a 70 KiB registration: %d %s", code, body)
	}
	reliability.Record(t, "input", "registrations with 17 labels, a 257-byte value, a 70 KiB body", "400, 400, 413; nothing registered")
}

// ?metric=NAME:NaN and Inf are refused with 400 before anything is
// stored or registered (not 503, which clients retry).
func TestNonFiniteValuesAreRefused(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\n")
	for _, v := range []string{"NaN", "nan", "Inf", "-Inf", "+inf", "1e400"} {
		if code, body := e.do("POST", "/heartbeat/fresh?metric=x:"+v, ""); code != 400 {
			t.Errorf("metric=x:%s: %d %s", v, code, body)
		}
	}
	if _, ok := e.hbs.View("fresh"); ok {
		t.Error("a refused ping registered its heartbeat")
	}
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("a refused value logged an ERROR: %s", e.logs.String())
	}
	reliability.Record(t, "input", "?metric=NAME:NaN, Inf, 1e400", "400 before anything is stored; nothing registered, no ERROR")
}

// A property: whatever registrations, pings and labels clients send, the
// exporter's /metrics is always a valid exposition (metrics() parses it
// and fails the test when it does not).
func TestMetricsAlwaysParse(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true, max_heartbeats: 200}\nheartbeats:\n  - {name: fixed, interval: 1m, labels: {team: web}}\n")
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"team", "metric", "kind", "le", "env", "__x", "a-b", "Team", "queue", "heartbeat", "reason", "x" + strings.Repeat("y", 70)}
	values := []string{"", "web", "a\"b", "a\\nb", "\u00e9t\u00e9", strings.Repeat("v", 300), "\xff"}
	for i := range 400 {
		name := fmt.Sprintf("hb-%d", rng.IntN(40))
		switch rng.IntN(3) {
		case 0:
			labels := map[string]string{}
			for range rng.IntN(4) {
				labels[names[rng.IntN(len(names))]] = values[rng.IntN(len(values))]
			}
			b, _ := json.Marshal(map[string]any{"interval": "1m", "labels": labels})
			e.do("PUT", "/api/v1/heartbeats/"+name, string(b))
		case 1:
			q := fmt.Sprintf("?metric=%s:%d&source=s%d", []string{"metric", "kind", "rows", "le"}[rng.IntN(4)], i, rng.IntN(3))
			e.do("POST", "/heartbeat/"+name+[]string{"", "/start", "/fail", "/3"}[rng.IntN(4)]+q, "out")
		default:
			e.do("POST", "/heartbeat/fixed?metric=rows:"+fmt.Sprint(i), "")
		}
		if i%50 == 0 {
			e.metrics()
		}
	}
	e.metrics()
}

// With auto_register on, a ping to a name two edits from a configured
// one is a typo: 409 with "did you mean", and nothing is created.
// Names that differ only in digits, and names far from every configured
// one, are created as before.
func TestTypoIsNotANewHeartbeat(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\nheartbeats:\n  - {name: nightly-report, interval: 1d}\n  - {name: worker-1, interval: 1m}\n")
	code, body := e.do("POST", "/heartbeat/nightly-reprot", "")
	if code != 409 || !strings.Contains(body, `did you mean "nightly-report"?`) {
		t.Errorf("a typo: %d %s", code, body)
	}
	if _, ok := e.hbs.View("nightly-reprot"); ok {
		t.Error("the typo was created")
	}
	for _, name := range []string{"worker-2", "worker-12", "import-products"} {
		if code, body := e.do("POST", "/heartbeat/"+name, ""); code != 200 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

// No time or duration the API takes can overflow: a pause until
// 9999-12-31 made every later /api/v1/heartbeats invalid JSON, even after
// a restart, and an interval of 292y exported a deadline already passed
// while the heartbeat was new. A pause that would never end, and JSON with
// something after it, are refused too.
func TestAPITimesAreBounded(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true}\nheartbeats:\n  - {name: job, interval: 1h}\n")
	for _, c := range []struct {
		method, path, body string
		code               int
		says               string
	}{
		{"POST", "/api/v1/heartbeats/job/pause", `{"until": "9999-12-31T00:00:00Z"}`, 400, "at most 366d"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for": "400d"}`, 400, "at most 366d"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for": "-5m"}`, 400, "above 0"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for": "0s"}`, 400, "above 0"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for":"1m"} garbage`, 400, "after the JSON"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for":"1m"}{"for":"1h"}`, 400, "after the JSON"},
		{"PUT", "/api/v1/heartbeats/far", `{"interval": "292y"}`, 400, "at most 10y"},
		{"PUT", "/api/v1/heartbeats/far", `{"interval": "1m", "grace": "20y"}`, 400, "at most 10y"},
		{"PUT", "/api/v1/heartbeats/far", `{"interval": "1m", "expire_after": "200y"}`, 400, "at most 10y"},
		{"PUT", "/api/v1/heartbeats/far", `{"interval": "1m"} {}`, 400, "after the JSON"},
		{"POST", "/api/v1/heartbeats/job/pause", `{"for": "1s500ms"}`, 200, `"paused": true`},
	} {
		if code, body := e.do(c.method, c.path, c.body); code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s %s %s: %d %s, want %d saying %q", c.method, c.path, c.body, code, body, c.code, c.says)
		}
	}
	if code, body := e.do("GET", "/api/v1/heartbeats", ""); code != 200 || !json.Valid([]byte(body)) {
		t.Errorf("the list after the refusals: %d, valid JSON %v", code, json.Valid([]byte(body)))
	}
	reliability.Record(t, "input", "a pause until 9999-12-31, for -5m or 0s, an interval of 292y, JSON with garbage after it", "400 naming the bound; nothing stored; the list stays valid JSON")
}

// failingStore refuses every write while full is set, as a full disk does.
type failingStore struct {
	Storage
	full atomic.Bool
}

func (s *failingStore) Put(key string, value, message []byte) <-chan error {
	if s.full.Load() {
		c := make(chan error, 1)
		c <- errors.New("no space left on device")
		return c
	}
	return s.Storage.Put(key, value, message)
}

// A ping the disk refuses registers nothing: on a full disk, auto-register
// used to create the names whose pings were answered 503; they went late,
// used up max_heartbeats and came back after kill -9.
func TestRefusedPingRegistersNothing(t *testing.T) {
	e := newEnv(t, "heartbeat_defaults: {auto_register: true, max_heartbeats: 3}\nheartbeats:\n  - {name: job, interval: 1h}\n")
	full := &failingStore{Storage: e.store}
	hbs, err := NewHeartbeats(full, e.held.get, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.held.get()
	e.held.apply(hbs, cfg)
	h := routes(hbs)
	full.full.Store(true)
	for i := range 5 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, fmt.Sprintf("/heartbeat/new-%d", i), nil))
		if rec.Code != 503 {
			t.Fatalf("a ping on a full disk: %d %s", rec.Code, rec.Body)
		}
	}
	if names := hbs.names(); len(names) != 1 {
		t.Errorf("after 5 refused pings the heartbeats are %v, want only job", names)
	}
	full.full.Store(false)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/heartbeat/new-0", nil))
	if rec.Code != 200 {
		t.Errorf("the disk has room again, and the ping is refused: %d %s (max_heartbeats used up?)", rec.Code, rec.Body)
	}
	e.reopen("heartbeat_defaults: {auto_register: true, max_heartbeats: 3}\nheartbeats:\n  - {name: job, interval: 1h}\n")
	if names := e.hbs.names(); !slices.Equal(names, []string{"job", "new-0"}) {
		t.Errorf("after a restart: %v, want job and new-0 (the one stored ping)", names)
	}
	reliability.Record(t, "disk", "pings to 5 new names on a full disk, with auto_register", "503 each; no name registered, in memory or on disk")
}
