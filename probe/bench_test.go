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
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// The benchmarks here share one HTTPS page and differ only in the client,
// so their difference is the probe's own cost: go test -bench . ./probe
// (make bench compares whole processes with blackbox_exporter).

func benchServer(b *testing.B) (*httptest.Server, *testPKI) {
	pki := newTestPKI(b, 24*time.Hour, 24*time.Hour)
	page := strings.Repeat("<li>Espresso beans</li>\n", 850) + "Acme Shop Add to cart"
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(page))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.leaf}}
	srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return srv, pki
}

// BenchmarkBareClient is the floor: connection, handshake, body read.
func BenchmarkBareClient(b *testing.B) {
	srv, pki := benchServer(b)
	pem, _ := os.ReadFile(pki.caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// benchProbe is the /probe handler with make bench's module (status, two
// keywords, a forbidden regex; no Django detectors), and its query.
func benchProbe(b *testing.B) (*harness, url.Values) {
	srv, pki := benchServer(b)
	h := newHarness(b, mustConfig(b, `
modules:
  bench:
    http: {tls_config: {ca_file: `+pki.caFile+`}}
    checks: [{keyword: Acme Shop}, {keyword: Add to cart}, {forbid_regex: Traceback}]
    django: {detect_debug: false, detect_disallowed_host: false, health_check: none}
`))
	return h, url.Values{"target": {srv.URL}, "module": {"bench"}}
}

// BenchmarkProbeHTTPS runs the /probe handler: probe, checks and answer.
func BenchmarkProbeHTTPS(b *testing.B) {
	h, q := benchProbe(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/probe?"+q.Encode(), nil)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), "\nprobe_success 1\n") {
			b.Fatal(rec.Body.String())
		}
	}
}

// BenchmarkCompact is what keeping a probe for /logs and the status page
// costs on top of the probe: the bounded copy and its size.
func BenchmarkCompact(b *testing.B) {
	h, q := benchProbe(b)
	h.handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/probe?"+q.Encode(), nil))
	r := h.obs.results[0]
	b.ReportAllocs()
	for b.Loop() {
		c := r.Compact()
		_ = c.Size()
	}
}
