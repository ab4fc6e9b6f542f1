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
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// djangoSite answers / with its home page and every other path with its
// 404 page, and a Host it does not know with its 400 page (or with the
// home page, for ALLOWED_HOSTS = ['*']), as captured from Django.
func djangoSite(t *testing.T, home, notFound, badHost string, anyHost bool) *httptest.Server {
	t.Helper()
	fh, f404 := loadFixture(t, "testdata/django/"+home), loadFixture(t, "testdata/django/"+notFound)
	var f400 fixture
	if badHost != "" {
		f400 = loadFixture(t, "testdata/django/"+badHost)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := fh
		switch {
		case r.Host != strings.TrimPrefix(srv.URL, "http://") && !anyHost:
			f = f400
		case r.URL.Path != "/":
			f = f404
		}
		f.write(w)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const sideConfig = `
modules:
  no_canary:
    django: {debug_canary: false}
  canary:
    django: {debug_canary: true}
  hosts:
    django: {check_allowed_hosts: true}
`

// A DEBUG=True site whose home page answers 200 shows no DEBUG page; the
// canary's path that cannot exist gets Django's technical 404.
func TestDebugCanary(t *testing.T) {
	h := newHarness(t, mustConfig(t, sideConfig))
	debug := djangoSite(t, "home.http", "debug-404.http", "", true)
	prod := djangoSite(t, "home.http", "prod-404.http", "", true)
	h.probeURL(t, debug.URL, "no_canary").want(t, map[string]float64{"probe_success": 1, "probe_django_debug_enabled": 0})
	h.probeURL(t, debug.URL, "canary").want(t, map[string]float64{
		"probe_success": 0, "probe_django_debug_enabled": 1, "probe_failed_due_to{reason=debug_page}": 1,
	})
	res := h.obs.results[len(h.obs.results)-1]
	if res.Canary == nil || res.Canary.Passed || res.Canary.Status != 404 || !strings.Contains(res.Failure(), "a path that cannot exist") {
		t.Errorf("canary = %+v, failure %s", res.Canary, res.Failure())
	}
	h.probeURL(t, prod.URL, "canary").want(t, map[string]float64{"probe_success": 1, "probe_django_debug_enabled": 0})
	if res := h.obs.results[len(h.obs.results)-1]; res.Canary == nil || !res.Canary.Passed {
		t.Errorf("prod canary = %+v", res.Canary)
	}
}

// A forged Host must be refused: Django's 400 (DEBUG on or off) or a
// proxy's refusal passes; an answer fails with allowed_hosts_not_enforced.
func TestCheckAllowedHosts(t *testing.T) {
	h := newHarness(t, mustConfig(t, sideConfig))
	for _, tc := range []struct {
		site     *httptest.Server
		enforced float64
	}{
		{djangoSite(t, "home.http", "prod-404.http", "prod-disallowed-host.http", false), 1},
		{djangoSite(t, "home.http", "prod-404.http", "debug-disallowed-host.http", false), 1},
		{djangoSite(t, "home.http", "prod-404.http", "", true), 0}, // ALLOWED_HOSTS = ['*']
	} {
		s := h.probeURL(t, tc.site.URL, "hosts")
		s.want(t, map[string]float64{
			"probe_success":                                          tc.enforced,
			"probe_django_allowed_hosts_enforced":                    tc.enforced,
			"probe_failed_due_to{reason=allowed_hosts_not_enforced}": 1 - tc.enforced,
			"probe_django_disallowed_host":                           0, // the probe's own Host is fine
		})
	}
	if res := h.obs.results[len(h.obs.results)-1]; !strings.Contains(res.Failure(), "ALLOWED_HOSTS not enforced") {
		t.Errorf("failure = %s", res.Failure())
	}
}

// The canary asks a site at most once a minute, and keeps its answer: the
// default django module has it on, at the cost of one request a minute
// for a path that cannot exist.
func TestDebugCanaryAsksOnceAMinute(t *testing.T) {
	var canaries atomic.Int32
	fh, f404 := loadFixture(t, "testdata/django/home.http"), loadFixture(t, "testdata/django/debug-404.http")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := fh
		if r.URL.Path != "/" {
			canaries.Add(1)
			f = f404
		}
		f.write(w)
	}))
	defer srv.Close()
	h := newHarness(t, mustConfig(t, sideConfig))
	for range 4 {
		h.probeURL(t, srv.URL, "django").want(t, map[string]float64{
			"probe_success": 0, "probe_django_debug_enabled": 1, "probe_failed_due_to{reason=debug_page}": 1,
		})
	}
	if n := canaries.Load(); n != 1 {
		t.Errorf("4 probes asked the canary path %d times, want 1 (at most once a minute)", n)
	}
	res := h.obs.results[len(h.obs.results)-1]
	if res.Canary == nil || !strings.Contains(res.Canary.Detail, "at most once a minute") {
		t.Errorf("the kept answer does not say so: %+v", res.Canary)
	}
}
