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

package web

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
	dhetest "github.com/django-health/django_health_exporter/internal/testutil"
	"github.com/django-health/django_health_exporter/probe"
)

var discard = slog.New(slog.DiscardHandler)

const heartbeatConfig = `
heartbeats:
  - {name: celery-beat, interval: 1m, labels: {team: web}}
  - {name: nightly, schedule: "30 2 * * *", token: s3cret}
`

// server is the whole exporter's routes over a fresh store.
type server struct {
	reloader *Reloader
	metrics  *Metrics
	reg      *prometheus.Registry
	hbs      *collector.Heartbeats
	h        http.Handler
}

func newServer(t *testing.T, load func() (*config.Config, error)) *server {
	t.Helper()
	store, err := collector.OpenStore(t.TempDir(), discard, collector.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s := &server{reg: prometheus.NewRegistry()}
	s.metrics = NewMetrics(s.reg)
	s.reloader = NewReloader(load, "test", s.metrics, discard)
	if s.hbs, err = collector.NewHeartbeats(store, s.reloader.Config, s.reg, discard); err != nil {
		t.Fatal(err)
	}
	s.reloader.OnReload(s.hbs.Apply)
	if err := s.reloader.Reload(); err != nil {
		t.Fatal(err)
	}
	s.h = New(Options{Reloader: s.reloader, Heartbeats: s.hbs, Metrics: s.metrics, Gatherer: s.reg, HistoryLimit: 5, Logger: discard})
	return s
}

func (s *server) get(path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func loaded(yml string) func() (*config.Config, error) {
	return func() (*config.Config, error) { return config.Load([]byte(yml)) }
}

func TestReloaderKeepsStateOnError(t *testing.T) {
	good := config.LoadDefault()
	var fail atomic.Bool
	var applied atomic.Int32
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := NewReloader(func() (*config.Config, error) {
		if fail.Load() {
			return nil, errors.New("line 3: bad")
		}
		return good, nil
	}, "test", m, discard)
	r.OnReload(func(_ *config.Config, publish func()) { applied.Add(1); publish() })
	err := r.Reload()
	if cfg, _ := r.Running(); err != nil || r.Config() != good || cfg != good || applied.Load() != 1 {
		t.Fatalf("first load: %v", err)
	}
	if v := testutil.ToFloat64(m.reloadOK); v != 1 {
		t.Errorf("reload ok = %v", v)
	}
	if ts := testutil.ToFloat64(m.reloadTime); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("reload timestamp = %v", ts)
	}
	first := r.State()
	fail.Store(true)
	if err := r.Reload(); err == nil || r.State() != first || applied.Load() != 1 {
		t.Errorf("a failed load keeps the state: %v", err)
	}
	if f := r.LastFailure(); f == nil || !strings.Contains(f.Err.Error(), "line 3: bad") {
		t.Errorf("last failure = %+v", f)
	}
	if v := testutil.ToFloat64(m.reloadOK); v != 0 {
		t.Errorf("reload ok after failure = %v", v)
	}
	for method, want := range map[string]int{http.MethodGet: 405, http.MethodPost: 500} {
		rec := httptest.NewRecorder()
		r.Handler().ServeHTTP(rec, httptest.NewRequest(method, "/-/reload", nil))
		if rec.Code != want {
			t.Errorf("%s /-/reload: %d, want %d", method, rec.Code, want)
		}
	}
	fail.Store(false)
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
	if rec.Code != 200 || testutil.ToFloat64(m.reloadOK) != 1 || r.LastFailure() != nil {
		t.Errorf("POST /-/reload: %d", rec.Code)
	}
	if r.State() == first {
		t.Error("a reload swaps the state")
	}
}

// Reloads arriving while a slow one runs do not queue one behind another:
// they share a single reload that starts when the slow one ends.
func TestReloadsCoalesce(t *testing.T) {
	var loads atomic.Int32
	release := make(chan struct{})
	r := NewReloader(func() (*config.Config, error) {
		if loads.Add(1) == 2 {
			<-release // the second load is slow
		}
		return config.LoadDefault(), nil
	}, "test", NewMetrics(prometheus.NewRegistry()), discard)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { ; _ = r.Reload() }) // load 2, slow
	for loads.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	for range 20 {
		wg.Go(func() { ; _ = r.Reload() })
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 3 {
		t.Errorf("%d loads for 22 reloads, 20 of them during a slow one; want 3", n)
	}
	reliability.Record(t, "configuration", "20 reloads requested during a slow one", "coalesced into one more reload, no queue")
}

func TestExporterMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.ProbeDone(&probe.Result{Module: "django", Success: true})
	m.ProbeDone(&probe.Result{Module: "django"})
	m.ProbeDone(&probe.Result{Module: "django"})
	m.ProbeRefused(probe.RefusedNotAllowed)
	if v := testutil.ToFloat64(m.probes.WithLabelValues("django", "failure")); v != 2 {
		t.Errorf("failures = %v", v)
	}
	if v := testutil.ToFloat64(m.refused.WithLabelValues("not_allowed")); v != 1 {
		t.Errorf("refused = %v", v)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"django_health_exporter_build_info", "django_health_exporter_config_last_reload_successful",
		"django_health_exporter_config_last_reload_success_timestamp_seconds", "django_health_exporter_probes_total",
		"django_health_exporter_probe_refused_total"} {
		if !names[n] {
			t.Errorf("%s missing", n)
		}
	}
}

// /metrics has the registry's families and every heartbeat's, gzipped
// only when the scraper accepts gzip: "gzip;q=0" refuses it.
func TestMetricsHandlerNegotiatesGzip(t *testing.T) {
	s := newServer(t, loaded(heartbeatConfig))
	wants := []string{"django_health_exporter_build_info", `heartbeat_up{heartbeat="celery-beat",team="web"} 1`,
		"heartbeat_rejected_pings_total", "django_health_exporter_heartbeat_store_commits_total"}
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip, deflate", true},
		{"gzip;q=0", false},
		{"gzip;q=0, identity", false},
		{"gzip; q=0.000", false},
		{"GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"identity", false},
	} {
		rec := s.get("/metrics", "Accept-Encoding", tc.accept)
		var body io.Reader = rec.Body
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gzip)
			continue
		}
		if tc.gzip {
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		text, _ := io.ReadAll(body)
		for _, want := range wants {
			if !strings.Contains(string(text), want) {
				t.Errorf("Accept-Encoding %q: %q missing", tc.accept, want)
			}
		}
	}
}

func TestStatusPageConfigAndLogs(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer target.Close()
	cfgText := heartbeatConfig + "modules:\n  strict:\n    timeout: 3s\n"
	s := newServer(t, loaded(cfgText))
	req := httptest.NewRequest(http.MethodPost, "/heartbeat/celery-beat", strings.NewReader("<script>alert(1)</script>"))
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatal(rec.Code, rec.Body.String())
	}
	if rec := s.get("/probe?module=strict&target=" + target.URL); rec.Code != 200 || !strings.Contains(rec.Body.String(), "probe_success 0") {
		t.Fatalf("/probe: %d %s", rec.Code, rec.Body.String())
	}

	body := s.get("/").Body.String()
	for _, want := range []string{"celery-beat", "nightly", target.URL, "status code 500", "logs?id=", "&lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("the last message must be escaped")
	}
	if rec := s.get("/nope"); rec.Code != 404 {
		t.Errorf("/nope: %d", rec.Code)
	}

	// /logs shows the module as it was when the probe ran, after a
	// reload changed it.
	id := body[strings.Index(body, "logs?id=")+len("logs?id="):]
	id = id[:strings.IndexAny(id, `"&`)]
	s.reloader.load = loaded(heartbeatConfig + "modules:\n  strict:\n    timeout: 7s\n")
	if err := s.reloader.Reload(); err != nil {
		t.Fatal(err)
	}
	logs := s.get("/logs?id=" + id).Body.String()
	if !strings.Contains(logs, "status code 500, want any 2xx") || !strings.Contains(logs, "timeout: 3s") || strings.Contains(logs, "timeout: 7s") {
		t.Errorf("/logs?id=%s does not show the module the probe ran with:\n%s", id, logs)
	}
	for _, q := range []string{"", "?id=x", "?id=999999"} {
		if rec := s.get("/logs" + q); rec.Code == 200 {
			t.Errorf("/logs%s answered 200", q)
		}
	}

	if cfg := s.get("/config").Body.String(); strings.Contains(cfg, "s3cret") || !strings.Contains(cfg, "<secret>") || !strings.Contains(cfg, "timeout: 7s") {
		t.Errorf("/config must show the running config with tokens redacted:\n%s", cfg)
	}
}

func TestHistoryKeepsFailuresLonger(t *testing.T) {
	h := NewHistory(3, 0)
	h.Add(&probe.Result{ID: 1, Failures: []probe.Failure{{Reason: probe.ReasonStatus, Message: "status code 500"}}})
	for i := 2; i <= 6; i++ {
		h.Add(&probe.Result{ID: uint64(i), Success: true})
	}
	list := h.List()
	if len(list) != 4 {
		t.Fatalf("3 recent + 1 older failure, got %d", len(list))
	}
	if list[len(list)-1].ID != 1 || list[0].ID != 6 {
		t.Errorf("failure kept last, newest first: %+v", list)
	}
	if h.Get(1) == nil || h.Get(1).Failure() != "status code 500" || h.Get(2) != nil {
		t.Error("Get finds the kept probes only")
	}
}

// Whatever a target answers, what the history keeps is bounded: a huge
// redirect target, failure and health-check answer are cut in the kept
// copy, and the whole history stays within its byte budget.
func TestHistoryIsBoundedInBytes(t *testing.T) {
	huge := strings.Repeat("x", 8<<20)
	backends := make([]probe.Backend, 200, 300000) // a slice of a huge answer
	for i := range backends {
		backends[i] = probe.Backend{Name: fmt.Sprintf("b%d", i), Message: "working"}
	}
	h := NewHistory(100, 4<<20)
	for i := 1; i <= 150; i++ {
		r := &probe.Result{ID: uint64(i), Target: huge, HealthChecks: backends,
			Failures: []probe.Failure{{Reason: probe.ReasonRedirect, Message: "redirect to " + huge}}}
		h.Add(r)
	}
	if b := h.Bytes(); b > 4<<20 {
		t.Errorf("the history holds %d bytes, over its 4 MiB budget", b)
	}
	got := h.List()
	if len(got) == 0 || len(got[0].Target) > 2000 || len(got[0].Failures[0].Message) > 2000 || cap(got[0].HealthChecks) > 1000 {
		t.Errorf("a kept result is not bounded: target %d, failure %d, backends cap %d", len(got[0].Target), len(got[0].Failures[0].Message), cap(got[0].HealthChecks))
	}
	if got[0].ID != 150 {
		t.Errorf("the newest result goes first: %d", got[0].ID)
	}
}

func TestSDHandler(t *testing.T) {
	s := newServer(t, loaded(`
targets:
  - {name: shop-home, url: "https://shop.example.com/", labels: {team: web}}
  - {name: shop-health, url: "https://shop.example.com/ht/", module: django_health_check}
`))
	body := s.get("/sd").Body.String()
	for _, want := range []string{`"targets":["shop-home"]`, `"__param_module":"django"`, `"team":"web"`,
		`"__param_module":"django_health_check"`, `"__meta_django_url":"https://shop.example.com/ht/"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/sd lacks %s:\n%s", want, body)
		}
	}
}

// pprof is served only when asked for.
func TestPprofIsOptIn(t *testing.T) {
	s := newServer(t, loaded(heartbeatConfig))
	if rec := s.get("/debug/pprof/"); rec.Code == 200 && strings.Contains(rec.Body.String(), "goroutine") {
		t.Error("/debug/pprof/ is served without --web.enable-pprof")
	}
	s.h = New(Options{Reloader: s.reloader, Heartbeats: s.hbs, Metrics: s.metrics, Gatherer: s.reg, EnablePprof: true, Logger: discard})
	if rec := s.get("/debug/pprof/"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("/debug/pprof/ with --web.enable-pprof: %d", rec.Code)
	}
}

// The same through real probes: probing a target whose health-check
// answer lists 100,000 backends (4 MB) 30 times keeps the heap flat. The
// first 200 backends of each answer used to pin the whole answer's array.
func TestProbesOfHugeAnswersKeepMemoryFlat(t *testing.T) {
	var body strings.Builder
	body.WriteString("{")
	for i := range 100000 {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `"Backend%06dHealthCheck": "working"`, i)
	}
	body.WriteString("}")
	answer := body.String()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", strings.Repeat("/x", 1<<20)) // 2 MB header, kept in no log
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer target.Close()
	s := newServer(t, loaded("modules:\n  big:\n    timeout: 20s\n    http: {body_size_limit: 64MiB}\n    django: {health_check: django-health-check}\n"))
	s.h = New(Options{Reloader: s.reloader, Heartbeats: s.hbs, Metrics: s.metrics, Gatherer: s.reg, HistoryLimit: 100, Logger: discard})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range 30 {
		if rec := s.get("/probe?module=big&target=" + target.URL); rec.Code != 200 || !strings.Contains(rec.Body.String(), "probe_django_health_check_backends 200") {
			t.Fatalf("probe %d: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	grown := int64(heap()) - int64(before)
	runtime.KeepAlive(s) // the history is live, as in a running exporter
	reliability.Record(t, "probes", "30 probes of a 4 MB health-check answer listing 100,000 backends", fmt.Sprintf("the kept history grew the heap by %d MiB", grown>>20))
	t.Logf("the heap grew %d MiB", grown>>20)
	if grown > 16<<20 {
		t.Errorf("30 probes of a 4 MB answer grew the heap by %d MiB", grown>>20)
	}
}

// Secrets of modules and targets show nowhere: not in /config, /sd, the
// debug account, /logs, the status page or the exporter's log.
func TestSecretsAreRedactedEverywhere(t *testing.T) {
	var hits, queries []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.Header.Get("Authorization"))
		queries = append(queries, r.URL.RawQuery)
		_, _ = io.WriteString(w, "ok")
	}))
	defer target.Close()
	withCreds := strings.Replace(target.URL, "http://", "http://admin:hunter2@", 1) + "/"
	withToken := target.URL + "/?token=hunter2&api_key=hunter2&Secret=hunter2&page=1"
	var logs syncBuffer
	s := newServer(t, loaded(`
modules:
  secret:
    http:
      headers: {Authorization: "Bearer hunter2", X-Api-Key: hunter2}
      oauth2: {client_id: id, client_secret: x, token_url: "http://127.0.0.1:1/", endpoint_params: {audience: hunter2}}
  plain: {}
targets:
  - {name: creds, url: "`+withCreds+`", module: plain}
  - {name: tokens, url: "`+withToken+`", module: plain}
`))
	s.h = New(Options{Reloader: s.reloader, Heartbeats: s.hbs, Metrics: s.metrics, Gatherer: s.reg, HistoryLimit: 10,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	var pages []string
	for _, path := range []string{"/config", "/sd", "/probe?target=creds&debug=true", "/probe?target=" + withCreds + "&module=secret&debug=true",
		"/probe?target=tokens&debug=true", "/probe?target=" + url.QueryEscape(withToken) + "&debug=true"} {
		rec := s.get(path)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		pages = append(pages, rec.Body.String())
	}
	status := s.get("/").Body.String()
	pages = append(pages, status, logs.String())
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`logs\?id=(\d+)`).FindAllStringSubmatch(status, -1) {
		ids[m[1]] = true
	}
	if len(ids) != 4 {
		t.Fatalf("the status page links %d probes, want 4", len(ids))
	}
	for id := range ids {
		pages = append(pages, s.get("/logs?id="+id).Body.String())
	}
	for i, p := range pages {
		if strings.Contains(p, "hunter2") {
			t.Errorf("page %d shows a secret:\n%s", i, p)
		}
	}
	if hits[0] != "Basic YWRtaW46aHVudGVyMg==" {
		t.Errorf("the target's own credentials must still be sent: %q", hits[0])
	}
	if queries[2] != "token=hunter2&api_key=hunter2&Secret=hunter2&page=1" {
		t.Errorf("the target's own query must still be sent: %q", queries[2])
	}
	reliability.Record(t, "web", "secrets in module headers, oauth2 endpoint_params, target URLs' passwords and query tokens (?token=, ?api_key=)", "hidden in /config, /sd, the debug account, /logs, the status page and the log")
}

// syncBuffer is the exporter's log in a test.
type syncBuffer = dhetest.SyncBuffer

// The last failure of each target is pinned, for at most maxPins
// targets and within the byte budget: a flood of ad-hoc URLs that fail
// pushes the oldest pins out.
func TestPinnedFailuresAreBounded(t *testing.T) {
	h := NewHistory(5, 1<<20)
	for i := 1; i <= 3*maxPins; i++ {
		h.Add(&probe.Result{ID: uint64(i), Target: fmt.Sprintf("http://127.0.0.1/%d", i), Failures: []probe.Failure{{Reason: probe.ReasonStatus, Message: strings.Repeat("x", 1000)}}})
	}
	if len(h.pins) > maxPins || h.Bytes() > 1<<20 {
		t.Errorf("%d pins, %d bytes", len(h.pins), h.Bytes())
	}
	if h.Get(3*maxPins) == nil || h.Get(1) != nil {
		t.Error("the newest failure is kept, the oldest let go")
	}
}
