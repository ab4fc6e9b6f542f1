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
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

// Every endpoint of the route table, with the methods it takes and the
// answer to one it does not: a bad method on a ping route is a 405 and
// an invalid ping, /-/reload takes POST only (as the README says).
func TestRouteTable(t *testing.T) {
	s := newServer(t, loaded("heartbeat_defaults: {auto_register: true}\nheartbeats:\n  - {name: job, interval: 1h}\n"))
	for _, c := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/", 200, ""},
		{"GET", "/nope", 404, ""},
		{"GET", "/metrics", 200, ""},
		{"POST", "/metrics", 405, "GET, HEAD"},
		{"GET", "/-/healthy", 200, ""},
		{"HEAD", "/-/healthy", 200, ""},
		{"GET", "/-/ready", 200, ""},
		{"PUT", "/-/reload", 405, "POST"},
		{"GET", "/-/reload", 405, "POST"},
		{"POST", "/-/reload", 200, ""},
		{"GET", "/config", 200, ""},
		{"GET", "/sd", 200, ""},
		{"GET", "/logs", 400, ""}, // needs ?id=
		{"GET", "/heartbeats/job", 200, ""},
		{"GET", "/heartbeats/nope", 404, ""},
		{"GET", "/heartbeat/job", 200, ""},
		{"HEAD", "/heartbeat/job", 200, ""},
		{"POST", "/heartbeat/job/start", 200, ""},
		{"POST", "/heartbeat/job/0", 200, ""},
		{"PUT", "/heartbeat/job", 405, "GET, HEAD, POST"},
		{"DELETE", "/heartbeat/job/start", 405, "GET, HEAD, POST"},
		{"POST", "/heartbeat/job/a/b", 400, ""},
		{"POST", "/heartbeat/", 400, ""},
		{"POST", "/heartbeat/job/nope", 400, ""},
		{"GET", "/api/v1/heartbeats", 200, ""},
		{"POST", "/api/v1/heartbeats", 405, "GET, HEAD"},
		{"GET", "/api/v1/heartbeats/job", 200, ""},
		{"PATCH", "/api/v1/heartbeats/job", 405, "GET, HEAD, PUT, DELETE"},
		{"PUT", "/api/v1/heartbeats/worker-1", 201, ""},
		{"DELETE", "/api/v1/heartbeats/worker-1", 204, ""},
	} {
		var body *strings.Reader
		if c.method == "PUT" && strings.HasPrefix(c.path, "/api/") {
			body = strings.NewReader(`{"interval": "1m"}`)
		} else {
			body = strings.NewReader("")
		}
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, body))
		if rec.Code != c.code {
			t.Errorf("%s %s: %d, want %d (%s)", c.method, c.path, rec.Code, c.code, strings.TrimSpace(rec.Body.String()))
		}
		if got := rec.Header().Get("Allow"); c.allow != "" && got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	// The two bad methods and three bad paths under /heartbeat/ count.
	if n, err := testutil.GatherAndCount(s.reg, "heartbeat_rejected_pings_total"); err != nil || n == 0 {
		t.Fatalf("heartbeat_rejected_pings_total: %d %v", n, err)
	}
	mfs, _ := s.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "heartbeat_rejected_pings_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == "invalid" && m.GetCounter().GetValue() != 5 {
				t.Errorf("invalid pings counted: %v, want 5", m.GetCounter().GetValue())
			}
		}
	}
}

// A target that redirects into the exporter's own /probe is refused
// there (508, probe_refused_total{reason="loop"}), and the probe that
// followed the redirect fails with reason refused: one probe, not
// thousands nested until the timeout.
func TestProbeCannotProbeItself(t *testing.T) {
	s := newServer(t, loaded("modules:\n  django: {timeout: 5s}\n"))
	exporter := httptest.NewServer(s.h)
	defer exporter.Close()
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, exporter.URL+"/probe?target="+url.QueryEscape("http://"+r.Host+"/")+"&module=django", http.StatusFound)
	}))
	defer loop.Close()
	started := time.Now()
	resp, err := http.Get(exporter.URL + "/probe?target=" + url.QueryEscape(loop.URL+"/") + "&module=django")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), `probe_failed_due_to{reason="refused"} 1`) || !strings.Contains(string(body), "probe_success 0") {
		t.Errorf("the probe that reached /probe:\n%s", body)
	}
	if d := time.Since(started); d > 2*time.Second {
		t.Errorf("the loop took %v", d)
	}
	if got := testutil.ToFloat64(s.metrics.refused.WithLabelValues("loop")); got != 1 {
		t.Errorf("refused loops: %v, want 1", got)
	}
	reliability.Record(t, "probe", "a target redirecting into the exporter's own /probe", "refused at the first hop (508); the probe fails with reason refused")
}

// A target in an open maintenance window is still probed, and says so:
// probe_maintenance 1, django_health_exporter_maintenance_active 1, a
// notice on the status page and a mark on its row.
func TestMaintenanceOnProbesAndPage(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for patching", http.StatusServiceUnavailable)
	}))
	defer site.Close()
	s := newServer(t, loaded(`
targets:
  - {name: shop, url: "`+site.URL+`/"}
  - {name: blog, url: "`+site.URL+`/blog"}
maintenance:
  - {name: patching, schedule: "* * * * *", duration: 2m, targets: [shop]}
  - {name: later, schedule: "0 0 1 1 *", duration: 1m, targets: [blog]}
`))
	// Outside a window, no series (the mixin asks for == 1).
	for target, want := range map[string]bool{"shop": true, "blog": false} {
		body := s.get("/probe?target=" + target).Body.String()
		if strings.Contains(body, "probe_maintenance 1") != want || !strings.Contains(body, "probe_success 0") {
			t.Errorf("%s: want probe_maintenance 1 %v in\n%s", target, want, body)
		}
	}
	s.reg.MustRegister(MaintenanceCollector(s.reloader.Config, s.hbs.MaintenanceWindows))
	for window, want := range map[string]float64{"patching": 1, "later": 0} {
		if got := maintenanceActive(t, s, window); got != want {
			t.Errorf("maintenance_active{window=%q} = %v, want %v", window, got, want)
		}
	}
	page := s.get("/").Body.String()
	if !strings.Contains(page, `id="maintenance-patching"`) || !strings.Contains(page, "maintenance: patching") || strings.Contains(page, "maintenance: later") {
		t.Errorf("the status page does not show the open window:\n%s", page)
	}
}

// maintenanceActive is one window's django_health_exporter_maintenance_active.
func maintenanceActive(t *testing.T, s *server, window string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "django_health_exporter_maintenance_active" && m.GetLabel()[0].GetValue() == window {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no maintenance_active for %s", window)
	return 0
}

// A configuration that does not load at start says the exporter did not
// start; on a reload, that the running one is kept.
func TestStartupFailureSaysSo(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	fail := true
	r := NewReloader(func() (*config.Config, error) {
		if fail {
			return nil, errors.New("line 5: bad")
		}
		return config.LoadDefault(), nil
	}, "test", NewMetrics(prometheus.NewRegistry()), logger)
	if err := r.Reload(); err == nil || !strings.Contains(logs.String(), "the exporter did not start") || strings.Contains(logs.String(), "keeping the running one") {
		t.Errorf("at start: %v\n%s", err, logs.String())
	}
	fail = false
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := r.Reload(); err == nil || !strings.Contains(logs.String(), "keeping the running one") {
		t.Errorf("on a reload: %v\n%s", err, logs.String())
	}
}

// A window a deploy script opens through the API has the effects of the
// file's: probe_maintenance 1 for its targets, maintenance_active, the
// status page's notice; ending it takes them back.
func TestAdHocWindowActsAsTheFilesDo(t *testing.T) {
	s := newServer(t, loaded(`
targets:
  - {name: shop, url: "http://127.0.0.1:1/"}
  - {name: blog, url: "http://127.0.0.1:2/"}
`))
	s.reg.MustRegister(MaintenanceCollector(s.reloader.Config, s.hbs.MaintenanceWindows))
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/maintenance/deploy", strings.NewReader(`{"for": "30m", "targets": ["shop"]}`)))
	if rec.Code != 200 {
		t.Fatalf("opening the window: %d %s", rec.Code, rec.Body)
	}
	for target, want := range map[string]bool{"shop": true, "blog": false} {
		if body := s.get("/probe?target=" + target).Body.String(); strings.Contains(body, "probe_maintenance 1") != want {
			t.Errorf("%s: want probe_maintenance 1 %v in\n%s", target, want, body)
		}
	}
	if got := maintenanceActive(t, s, "deploy"); got != 1 {
		t.Errorf("maintenance_active{window=deploy} = %v, want 1", got)
	}
	if page := s.get("/").Body.String(); !strings.Contains(page, `id="maintenance-deploy"`) || !strings.Contains(page, "maintenance: deploy") {
		t.Errorf("the status page does not show the window:\n%s", page)
	}
	rec = httptest.NewRecorder()
	s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/maintenance/deploy", nil))
	if rec.Code != 200 {
		t.Fatalf("ending the window: %d %s", rec.Code, rec.Body)
	}
	if body := s.get("/probe?target=shop").Body.String(); strings.Contains(body, "probe_maintenance 1") {
		t.Errorf("the window ended and the probe still says maintenance:\n%s", body)
	}
	if got := maintenanceActive(t, s, "deploy"); got != 0 {
		t.Errorf("maintenance_active{window=deploy} = %v after the end, want 0", got)
	}
}
