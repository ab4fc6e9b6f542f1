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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// testPKI is a CA and a server certificate for 127.0.0.1 with chosen expiry dates.
type testPKI struct {
	caFile     string
	caNotAfter time.Time
	leaf       tls.Certificate
	leafExpiry time.Time
}

func newTestPKI(t testing.TB, caLife, leafLife time.Duration) *testPKI {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "django_health_exporter test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLife),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "shop.test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafLife),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "shop.test"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testPKI{
		caFile:     caFile,
		caNotAfter: ca.NotAfter,
		leaf:       tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey},
		leafExpiry: leafTmpl.NotAfter,
	}
}

func (p *testPKI) server(t testing.TB, maxVersion uint16, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.leaf}, MaxVersion: maxVersion}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestTLSMetricsAndCertValidity(t *testing.T) {
	// The leaf expires in 10 days, the CA in a year.
	pki := newTestPKI(t, 365*24*time.Hour, 10*24*time.Hour)
	srv := pki.server(t, tls.VersionTLS13, shopPage)
	h := newHarness(t, mustConfig(t, `
modules:
  tls:
    http:
      tls_config: {ca_file: `+pki.caFile+`}
    checks:
      - {name: week, min_cert_validity: 7d}
      - {name: fortnight, min_cert_validity: 14d}
  untrusted: {}
`))
	s := h.probeURL(t, srv.URL, "tls")
	s.want(t, map[string]float64{
		"probe_success":                                 0, // the fortnight check fails
		"probe_http_ssl":                                1,
		"probe_ssl_earliest_cert_expiry":                float64(pki.leafExpiry.Unix()),
		"probe_ssl_last_chain_expiry_timestamp_seconds": float64(pki.leafExpiry.Unix()),
		"probe_tls_version_info{version=TLS 1.3}":       1,
		checkName("week", "min_cert_validity"):          1,
		checkName("fortnight", "min_cert_validity"):     0,
	})
	if s.series["probe_http_duration_seconds{phase=tls}"] <= 0 {
		t.Errorf("tls phase not measured: %v", s.series["probe_http_duration_seconds{phase=tls}"])
	}

	// Without the CA, verification fails: no answer, probe fails.
	s = h.probeURL(t, srv.URL, "untrusted")
	s.want(t, map[string]float64{"probe_success": 0, "probe_http_status_code": 0})
}

func TestTLSVersionLabel(t *testing.T) {
	pki := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	srv := pki.server(t, tls.VersionTLS12, "ok")
	h := newHarness(t, mustConfig(t, "modules:\n  tls:\n    http:\n      tls_config: {ca_file: "+pki.caFile+"}\n"))
	s := h.probeURL(t, srv.URL, "tls")
	s.want(t, map[string]float64{"probe_success": 1, "probe_tls_version_info{version=TLS 1.2}": 1})
}

// The earliest expiry is the first certificate to run out, the CA here.
func TestEarliestExpiryIsTheChainsFirst(t *testing.T) {
	pki := newTestPKI(t, 5*24*time.Hour, 90*24*time.Hour)
	srv := pki.server(t, 0, "ok")
	h := newHarness(t, mustConfig(t, "modules:\n  tls:\n    http:\n      tls_config: {ca_file: "+pki.caFile+"}\n"))
	s := h.probeURL(t, srv.URL, "tls")
	s.want(t, map[string]float64{
		"probe_ssl_earliest_cert_expiry":                float64(pki.caNotAfter.Unix()),
		"probe_ssl_last_chain_expiry_timestamp_seconds": float64(pki.caNotAfter.Unix()),
	})
}

func TestTLSInfoNil(t *testing.T) {
	if tlsInfo(nil) != nil {
		t.Error("no connection state, no TLS info")
	}
	if tlsVersionName(0x0999) != "unknown" {
		t.Error("unknown versions are labelled unknown")
	}
}

// A CA file rotated on disk is picked up without a reload, and a file
// that cannot be read keeps the working transport.
func TestCAFileRotation(t *testing.T) {
	old := tlsFileCheckInterval
	tlsFileCheckInterval = 0
	defer func() { tlsFileCheckInterval = old }()

	first := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	second := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	copyFile := func(from string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(caFile, b, 0o600); err != nil {
			t.Fatal(err)
		}
		// Make the change visible even within one mtime tick.
		later := time.Now().Add(time.Duration(len(b)) * time.Millisecond)
		_ = os.Chtimes(caFile, later, later)
	}
	copyFile(first.caFile)
	srv1 := first.server(t, 0, "one")
	srv2 := second.server(t, 0, "two")
	h := newHarness(t, mustConfig(t, "modules:\n  tls:\n    http:\n      tls_config: {ca_file: "+caFile+"}\n"))

	h.probeURL(t, srv1.URL, "tls").want(t, map[string]float64{"probe_success": 1})
	h.probeURL(t, srv2.URL, "tls").want(t, map[string]float64{"probe_success": 0})

	copyFile(second.caFile)
	h.probeURL(t, srv2.URL, "tls").want(t, map[string]float64{"probe_success": 1})
	h.probeURL(t, srv1.URL, "tls").want(t, map[string]float64{"probe_success": 0})

	if err := os.Remove(caFile); err != nil {
		t.Fatal(err)
	}
	h.probeURL(t, srv2.URL, "tls").want(t, map[string]float64{"probe_success": 1})
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// A certificate that fails verification (an unknown CA, expired, issued
// for another host) still gives its expiry, and the probe fails with
// reason tls: the certificate alerts do not go quiet when they matter.
func TestCertificateFactsWhenVerificationFails(t *testing.T) {
	good := newTestPKI(t, 365*24*time.Hour, 20*24*time.Hour)
	expired := newTestPKI(t, 365*24*time.Hour, -time.Hour)
	goodSrv := good.server(t, 0, "ok")
	expiredSrv := expired.server(t, 0, "ok")
	cfg := mustConfig(t, `
modules:
  trusted:
    http: {tls_config: {ca_file: `+good.caFile+`}}
  trusted_expired:
    http: {tls_config: {ca_file: `+expired.caFile+`}}
  untrusted: {}
targets:
  - {name: other-host, url: "`+goodSrv.URL+`/", hostname: other.test, module: trusted}
`)
	h := newHarness(t, cfg)
	for _, tc := range []struct {
		name   string
		query  url.Values
		expiry time.Time
	}{
		{"unknown CA", url.Values{"target": {goodSrv.URL}, "module": {"untrusted"}}, good.leafExpiry},
		{"expired", url.Values{"target": {expiredSrv.URL}, "module": {"trusted_expired"}}, expired.leafExpiry},
		{"another host's", url.Values{"target": {"other-host"}}, good.leafExpiry},
	} {
		s := h.probe(t, tc.query, nil)
		s.want(t, map[string]float64{
			"probe_success":                       0,
			"probe_failed_due_to{reason=tls}":     1,
			"probe_failed_due_to{reason=connect}": 0,
			"probe_http_ssl":                      0,
			"probe_ssl_earliest_cert_expiry":      float64(tc.expiry.Unix()),
		})
		s.absent(t, "probe_tls_version_info")
		if t.Failed() {
			t.Fatalf("%s certificate", tc.name)
		}
	}
	reliability.Record(t, "probes", "a certificate from an unknown CA, an expired one, one for another host",
		"the probe fails with reason tls and still exports the certificate's expiry")
}

// A target's hostname (and &hostname= on /probe) is the Host header and
// the TLS server name: one module serves every host name.
func TestHostnameSetsHostAndSNI(t *testing.T) {
	pki := newTestPKI(t, 365*24*time.Hour, 90*24*time.Hour)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host+" "+r.TLS.ServerName)
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.leaf}}
	srv.StartTLS()
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Host)
		mu.Unlock()
	}))
	defer plain.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  tls:
    http: {tls_config: {ca_file: `+pki.caFile+`}, headers: {Host: module.test}}
targets:
  - {name: shop, url: "`+srv.URL+`/", hostname: shop.test, module: tls}
  - {name: plain, url: "`+plain.URL+`/", hostname: "www.shop.test:8080"}
`))
	h.probeURL(t, "shop", "").want(t, map[string]float64{"probe_success": 1, "probe_http_ssl": 1})
	h.probe(t, url.Values{"target": {srv.URL}, "module": {"tls"}, "hostname": {"localhost"}}, nil).want(t, map[string]float64{"probe_success": 1})
	h.probeURL(t, "plain", "").want(t, map[string]float64{"probe_success": 1})
	// The plain target's module (the default django) also sends its debug
	// canary, under the target's Host too.
	want := []string{"shop.test shop.test", "localhost localhost", "www.shop.test:8080", "www.shop.test:8080"}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, want) {
		t.Errorf("Host and SNI seen: %q, want %q", seen, want)
	}
	if s := h.probe(t, url.Values{"target": {srv.URL}, "hostname": {"bad host/x"}}, nil); s.code != 400 {
		t.Errorf("an invalid hostname: %d", s.code)
	}
}
