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

package e2e

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// django.login against the real thing: the admin's login and the example
// shop's own LoginView, on every Django of the matrix, over HTTP and
// HTTPS with a hostname (gunicorn's own TLS, or a TLS proxy in front of
// runserver); a wrong password, a login page
// that moved and a CSRF cookie that expires at once each fail at their
// step; the password is nowhere the exporter shows or logs; and the
// logout leaves no session row behind.
func TestDjangoLogin(t *testing.T) {
	for _, v := range append([]djangoVersion{stableDjango}, newerDjangos(t)...) {
		t.Run("Django "+v.name, func(t *testing.T) {
			t.Parallel()
			testDjangoLogin(t, v)
		})
	}
}

// loginSites are the Djangos one version's login test probes.
type loginSites struct {
	plain, expired, tls *django
	password            string
	caFile, dir         string
}

func startLoginSites(t *testing.T, v djangoVersion) loginSites {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := loginSites{password: "pw-" + hex.EncodeToString(b[:]) + "-Zq9", dir: t.TempDir()}
	write := func(name, content string) string {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("password", s.password)
	write("wrong", s.password+"-not")
	hosts := "DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,shop.test"
	user := djangoOptions{user: "probe", password: s.password, env: []string{hosts}}
	s.plain = startDjangoWith(t, v, user)
	expired := user
	expired.env = []string{hosts, "DJANGO_CSRF_COOKIE_AGE=0"}
	s.expired = startDjangoWith(t, v, expired)
	withTLS := user
	withTLS.certFile, withTLS.keyFile, _ = writeCert(t, s.dir, "shop.test")
	s.caFile = withTLS.certFile
	if v.runserver {
		// runserver has no TLS: HTTPS ends at a proxy, as nginx would.
		withTLS.env = append(withTLS.env, "DJANGO_BEHIND_TLS_PROXY=1")
		s.tls = tlsProxy(t, startDjangoWith(t, v, djangoOptions{user: "probe", password: s.password, env: withTLS.env}), withTLS.certFile, withTLS.keyFile)
	} else {
		s.tls = startDjangoWith(t, v, withTLS)
	}
	return s
}

// tlsProxy puts a TLS-terminating reverse proxy in front of a plain HTTP
// Django, which it tells with X-Forwarded-Proto: https.
func tlsProxy(t *testing.T, site *django, certFile, keyFile string) *django {
	backend, err := url.Parse(site.url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backend)
		r.Out.Host = r.In.Host
		r.Out.Header.Set("X-Forwarded-Proto", "https")
	}}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(proxy)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &django{url: srv.URL, proc: site.proc, dbPath: site.dbPath}
}

func (s loginSites) config() string {
	cfg := fmt.Sprintf(`
modules:
  admin_login:
    django:
      login: {url: /admin/login/, username: probe, password_file: %[1]s/password, next: /admin/, expect: "Site administration"}
  shop_login:
    django:
      login: {url: /accounts/login/, username: probe, password_file: %[1]s/password, next: /account/, expect: "Your orders"}
  shop_stays:
    django:
      login: {url: /accounts/login/, username: probe, password_file: %[1]s/password, expect: "Your orders", logout_url: none}
  wrong_password:
    django:
      login: {url: /accounts/login/, username: probe, password_file: %[1]s/wrong, expect: "Your orders"}
  moved:
    django:
      login: {url: /accounts/signin/, username: probe, password_file: %[1]s/password, logout_url: none}
  shop_login_tls:
    http: {tls_config: {ca_file: %[2]s}}
    django:
      login: {url: /accounts/login/, username: probe, password_file: %[1]s/password, next: /account/, expect: "Your orders"}
  admin_login_tls:
    http: {tls_config: {ca_file: %[2]s}}
    django:
      login: {url: /admin/login/, username: probe, password_file: %[1]s/password, next: /admin/, expect: "Site administration"}
targets:
  - {name: admin, url: "%[3]s/", module: admin_login}
  - {name: shop, url: "%[3]s/", module: shop_login}
  - {name: stays, url: "%[3]s/", module: shop_stays}
  - {name: wrong, url: "%[3]s/", module: wrong_password}
  - {name: moved, url: "%[3]s/", module: moved}
  - {name: expired, url: "%[4]s/", module: shop_login}
  - {name: shop-tls, url: "%[5]s/", hostname: shop.test, module: shop_login_tls}
  - {name: admin-tls, url: "%[5]s/", hostname: shop.test, module: admin_login_tls}
`, s.dir, s.caFile, s.plain.url, s.expired.url, s.tls.url)
	return cfg
}

func testDjangoLogin(t *testing.T, v djangoVersion) {
	sites := startLoginSites(t, v)
	exp := startExporter(t, sites.config())
	cases := []struct {
		target string
		ok     bool
		// debug is what the debug account must say.
		debug string
	}{
		{"admin", true, "Login: logged in, landed on " + sites.plain.url + "/admin/"},
		{"shop", true, "Login: logged in, landed on " + sites.plain.url + "/account/"},
		{"wrong", false, "Login: FAILED at submit: the login form answered again (200): wrong username or password"},
		{"moved", false, "Login: FAILED at page: the login page /accounts/signin/ answered 404 (it moved?)"},
		{"expired", false, "Login: FAILED at submit: CSRF verification failed (403): the CSRF cookie did not come back"},
		{"shop-tls", true, "Login: logged in, landed on " + sites.tls.url + "/account/"},
		{"admin-tls", true, "Login: logged in, landed on " + sites.tls.url + "/admin/"},
	}
	var shown []string
	for _, tc := range cases {
		body := exp.probe(t, tc.target, "")
		want := map[string]float64{"probe_success": 0, "probe_django_login_success": 0, `probe_failed_due_to{reason="login"}`: 1}
		if tc.ok {
			want = map[string]float64{"probe_success": 1, "probe_django_login_success": 1}
		}
		for series, w := range want {
			if got, ok := metricValue(t, body, series); !ok || got != w {
				t.Errorf("Django %s, %s: %s = %v (present %v), want %v", v.name, tc.target, series, got, ok, w)
			}
		}
		_, debug := get(t, exp.url+"/probe?"+url.Values{"target": {tc.target}, "debug": {"true"}}.Encode())
		if !strings.Contains(debug, tc.debug) {
			t.Errorf("Django %s, %s: the debug account does not say %q:\n%s", v.name, tc.target, tc.debug, debug)
		}
		shown = append(shown, body, debug)
	}
	loginLeavesNoSessions(t, v, exp, sites)
	passwordShownNowhere(t, exp, sites.password, shown)
}

// loginLeavesNoSessions counts django_session rows over a few probes,
// with the logout and without it.
func loginLeavesNoSessions(t *testing.T, v djangoVersion, exp *exporter, sites loginSites) {
	const probes = 5
	count := func() int {
		out, err := runCmd("/usr/bin/python3", "-c",
			"import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from django_session').fetchone()[0])",
			sites.plain.dbPath)
		if err != nil {
			t.Fatalf("counting sessions: %v %s", err, out)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		return n
	}
	left := func(target string) int {
		before := count()
		for range probes {
			if body := exp.probe(t, target, ""); !strings.Contains(body, "probe_django_login_success 1") {
				t.Fatalf("Django %s, %s: the login failed:\n%s", v.name, target, grepLines(body, "probe_"))
			}
		}
		return count() - before
	}
	withLogout, without := left("shop"), left("stays")
	t.Logf("Django %s: session rows left by %d logins: %d with the logout, %d without (a 15 s probe: %d a day)",
		v.name, probes, withLogout, without, without*86400/15/probes)
	if withLogout != 0 || without != probes {
		t.Errorf("Django %s: %d logins left %d session rows with the logout (want 0) and %d without (want %d)",
			v.name, probes, withLogout, without, probes)
	}
}

// passwordShownNowhere looks for the password in every page the exporter
// serves about its probes and in its log.
func passwordShownNowhere(t *testing.T, exp *exporter, password string, shown []string) {
	for _, path := range []string{"/config", "/logs", "/", "/sd"} {
		_, body := get(t, exp.url+path)
		shown = append(shown, path+"\n"+body)
	}
	shown = append(shown, "the exporter's log\n"+exp.proc.output())
	for _, s := range shown {
		if strings.Contains(s, password) {
			first, _, _ := strings.Cut(s, "\n")
			t.Errorf("the password is shown (%s)", first)
		}
	}
}
