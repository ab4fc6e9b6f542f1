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
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
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

// The HTTP client settings of prometheus/common (inline under http:) all
// reach the wire.
func TestHTTPClientConfigAuth(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization") + "|" + r.Header.Get("X-Api-Key")
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, mustConfig(t, `
modules:
  basic:
    http: {basic_auth: {username: prom, password: s3cret}}
  bearer:
    http: {authorization: {credentials: tok}}
  bearer_file:
    http: {bearer_token_file: `+tokenFile+`}
  headers:
    http:
      http_headers:
        X-Api-Key: {secrets: [key-1]}
`))
	for _, m := range []string{"basic", "bearer", "bearer_file", "headers"} {
		h.probeURL(t, srv.URL+"/"+m, m).want(t, map[string]float64{"probe_success": 1})
	}
	want := map[string]string{
		"/basic":       "Basic cHJvbTpzM2NyZXQ=|",
		"/bearer":      "Bearer tok|",
		"/bearer_file": "Bearer from-file|",
		"/headers":     "|key-1",
	}
	for path, w := range want {
		if seen[path] != w {
			t.Errorf("%s: server saw %q, want %q", path, seen[path], w)
		}
	}
}

// Credentials stay with the target's host: a redirect elsewhere gets
// neither basic auth nor sensitive http_headers (a session cookie here).
func TestCredentialsNotSentAcrossHosts(t *testing.T) {
	var got []string
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization")+r.Header.Get("Cookie")+r.Header.Get("X-Api-Key"))
		mu.Unlock()
		_, _ = io.WriteString(w, "elsewhere")
	}))
	defer other.Close()
	// Same port, another host name: localhost vs 127.0.0.1.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
	}))
	defer first.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  basic:
    http: {basic_auth: {username: prom, password: s3cret}}
  headers:
    http:
      http_headers:
        Cookie: {secrets: ["sessionid=s3cret"]}
  module_headers:
    http:
      headers: {X-Api-Key: s3cret, Authorization: Bearer s3cret, X-Trace: kept}
`))
	for _, m := range []string{"basic", "headers", "module_headers"} {
		reliability.Record(t, "probes", "redirect to another host with credentials in basic_auth, http_headers ("+m+")", "no credentials or secret header sent to the other host")
		h.probeURL(t, first.URL, m).want(t, map[string]float64{"probe_success": 1, "probe_http_redirects": 1})
	}
	for i, a := range got {
		if a != "" {
			t.Errorf("redirect %d to another host carried credentials %q", i, a)
		}
	}
}

func TestHTTPClientConfigProxy(t *testing.T) {
	var proxied []string
	var mu sync.Mutex
	target := staticServer(t, 200, "text/html", "through the proxy")
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.URL.String())
		mu.Unlock()
		u, _ := url.Parse(r.URL.Scheme + "://" + r.URL.Host)
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	h := newHarness(t, mustConfig(t, "modules:\n  viaproxy:\n    http: {proxy_url: '"+proxy.URL+"'}\n"))
	h.probeURL(t, target.URL+"/page", "viaproxy").want(t, map[string]float64{"probe_success": 1})
	if len(proxied) != 1 || proxied[0] != target.URL+"/page" {
		t.Errorf("proxy saw %v", proxied)
	}
}

func TestHTTP2AndMutualTLS(t *testing.T) {
	pki := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	// The client certificate is signed by the same test CA.
	clientPKI := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	dir := t.TempDir()
	certFile, keyFile := writeKeyPair(t, dir, clientPKI.leaf)
	clientCAs := x509.NewCertPool()
	caPEM, _ := os.ReadFile(clientPKI.caFile)
	clientCAs.AppendCertsFromPEM(caPEM)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.leaf}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	srv.StartTLS()
	defer srv.Close()

	h := newHarness(t, mustConfig(t, `
modules:
  mtls:
    http:
      tls_config: {ca_file: `+pki.caFile+`, cert_file: `+certFile+`, key_file: `+keyFile+`}
    checks: [{keyword: HTTP/2.0}]
  mtls_h1:
    http:
      enable_http2: false
      tls_config: {ca_file: `+pki.caFile+`, cert_file: `+certFile+`, key_file: `+keyFile+`}
  no_client_cert:
    http:
      tls_config: {ca_file: `+pki.caFile+`}
  insecure:
    http:
      tls_config: {insecure_skip_verify: true, cert_file: `+certFile+`, key_file: `+keyFile+`}
`))
	h.probeURL(t, srv.URL, "mtls").want(t, map[string]float64{"probe_success": 1, "probe_http_version": 2})
	h.probeURL(t, srv.URL, "mtls_h1").want(t, map[string]float64{"probe_success": 1, "probe_http_version": 1.1})
	h.probeURL(t, srv.URL, "no_client_cert").want(t, map[string]float64{"probe_success": 0})
	h.probeURL(t, srv.URL, "insecure").want(t, map[string]float64{"probe_success": 1, "probe_http_ssl": 1})
}

func writeKeyPair(t *testing.T, dir string, c tls.Certificate) (string, string) {
	t.Helper()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	var certPEM []byte
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pemBlock("CERTIFICATE", der)...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestOAuth2ClientCredentials(t *testing.T) {
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		user, pass, _ := r.BasicAuth()
		if user != "exporter" || pass != "client-secret" {
			http.Error(w, "bad client", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "granted", "token_type": "Bearer", "expires_in": 3600})
	}))
	defer tokenSrv.Close()
	var auth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_, _ = io.WriteString(w, "ok")
	}))
	defer api.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  oauth:
    http:
      oauth2: {client_id: exporter, client_secret: client-secret, token_url: "`+tokenSrv.URL+`"}
`))
	h.probeURL(t, api.URL, "oauth").want(t, map[string]float64{"probe_success": 1})
	if auth != "Bearer granted" {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestTransportRejectsSecretRefsAndUnreadableFiles(t *testing.T) {
	cfg := config.LoadDefault()
	mc := *cfg.Modules["django"]
	mc.HTTP.HTTPClientConfig.TLSConfig.CAFile = "/nonexistent/ca.pem"
	if _, err := newModule(&mc, "ua"); err == nil || !strings.Contains(err.Error(), "reading TLS file") {
		t.Errorf("unreadable ca_file: %v", err)
	}
	if _, err := secretReader("", "", "vault-key"); err == nil {
		t.Error("a secret reference is an error")
	}
}
