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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/collector/wire"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/testutil"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     testing.TB
	dir   string
	store *Store
	hbs   *Heartbeats
	reg   *prometheus.Registry
	clock *clock
	h     http.Handler
	logs  *syncBuffer
	// basic keeps the configuration's metrics: setting; the tests of the
	// heartbeats' semantics read every series, so by default each
	// heartbeat is made detailed.
	basic bool
	held  holder
}

// routes are the heartbeat routes as web.New mounts them.
func routes(hbs *Heartbeats) http.Handler {
	mux := http.NewServeMux()
	hbs.Routes(mux)
	return mux
}

// holder is a test's configuration holder: what web's Reloader is to
// the exporter.
type holder struct{ p atomic.Pointer[config.Config] }

func (h *holder) get() *config.Config { return h.p.Load() }

func (h *holder) apply(hbs *Heartbeats, cfg *config.Config) {
	hbs.Apply(cfg, func() { h.p.Store(cfg) })
}

// syncBuffer is the exporter's log in a test.
type syncBuffer = testutil.SyncBuffer

var start = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, yml string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: start}, logs: &syncBuffer{}}
	e.open()
	e.apply(yml)
	return e
}

func (e *env) open() {
	store, err := OpenStore(e.dir, slog.New(slog.NewTextHandler(e.logs, nil)), StoreOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = store
	e.reg = prometheus.NewRegistry()
	hbs, err := NewHeartbeats(store, e.held.get, e.reg, slog.New(slog.NewTextHandler(e.logs, nil)))
	if err != nil {
		e.t.Fatal(err)
	}
	hbs.now = e.clock.now
	e.hbs = hbs
	e.h = routes(hbs)
	e.t.Cleanup(func() { _ = store.Close() })
}

// reopen simulates a restart: the store is closed and read again.
func (e *env) reopen(yml string) {
	if err := e.store.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
	e.apply(yml)
}

func (e *env) apply(yml string) {
	e.t.Helper()
	cfg, err := config.Load([]byte(yml))
	if err != nil {
		e.t.Fatal(err)
	}
	if !e.basic {
		cfg.HeartbeatDefaults.Metrics = config.MetricsDetailed
		for _, h := range cfg.Heartbeats {
			h.Metrics = config.MetricsDetailed
		}
	}
	e.held.apply(e.hbs, cfg)
}

// do sends a ping and returns the status code and body.
func (e *env) do(method, target, body string, header ...string) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (e *env) ok(method, target string, header ...string) {
	e.t.Helper()
	if code, body := e.do(method, target, "", header...); code != 200 {
		e.t.Fatalf("%s %s: %d %s", method, target, code, body)
	}
}

// metrics scrapes /metrics and returns every series as
// "name{label=value,...}" -> value.
func (e *env) metrics() map[string]float64 {
	e.t.Helper()
	var text bytes.Buffer
	gathered, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range gathered {
		_ = enc.Encode(mf)
	}
	if err := e.hbs.WriteText(&text); err != nil {
		e.t.Fatal(err)
	}
	raw := text.String()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(&text)
	if err != nil {
		e.t.Fatalf("invalid exposition: %v\n%s", err, raw)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[seriesKey(mf.GetName(), m)] = metricValue(m)
		}
	}
	return out
}

func seriesKey(name string, m *dto.Metric) string {
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(labels)
	if len(labels) == 0 {
		return name
	}
	return name + "{" + strings.Join(labels, ",") + "}"
}

func metricValue(m *dto.Metric) float64 {
	if m.Gauge != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}

func (e *env) want(expect map[string]float64) {
	e.t.Helper()
	got := e.metrics()
	for k, v := range expect {
		g, ok := got[k]
		if !ok {
			keys := make([]string, 0, len(got))
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			e.t.Errorf("series %s missing; have:\n%s", k, strings.Join(keys, "\n"))
			continue
		}
		if g != v {
			e.t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

func (e *env) view(name string) HeartbeatView {
	e.t.Helper()
	for _, v := range e.hbs.WithMessages(e.hbs.Views()) {
		if v.Name == name {
			return v
		}
	}
	e.t.Fatalf("no heartbeat %s", name)
	return HeartbeatView{}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

const basicConfig = `
heartbeats:
  - {name: celery-beat, interval: 5m, grace: 1m, labels: {team: web}}
  - {name: nightly, schedule: "30 2 * * *", timezone: Europe/Berlin, grace: 30m, max_runtime: 1h}
  - {name: secret, interval: 1h, token: s3cret}
`

func TestRoutesAndCodes(t *testing.T) {
	e := newEnv(t, basicConfig)
	auth := []string{"Authorization", "Bearer s3cret"}
	for _, tc := range []struct {
		method, target, body string
		header               []string
		code                 int
	}{
		{"GET", "/heartbeat/celery-beat", "", nil, 200},
		{"HEAD", "/heartbeat/celery-beat", "", nil, 200},
		{"POST", "/heartbeat/celery-beat", "done", nil, 200},
		{"POST", "/heartbeat/celery-beat/start?rid=1", "", nil, 200},
		{"POST", "/heartbeat/celery-beat/fail?rid=1", "boom", nil, 200},
		{"POST", "/heartbeat/celery-beat/log", "note", nil, 200},
		{"POST", "/heartbeat/celery-beat/0", "", nil, 200},
		{"POST", "/heartbeat/celery-beat/255", "", nil, 200},
		{"POST", "/heartbeat/celery-beat/256", "", nil, 400},
		{"POST", "/heartbeat/celery-beat/007", "", nil, 400},
		{"POST", "/heartbeat/celery-beat/-1", "", nil, 400},
		{"POST", "/heartbeat/celery-beat/restart", "", nil, 400},
		{"POST", "/heartbeat/celery-beat/start/extra", "", nil, 400},
		{"POST", "/heartbeat/bad%20name", "", nil, 400},
		{"POST", "/heartbeat/", "", nil, 400},
		{"POST", "/heartbeat/-leading-dash", "", nil, 400},
		{"POST", "/heartbeat/celery-beat?rid=" + strings.Repeat("x", 129), "", nil, 400},
		{"POST", "/heartbeat/celery-beat?rid=a%0Ab", "", nil, 400},
		{"PUT", "/heartbeat/celery-beat", "", nil, 405},
		{"DELETE", "/heartbeat/celery-beat", "", nil, 405},
		{"GET", "/heartbeat/no-such-job", "", nil, 404},
		{"GET", "/heartbeat/secret", "", nil, 401},
		{"GET", "/heartbeat/secret", "", []string{"Authorization", "Bearer wrong"}, 401},
		{"GET", "/heartbeat/secret", "", []string{"Authorization", "Basic czNjcmV0"}, 401},
		{"GET", "/heartbeat/secret", "", auth, 200},
		{"GET", "/heartbeat/secret", "", []string{"Authorization", "bearer s3cret"}, 200},
		{"POST", "/heartbeat/celery-beat", strings.Repeat("x", hardBodyCap+1), nil, 413},
	} {
		code, body := e.do(tc.method, tc.target, tc.body, tc.header...)
		if code != tc.code {
			t.Errorf("%s %s: %d %q, want %d", tc.method, tc.target, code, body, tc.code)
		}
		if code == 200 && tc.method != "HEAD" && body != "OK\n" {
			t.Errorf("%s %s: body %q", tc.method, tc.target, body)
		}
	}
	code, _ := e.do("PUT", "/heartbeat/celery-beat", "")
	if code != 405 {
		t.Fatal(code)
	}
	req := httptest.NewRequest(http.MethodPut, "/heartbeat/celery-beat", nil)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("405 without Allow: %v", rec.Header())
	}
	req = httptest.NewRequest(http.MethodGet, "/heartbeat/secret", nil)
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", rec.Header())
	}
	e.want(map[string]float64{
		"heartbeat_rejected_pings_total{reason=invalid}":                     14, // the table's 12, and the two PUTs after it
		"heartbeat_rejected_pings_total{reason=unknown}":                     1,
		"heartbeat_rejected_pings_total{reason=unauthorized}":                4,
		"heartbeat_rejected_pings_total{reason=too_large}":                   1,
		"heartbeat_rejected_pings_total{reason=limit}":                       0,
		"heartbeat_pings_total{heartbeat=celery-beat,kind=success,team=web}": 4,
		"heartbeat_pings_total{heartbeat=celery-beat,kind=start,team=web}":   1,
		"heartbeat_pings_total{heartbeat=celery-beat,kind=fail,team=web}":    2,
		"heartbeat_pings_total{heartbeat=celery-beat,kind=log,team=web}":     1,
		"heartbeat_pings_total{heartbeat=secret,kind=success}":               2,
	})
}

// new -> up -> late -> down -> up, for an interval heartbeat.
func TestIntervalTransitions(t *testing.T) {
	e := newEnv(t, basicConfig)
	lbl := "{heartbeat=celery-beat,team=web}"
	// Never pinged: due one interval plus grace after it was configured.
	if v := e.view("celery-beat"); v.State != StateNew || !v.Deadline.Equal(start.Add(6*time.Minute)) {
		t.Errorf("fresh heartbeat: %s, deadline %v", v.State, v.Deadline)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 1, "heartbeat_last_success_timestamp_seconds" + lbl: 0,
		"heartbeat_interval_seconds" + lbl: 300, "heartbeat_grace_seconds" + lbl: 60, "heartbeat_max_runtime_seconds" + lbl: 0})
	e.clock.advance(7 * time.Minute)
	if v := e.view("celery-beat"); v.State != StateDown {
		t.Errorf("never pinged past its deadline: %s", v.State)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 0})

	e.ok("POST", "/heartbeat/celery-beat")
	pinged := start.Add(7 * time.Minute)
	e.want(map[string]float64{
		"heartbeat_up" + lbl:                             1,
		"heartbeat_last_success_timestamp_seconds" + lbl: unix(pinged),
		"heartbeat_deadline_timestamp_seconds" + lbl:     unix(pinged.Add(6 * time.Minute)),
		"heartbeat_expected_timestamp_seconds" + lbl:     unix(pinged.Add(5 * time.Minute)),
	})
	if v := e.view("celery-beat"); v.State != StateUp {
		t.Errorf("after a success: %s", v.State)
	}
	e.clock.advance(5*time.Minute + 30*time.Second)
	if v := e.view("celery-beat"); v.State != StateLate {
		t.Errorf("within grace: %s", v.State)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 1})
	e.clock.advance(time.Minute)
	if v := e.view("celery-beat"); v.State != StateDown {
		t.Errorf("past grace: %s", v.State)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 0})
	e.ok("GET", "/heartbeat/celery-beat")
	if v := e.view("celery-beat"); v.State != StateUp {
		t.Errorf("after a late success: %s", v.State)
	}
}

// start -> running -> success measures the run; fail and non-zero exits
// fail it until the next success; log changes nothing but the message.
func TestRunsFailuresAndMessages(t *testing.T) {
	e := newEnv(t, basicConfig)
	lbl := "{heartbeat=celery-beat,team=web}"
	e.ok("POST", "/heartbeat/celery-beat/start")
	e.want(map[string]float64{"heartbeat_running" + lbl: 1, "heartbeat_running_since_timestamp_seconds" + lbl: unix(start), "heartbeat_last_start_timestamp_seconds" + lbl: unix(start)})
	if v := e.view("celery-beat"); v.State != StateRunning {
		t.Errorf("after start: %s", v.State)
	}
	e.clock.advance(42 * time.Second)
	if code, _ := e.do("POST", "/heartbeat/celery-beat", "all done"); code != 200 {
		t.Fatal(code)
	}
	e.want(map[string]float64{"heartbeat_running" + lbl: 0, "heartbeat_last_duration_seconds" + lbl: 42, "heartbeat_running_since_timestamp_seconds" + lbl: 0})
	if v := e.view("celery-beat"); v.LastMessage != "all done" || v.State != StateUp {
		t.Errorf("after success: %s %q", v.State, v.LastMessage)
	}

	e.clock.advance(time.Minute)
	if code, _ := e.do("POST", "/heartbeat/celery-beat/fail", "Traceback: boom"); code != 200 {
		t.Fatal(code)
	}
	failedAt := e.clock.now()
	e.want(map[string]float64{"heartbeat_up" + lbl: 0, "heartbeat_last_failure_timestamp_seconds" + lbl: unix(failedAt)})
	if v := e.view("celery-beat"); v.State != StateFailed || v.LastMessage != "Traceback: boom" {
		t.Errorf("after fail: %s %q", v.State, v.LastMessage)
	}
	// A log ping keeps the failure, changes the message.
	e.clock.advance(time.Second)
	if code, _ := e.do("POST", "/heartbeat/celery-beat/log", "retrying"); code != 200 {
		t.Fatal(code)
	}
	if v := e.view("celery-beat"); v.State != StateFailed || v.LastMessage != "retrying" || v.LastPingKind != wire.KindLog {
		t.Errorf("after log: %s %q %s", v.State, v.LastMessage, v.LastPingKind)
	}
	e.clock.advance(time.Second)
	e.ok("POST", "/heartbeat/celery-beat/0")
	if v := e.view("celery-beat"); v.State != StateUp || v.LastExit == nil || *v.LastExit != 0 {
		t.Errorf("after exit 0: %s %v", v.State, v.LastExit)
	}
	e.clock.advance(time.Second)
	e.ok("POST", "/heartbeat/celery-beat/3")
	e.want(map[string]float64{"heartbeat_up" + lbl: 0, "heartbeat_last_exit_status" + lbl: 3})
	if v := e.view("celery-beat"); v.State != StateFailed {
		t.Errorf("after exit 3: %s", v.State)
	}
}

// Overlapping runs are told apart by rid.
func TestOverlappingRuns(t *testing.T) {
	e := newEnv(t, basicConfig)
	lbl := "{heartbeat=celery-beat,team=web}"
	e.ok("POST", "/heartbeat/celery-beat/start?rid=a")
	e.clock.advance(10 * time.Second)
	e.ok("POST", "/heartbeat/celery-beat/start?rid=b")
	e.want(map[string]float64{"heartbeat_running" + lbl: 2, "heartbeat_running_since_timestamp_seconds" + lbl: unix(start)})
	e.clock.advance(5 * time.Second)
	e.ok("POST", "/heartbeat/celery-beat?rid=b")
	e.want(map[string]float64{"heartbeat_running" + lbl: 1, "heartbeat_last_duration_seconds" + lbl: 5})
	e.clock.advance(20 * time.Second)
	e.ok("POST", "/heartbeat/celery-beat/0?rid=a")
	e.want(map[string]float64{"heartbeat_running" + lbl: 0, "heartbeat_last_duration_seconds" + lbl: 35})
	// An end without a rid closes the only open run.
	e.ok("POST", "/heartbeat/celery-beat/start?rid=c")
	e.clock.advance(3 * time.Second)
	e.ok("POST", "/heartbeat/celery-beat")
	e.want(map[string]float64{"heartbeat_running" + lbl: 0, "heartbeat_last_duration_seconds" + lbl: 3})
	// A run that crashed without an end ping does not keep the heartbeat
	// down once a later run ends, past max(max_runtime, interval+grace).
	e.ok("POST", "/heartbeat/celery-beat/start?rid=crashed")
	e.clock.advance(7 * time.Minute) // interval 5m + grace 1m
	e.ok("POST", "/heartbeat/celery-beat/start?rid=next")
	e.clock.advance(time.Second)
	e.ok("POST", "/heartbeat/celery-beat?rid=next")
	e.want(map[string]float64{"heartbeat_running" + lbl: 0, "heartbeat_last_duration_seconds" + lbl: 1})
	// Starts that never end are bounded.
	for i := range maxOpenRuns + 10 {
		e.ok("POST", fmt.Sprintf("/heartbeat/celery-beat/start?rid=r%d", i))
		e.clock.advance(time.Millisecond)
	}
	e.want(map[string]float64{"heartbeat_running" + lbl: maxOpenRuns})
}

// While a run is open the heartbeat is due by the earlier of its deadline
// (schedule plus grace) and the end of the run's max_runtime, and says
// why it is down.
func TestMaxRuntimeAndCronDeadline(t *testing.T) {
	e := newEnv(t, basicConfig+"  - {name: quick, interval: 1h, max_runtime: 30s}\n")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	lbl := "{heartbeat=nightly}"
	// Configured at 12:00 UTC on November 21st: next run 02:30 Berlin
	// (01:30 UTC) on the 22nd, due by 02:00 UTC with 30m grace.
	due := time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)
	e.want(map[string]float64{
		"heartbeat_expected_timestamp_seconds" + lbl: unix(due),
		"heartbeat_deadline_timestamp_seconds" + lbl: unix(due.Add(30 * time.Minute)),
		"heartbeat_interval_seconds" + lbl:           86400,
		"heartbeat_max_runtime_seconds" + lbl:        3600,
	})
	// The job starts on time: running, due by the end of its grace
	// (03:00), which is earlier than the end of its max_runtime (03:30).
	e.clock.t = time.Date(2026, 11, 22, 2, 30, 0, 0, berlin)
	e.ok("POST", "/heartbeat/nightly/start?rid=n1")
	e.clock.advance(15 * time.Minute)
	if v := e.view("nightly"); v.State != StateRunning || v.Why != "running 15m" {
		t.Errorf("15 minutes into the run: %s %q", v.State, v.Why)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 1, "heartbeat_deadline_timestamp_seconds" + lbl: unix(due.Add(30 * time.Minute))})
	e.clock.advance(20 * time.Minute) // 03:05, past the grace, within max_runtime
	if v := e.view("nightly"); v.State != StateDown || v.Why != "running 35m, past its deadline 03:00 CET" {
		t.Errorf("35 minutes into the run: %s %q", v.State, v.Why)
	}
	e.want(map[string]float64{"heartbeat_up" + lbl: 0, "heartbeat_running" + lbl: 1})
	e.clock.advance(30 * time.Minute) // 03:35, past max_runtime too
	if v := e.view("nightly"); v.State != StateDown || v.Why != "running 1h 5m, max_runtime 1h" {
		t.Errorf("65 minutes into the run: %s %q", v.State, v.Why)
	}
	e.ok("POST", "/heartbeat/nightly/0?rid=n1")
	e.want(map[string]float64{"heartbeat_up" + lbl: 1, "heartbeat_last_duration_seconds" + lbl: 3900})
	// The next run is the next night, read in Berlin time.
	next := time.Date(2026, 11, 23, 2, 30, 0, 0, berlin)
	e.want(map[string]float64{"heartbeat_expected_timestamp_seconds" + lbl: unix(next)})

	// A run past a max_runtime shorter than the period: down, and the
	// deadline says so instead of "in 56m".
	e.ok("POST", "/heartbeat/quick")
	e.clock.advance(4 * time.Minute)
	started := e.clock.now()
	e.ok("POST", "/heartbeat/quick/start")
	e.clock.advance(8 * time.Minute)
	v := e.view("quick")
	if v.State != StateDown || v.Why != "running 8m, max_runtime 30s" || !v.Deadline.Equal(started.Add(30*time.Second)) {
		t.Errorf("a run 8m into a 30s max_runtime: %s %q, deadline %v", v.State, v.Why, v.Deadline)
	}
	e.want(map[string]float64{"heartbeat_deadline_timestamp_seconds{heartbeat=quick}": unix(started.Add(30 * time.Second))})
}

// Across the autumn change the nightly job is expected once, at the
// first 02:30.
func TestCronHeartbeatAcrossDST(t *testing.T) {
	e := newEnv(t, basicConfig)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	e.clock.t = time.Date(2026, 10, 24, 2, 40, 0, 0, berlin)
	e.ok("GET", "/heartbeat/nightly")
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	if v := e.view("nightly"); !v.Expected.Equal(first) {
		t.Errorf("expected %v, want %v", v.Expected, first)
	}
	e.clock.t = first.Add(5 * time.Minute)
	e.ok("GET", "/heartbeat/nightly")
	next := time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC) // 02:30 CET, not the repeated hour
	if v := e.view("nightly"); !v.Expected.Equal(next) {
		t.Errorf("after the first 02:30: expected %v, want %v", v.Expected, next)
	}
}

// A message longer than body_limit keeps its end, where a log says why a
// job failed, and says how much was cut.
func TestBodyLimitKeepsTheTail(t *testing.T) {
	e := newEnv(t, "heartbeats:\n  - {name: small, interval: 1m, body_limit: 8}\n")
	if code, _ := e.do("POST", "/heartbeat/small", "0123456789abcdef"); code != 200 {
		t.Fatal(code)
	}
	if v := e.view("small"); v.LastMessage != "[… first 8 bytes cut …]\n89abcdef" || v.MessageCutBytes != 8 {
		t.Errorf("message = %q, cut %d", v.LastMessage, v.MessageCutBytes)
	}
	// Cut on a rune boundary (é is two bytes, the 1st and 2nd), invalid
	// UTF-8 replaced.
	if code, _ := e.do("POST", "/heartbeat/small", "éabcdefgh"); code != 200 {
		t.Fatal(code)
	}
	if v := e.view("small"); v.LastMessage != "[… first 2 bytes cut …]\nabcdefgh" {
		t.Errorf("message = %q", v.LastMessage)
	}
	if code, _ := e.do("POST", "/heartbeat/small", "a\xffb"); code != 200 {
		t.Fatal(code)
	}
	if v := e.view("small"); v.LastMessage != "a\uFFFDb" || v.MessageCutBytes != 0 {
		t.Errorf("message = %q", v.LastMessage)
	}
}

func TestAutoRegisterAndLimit(t *testing.T) {
	e := newEnv(t, `
heartbeat_defaults:
  auto_register: true
  max_heartbeats: 3
  interval: 2m
  token: tok
heartbeats:
  - {name: configured}
`)
	auth := []string{"Authorization", "Bearer tok"}
	if code, _ := e.do("GET", "/heartbeat/worker-1", "", nil...); code != 401 {
		t.Errorf("auto-registration needs the default token: %d", code)
	}
	e.ok("GET", "/heartbeat/worker-1", auth...)
	e.ok("GET", "/heartbeat/worker-2", auth...)
	if code, body := e.do("GET", "/heartbeat/worker-3", "", auth...); code != 404 || !strings.Contains(body, "max_heartbeats") {
		t.Errorf("over the limit: %d %s", code, body)
	}
	e.want(map[string]float64{
		"heartbeat_interval_seconds{heartbeat=worker-1}":      120,
		"heartbeat_rejected_pings_total{reason=limit}":        1,
		"heartbeat_rejected_pings_total{reason=unauthorized}": 1,
	})
	if v := e.view("worker-2"); !v.AutoRegistered {
		t.Error("auto_registered flag")
	}
	// They survive a restart while auto_register is on...
	e.reopen(`
heartbeat_defaults: {auto_register: true, max_heartbeats: 3, interval: 2m, token: tok}
heartbeats:
  - {name: configured}
`)
	if len(e.hbs.Views()) != 3 {
		t.Errorf("after restart: %d heartbeats", len(e.hbs.Views()))
	}
	// ...and go when it is turned off.
	e.apply("heartbeats:\n  - {name: configured}\n")
	if views := e.hbs.Views(); len(views) != 1 || views[0].Name != "configured" {
		t.Errorf("after turning auto_register off: %+v", views)
	}
	if code, _ := e.do("GET", "/heartbeat/worker-1", "", auth...); code != 404 {
		t.Errorf("auto-registration is off: %d", code)
	}
}

// Reload keeps the state of heartbeats that stay, adds new ones and takes
// removed ones out of the metrics (their records are retained).
func TestReloadKeepsState(t *testing.T) {
	e := newEnv(t, basicConfig)
	e.ok("POST", "/heartbeat/celery-beat")
	e.clock.advance(time.Hour)
	e.apply(`
heartbeats:
  - {name: celery-beat, interval: 10m, grace: 2m, labels: {team: ops}}
  - {name: deploy, interval: 24h}
`)
	e.want(map[string]float64{
		"heartbeat_last_success_timestamp_seconds{heartbeat=celery-beat,team=ops}": unix(start),
		"heartbeat_interval_seconds{heartbeat=celery-beat,team=ops}":               600,
		"heartbeat_last_success_timestamp_seconds{heartbeat=deploy}":               0,
	})
	for k := range e.metrics() {
		if strings.Contains(k, "heartbeat=nightly") || strings.Contains(k, "heartbeat=secret") || strings.Contains(k, "team=web") {
			t.Errorf("removed heartbeat still exported: %s", k)
		}
	}
	// The new heartbeat was configured now: due 24h (and the default 1m
	// grace) from now, after a restart too.
	e.reopen(`
heartbeats:
  - {name: celery-beat, interval: 10m, grace: 2m, labels: {team: ops}}
  - {name: deploy, interval: 24h}
  - {name: nightly, schedule: "@daily"}
`)
	if v := e.view("deploy"); !v.Deadline.Equal(start.Add(time.Hour + 24*time.Hour + time.Minute)) {
		t.Errorf("deploy deadline after restart: %v", v.Deadline)
	}
	if v := e.view("celery-beat"); !v.LastSuccess.Equal(start) {
		t.Errorf("celery-beat lost its success: %+v", v)
	}
	// nightly was removed in between: its record was retained, so it is
	// due from when it was first configured, not from the restart.
	if v := e.view("nightly"); !v.Deadline.Equal(time.Date(2026, 11, 22, 0, 1, 0, 0, time.UTC)) {
		t.Errorf("a returning heartbeat keeps its creation time: deadline %v", v.Deadline)
	}
}

// A 200 means the record is on disk: a restart finds every ping.
func TestPingsSurviveRestart(t *testing.T) {
	e := newEnv(t, basicConfig)
	const n = 200
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if code, body := e.do("POST", "/heartbeat/celery-beat", "ping"); code != 200 {
				t.Errorf("%d %s", code, body)
			}
		})
	}
	wg.Wait()
	commits, writes := e.store.Stats()
	if writes < n || commits >= writes {
		t.Errorf("%d writes in %d commits: concurrent pings should share commits", writes, commits)
	}
	e.reopen(basicConfig)
	e.want(map[string]float64{"heartbeat_pings_total{heartbeat=celery-beat,kind=success,team=web}": n})
}

func TestAPI(t *testing.T) {
	e := newEnv(t, basicConfig)
	if code, _ := e.do("POST", "/heartbeat/celery-beat/start?rid=x", ""); code != 200 {
		t.Fatal(code)
	}
	code, body := e.do("GET", "/api/v1/heartbeats", "")
	if code != 200 {
		t.Fatal(code)
	}
	var resp struct {
		Heartbeats []HeartbeatView `json:"heartbeats"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Heartbeats) != 3 || resp.Heartbeats[0].Name != "celery-beat" || resp.Heartbeats[0].State != StateRunning {
		t.Errorf("API = %s", body)
	}
	if resp.Heartbeats[1].Schedule != "30 2 * * *" || resp.Heartbeats[1].Timezone != "Europe/Berlin" {
		t.Errorf("schedule not shown: %+v", resp.Heartbeats[1])
	}
	if strings.Contains(body, "s3cret") {
		t.Error("the API must not show tokens")
	}
}

func TestStoreClosed(t *testing.T) {
	s, err := OpenStore(t.TempDir(), slog.New(slog.DiscardHandler), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-s.Put("a", []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-s.Put("b", []byte("2"), nil); !errors.Is(err, ErrStoreClosed) {
		t.Errorf("put after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func FuzzPingRoutes(f *testing.F) {
	dir := f.TempDir()
	store, err := OpenStore(dir, slog.New(slog.DiscardHandler), StoreOptions{})
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	var held holder
	hbs, err := NewHeartbeats(store, held.get, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	cfg, _ := config.Load([]byte("heartbeat_defaults: {auto_register: true, max_heartbeats: 50}\nheartbeats:\n  - {name: a, token: t}\n  - {name: b}\n"))
	held.apply(hbs, cfg)
	h := routes(hbs)
	for _, seed := range []string{"/heartbeat/a", "/heartbeat/b/start?rid=1", "/heartbeat/b/7", "/heartbeat/x/../../etc", "/heartbeat/b/fail?rid=%00"} {
		f.Add("POST", seed, "body", "Bearer t")
	}
	f.Fuzz(func(t *testing.T, method, target, body, auth string) {
		if !strings.HasPrefix(target, "/heartbeat/") {
			return
		}
		req, err := http.NewRequest(method, "http://x"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body.String())
		}
	})
}

// /metrics is gzipped when asked, and holds the registry's metrics and the
// heartbeats.

// names are the live heartbeats' names, sorted.
func (h *Heartbeats) names() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Sorted(maps.Keys(h.byName))
}
