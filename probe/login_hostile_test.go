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
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

const hostilePassword = "Pa55/word+Secret"

// loginSite is a stand-in of Django's login flow whose answer to the
// form is landing(w, r), and whose login page may set extra cookies.
func loginSite(t *testing.T, extraCookies int, landing http.HandlerFunc) *httptest.Server {
	t.Helper()
	filler := strings.Repeat("v", 3300)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/", func(w http.ResponseWriter, _ *http.Request) {
		for i := range extraCookies {
			w.Header().Add("Set-Cookie", fmt.Sprintf("c%d=%s", i, filler))
		}
		w.Header().Add("Set-Cookie", "csrftoken=tok123; Path=/")
		fmt.Fprint(w, `<form><input type="hidden" name="csrfmiddlewaretoken" value="tok123"></form>`)
	})
	mux.HandleFunc("POST /login/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sessionid=sess456; Path=/")
		landing(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func loginHarness(t *testing.T, extra string) *harness {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(hostilePassword), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load([]byte(fmt.Sprintf(`modules:
  login:
    timeout: 1s
%s    django:
      login: {url: /login/, username: probe, password_file: %s, expect: Welcome, logout_url: none}
`, extra, pw)))
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, cfg)
}

// A login that lands on another host sends that host none of the site's
// secrets: basic_auth, a secret header (X-Api-Key) and the session
// cookie all went along before.
func TestLoginKeepsSecretsOnItsHost(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		fmt.Fprint(w, "Welcome")
	}))
	other.Listener.Close()
	other.Listener = l
	other.Start()
	defer other.Close()
	site := loginSite(t, 0, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing/", http.StatusFound)
	})
	h := loginHarness(t, "    http:\n      basic_auth: {username: u, password: basicpw}\n      headers: {X-Api-Key: key789}\n")
	h.probeURL(t, site.URL+"/", "login")
	mu.Lock()
	defer mu.Unlock()
	if seen == nil {
		t.Fatal("the landing host was never asked: the test saw nothing")
	}
	for _, name := range []string{"Authorization", "X-Api-Key", "Cookie"} {
		if v := seen.Get(name); v != "" {
			t.Errorf("the other host got %s: %s", name, v)
		}
	}
	reliability.Record(t, "login", "the login lands on another host (basic_auth, X-Api-Key, session cookie)", "none of them sent there")
}

// 2,900 cookies of 3.3 KB on the login page: the probe keeps its timeout.
// It ran 8.7 s for a 1 s timeout (a quadratic cookie jar).
func TestLoginWithThousandsOfCookiesKeepsItsTimeout(t *testing.T) {
	site := loginSite(t, 2900, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/home/", http.StatusFound)
	})
	h := loginHarness(t, "")
	start := time.Now()
	h.probeURL(t, site.URL+"/", "login")
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("a 1 s login probe took %s", took)
	}
	reliability.Record(t, "login", "a login page that sets 2,900 cookies of 3.3 KB", "the jar keeps 32; the probe keeps its 1 s timeout")
}

// A site that echoes the password into the URL after login: it appears
// in no text the probe shows or logs.
func TestLoginNeverShowsAnEchoedPassword(t *testing.T) {
	for _, where := range []string{"/search/?q=" + url.QueryEscape(hostilePassword), "/users/" + url.PathEscape(hostilePassword) + "/"} {
		site := loginSite(t, 0, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, where, http.StatusFound) // the landing answers 404
		})
		h := loginHarness(t, "")
		debug := h.probe(t, url.Values{"target": {site.URL + "/"}, "module": {"login"}, "debug": {"true"}}, nil)
		metrics := h.probeURL(t, site.URL+"/", "login")
		texts := debug.body + metrics.body
		h.obs.mu.Lock()
		for _, r := range h.obs.results {
			texts += fmt.Sprintf("%+v %+v", r, *r.Login)
			for _, rec := range r.Log {
				texts += rec.Message
				rec.Attrs(func(a slog.Attr) bool { texts += " " + a.String(); return true })
			}
		}
		h.obs.mu.Unlock()
		for _, form := range []string{hostilePassword, url.QueryEscape(hostilePassword), url.PathEscape(hostilePassword)} {
			if strings.Contains(texts, form) {
				t.Errorf("redirected to %s: the password (%s) is shown", where, form)
			}
		}
		if !strings.Contains(debug.body, "<secret>") {
			t.Errorf("redirected to %s: the debug account does not say where it landed:\n%s", where, debug.body)
		}
	}
	reliability.Record(t, "login", "the site echoes the password in the URL after login", "shown nowhere: <secret> in its place")
}
