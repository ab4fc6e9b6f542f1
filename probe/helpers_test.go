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

package probe

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/config"
)

// fixture is a captured HTTP response (testdata/django/*.http).
type fixture struct {
	status int
	header http.Header
	body   []byte
}

func loadFixture(t testing.TB, path string) fixture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fixture{status: resp.StatusCode, header: resp.Header, body: body}
}

// serveFixture answers every request with the captured response, as
// Django did.
func serveFixture(t testing.TB, f fixture) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { f.write(w) }))
	t.Cleanup(srv.Close)
	return srv
}

// write answers with the captured response: its status, headers (but
// those of the connection and the length) and body.
func (f fixture) write(w http.ResponseWriter) {
	for k, vs := range f.header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection", "Date":
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

// staticServer answers with a fixed status, content type and body.
func staticServer(t testing.TB, status int, contentType, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func mustConfig(t testing.TB, yml string) *config.Config {
	t.Helper()
	c, err := config.Load([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// observer records what the handler reports.
type observer struct {
	mu      sync.Mutex
	done    map[string]int
	refused map[string]int
	results []*Result
}

func (o *observer) ProbeDone(r *Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done == nil {
		o.done = map[string]int{}
	}
	key := r.Module + "/failure"
	if r.Success {
		key = r.Module + "/success"
	}
	o.done[key]++
	o.results = append(o.results, r)
}

func (o *observer) ProbeRefused(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refused == nil {
		o.refused = map[string]int{}
	}
	o.refused[reason]++
}

type harness struct {
	handler *Handler
	obs     *observer
}

func newHarness(t testing.TB, cfg *config.Config) *harness {
	t.Helper()
	p, err := NewProber(cfg, "django_health_exporter/test")
	if err != nil {
		t.Fatal(err)
	}
	obs := &observer{}
	return &harness{obs: obs, handler: &Handler{
		Running:       func() (*config.Config, *Prober) { return cfg, p },
		TimeoutOffset: 500 * time.Millisecond,
		Observer:      obs,
	}}
}

// scrape is one /probe answer.
type scrape struct {
	code   int
	body   string
	series map[string]float64
}

func (h *harness) probe(t testing.TB, query url.Values, header http.Header) scrape {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/probe?"+query.Encode(), nil)
	maps.Copy(req.Header, header)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	s := scrape{code: rec.Code, body: rec.Body.String(), series: map[string]float64{}}
	if rec.Code != http.StatusOK || query.Get("debug") != "" {
		return s
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(s.body))
	if err != nil {
		t.Fatalf("invalid exposition: %v\n%s", err, s.body)
	}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			s.series[key] = m.GetGauge().GetValue()
		}
	}
	return s
}

func (h *harness) probeURL(t testing.TB, target, module string) scrape {
	t.Helper()
	q := url.Values{"target": {target}}
	if module != "" {
		q.Set("module", module)
	}
	return h.probe(t, q, nil)
}

// want asserts series values; a NaN-free map of key -> value. A reason
// of probe_failed_due_to and probe_maintenance have no series at 0: a
// missing one is 0.
func (s scrape) want(t testing.TB, expect map[string]float64) {
	t.Helper()
	for k, v := range expect {
		got, ok := s.series[k]
		if !ok && v == 0 && (strings.HasPrefix(k, "probe_failed_due_to{") || k == "probe_maintenance") {
			continue
		}
		if !ok {
			t.Errorf("series %s missing; have:\n%s", k, s.keys())
			continue
		}
		if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}

func (s scrape) absent(t testing.TB, prefixes ...string) {
	t.Helper()
	for k := range s.series {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				t.Errorf("series %s should be absent", k)
			}
		}
	}
}

func (s scrape) keys() string {
	keys := make([]string, 0, len(s.series))
	for k := range s.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}
