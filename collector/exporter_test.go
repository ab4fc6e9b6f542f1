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
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/probe"
)

func TestReloaderKeepsConfigOnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewExporterMetrics(reg)
	good := config.LoadDefault()
	var fail bool
	var applied int
	r := NewReloader(func() (*config.Config, error) {
		if fail {
			return nil, errors.New("line 3: bad")
		}
		return good, nil
	}, func(*config.Config) error { applied++; return nil }, m, slog.New(slog.DiscardHandler))
	if err := r.Reload(); err != nil || r.Config() != good || applied != 1 {
		t.Fatalf("first load: %v", err)
	}
	if v := testutil.ToFloat64(m.reloadOK); v != 1 {
		t.Errorf("reload ok = %v", v)
	}
	if ts := testutil.ToFloat64(m.reloadTime); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("reload timestamp = %v", ts)
	}
	fail = true
	if err := r.Reload(); err == nil || r.Config() != good || applied != 1 {
		t.Errorf("a failed load keeps the config: %v", err)
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
	fail = false
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
	if rec.Code != 200 || testutil.ToFloat64(m.reloadOK) != 1 {
		t.Errorf("POST /-/reload: %d", rec.Code)
	}
}

func TestExporterMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewExporterMetrics(reg)
	m.ProbeDone("django", true)
	m.ProbeDone("django", false)
	m.ProbeDone("django", false)
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

func TestStatusPageAndConfig(t *testing.T) {
	e := newEnv(t, basicConfig)
	if code, _ := e.do("POST", "/heartbeat/celery-beat", "<script>alert(1)</script>"); code != 200 {
		t.Fatal(code)
	}
	hist := probe.NewHistory(5)
	hist.Add(&probe.Result{ID: 7, Target: "https://shop.example.com/", Module: "django", Start: time.Now(), Failures: []string{"status code 500, want any 2xx"}})
	page := &StatusPage{History: hist, Heartbeats: e.hbs.Views}
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	for _, want := range []string{"celery-beat", "nightly", "https://shop.example.com/", "status code 500", "logs?id=7", "&lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("the last message must be escaped")
	}
	rec = httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if rec.Code != 404 {
		t.Errorf("/nope: %d", rec.Code)
	}

	cfg, err := config.Load([]byte(basicConfig))
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	ConfigHandler(func() *config.Config { return cfg }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/config", nil))
	if strings.Contains(rec.Body.String(), "s3cret") || !strings.Contains(rec.Body.String(), "<secret>") {
		t.Errorf("/config must redact tokens:\n%s", rec.Body.String())
	}
}
