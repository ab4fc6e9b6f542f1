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
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pconfig "github.com/prometheus/common/config"
)

// tlsFileCheckInterval is how often a module looks whether its TLS files
// (ca_file, cert_file, key_file) changed on disk.
var tlsFileCheckInterval = 30 * time.Second

// moduleTransport is a module's round tripper, built once from
// prometheus/common's HTTPClientConfig with keep-alives off, so every
// probe opens a new connection.
//
// It is put together from common's exported parts (TLS config, proxy
// settings, the authorization, basic auth, OAuth2 and header round
// trippers) rather than with NewRoundTripperFromConfig, which wraps every
// dial in go-conntrack's x/net/trace event log: measured with make bench,
// that cost about 100us of CPU per probe, a tenth of a whole probe.
//
// The TLS files are read when it is built and given to common as inline
// PEM; common's own round tripper re-reads and hashes the CA file on every
// request to notice a rotation. Rotation is noticed here instead, by
// looking at the files' size and modification time at most every 30s.
type moduleTransport struct {
	cfg   pconfig.HTTPClientConfig
	files []string

	rt      atomic.Pointer[roundTrippers]
	checked atomic.Int64 // unix nanoseconds of the last look at the files
	mu      sync.Mutex   // serialises rebuilds
	stamp   string
}

func newModuleTransport(cfg pconfig.HTTPClientConfig) (*moduleTransport, error) {
	t := &moduleTransport{cfg: cfg}
	for _, f := range []string{cfg.TLSConfig.CAFile, cfg.TLSConfig.CertFile, cfg.TLSConfig.KeyFile} {
		if f != "" {
			t.files = append(t.files, f)
		}
	}
	if err := t.build(); err != nil {
		return nil, err
	}
	t.checked.Store(time.Now().UnixNano())
	return t, nil
}

// build reads the TLS files and builds the round tripper.
func (t *moduleTransport) build() error {
	stamp := fileStamp(t.files)
	cfg := t.cfg
	tc := cfg.TLSConfig
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading TLS file: %w", err)
		}
		return string(b), nil
	}
	var err error
	if tc.CAFile != "" {
		if tc.CA, err = read(tc.CAFile); err != nil {
			return err
		}
		tc.CAFile = ""
	}
	if tc.CertFile != "" {
		if tc.Cert, err = read(tc.CertFile); err != nil {
			return err
		}
		tc.CertFile = ""
	}
	if tc.KeyFile != "" {
		key, err := read(tc.KeyFile)
		if err != nil {
			return err
		}
		tc.Key, tc.KeyFile = pconfig.Secret(key), ""
	}
	cfg.TLSConfig = tc
	rt, err := newRoundTripper(cfg)
	if err != nil {
		return err
	}
	t.rt.Store(rt)
	t.stamp = stamp
	return nil
}

// roundTrippers are a module's two ways of sending: the usual one, and one
// whose TLS server name (SNI) a probe may set, for a target's hostname.
// The second does the TLS handshake itself (Go's transport takes the
// server name from the URL), so probes without a hostname keep Go's own.
type roundTrippers struct {
	plain, sni http.RoundTripper
	// assets is plain with keep-alives on: a probe's static assets share
	// connections (a new TLS handshake for each was most of their cost).
	// Up to 64 idle connections a host stay open between probes. Assets
	// of a probe that names a hostname go through sni, one
	// connection each: a pooled connection would keep another probe's
	// server name.
	assets http.RoundTripper
}

// newRoundTripper builds what common's NewRoundTripperFromConfig builds,
// in the same order, minus connection tracing and the User-Agent wrapper
// (the prober sets the header on its request). TestTransportFollowsCommon
// reads common's source and fails when its settings or its order change.
func newRoundTripper(cfg pconfig.HTTPClientConfig) (*roundTrippers, error) {
	tlsConfig, err := pconfig.NewTLSConfig(&cfg.TLSConfig)
	if err != nil {
		return nil, err
	}
	plain, err := wrap(cfg, newTransport(cfg, tlsConfig))
	if err != nil {
		return nil, err
	}
	sniTransport := newTransport(cfg, tlsConfig)
	sniTransport.DialTLSContext = dialTLS(tlsConfig, cfg.EnableHTTP2)
	sni, err := wrap(cfg, sniTransport)
	if err != nil {
		return nil, err
	}
	pooled := newTransport(cfg, tlsConfig)
	pooled.DisableKeepAlives, pooled.MaxIdleConnsPerHost, pooled.IdleConnTimeout = false, 64, 10*time.Second
	assets, err := wrap(cfg, pooled)
	if err != nil {
		return nil, err
	}
	return &roundTrippers{plain: plain, sni: sni, assets: assets}, nil
}

// wrap puts common's authentication and header round trippers around a
// transport, in common's order.
func wrap(cfg pconfig.HTTPClientConfig, transport *http.Transport) (http.RoundTripper, error) {
	var rt http.RoundTripper = transport
	if a := cfg.Authorization; a != nil {
		cred, err := secretReader(a.Credentials, a.CredentialsFile, a.CredentialsRef)
		if err != nil {
			return nil, fmt.Errorf("authorization: %w", err)
		}
		rt = pconfig.NewAuthorizationCredentialsRoundTripper(a.Type, cred, rt)
	}
	if b := cfg.BasicAuth; b != nil {
		user, err := secretReader(pconfig.Secret(b.Username), b.UsernameFile, b.UsernameRef)
		if err != nil {
			return nil, fmt.Errorf("basic_auth: %w", err)
		}
		pass, err := secretReader(b.Password, b.PasswordFile, b.PasswordRef)
		if err != nil {
			return nil, fmt.Errorf("basic_auth: %w", err)
		}
		rt = pconfig.NewBasicAuthRoundTripper(user, pass, rt)
	}
	if o := cfg.OAuth2; o != nil {
		inline, file, ref := o.ClientSecret, o.ClientSecretFile, o.ClientSecretRef
		if o.GrantType == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			inline, file, ref = o.ClientCertificateKey, o.ClientCertificateKeyFile, o.ClientCertificateKeyRef
		}
		cred, err := secretReader(inline, file, ref)
		if err != nil {
			return nil, fmt.Errorf("oauth2: %w", err)
		}
		rt = pconfig.NewOAuth2RoundTripper(cred, o, rt)
	}
	if cfg.HTTPHeaders != nil {
		if cfg.FollowRedirects {
			rt = stripOnCrossHostRedirect{next: rt}
		}
		rt = pconfig.NewHeadersRoundTripper(cfg.HTTPHeaders, rt)
	}
	return rt, nil
}

// serverNameKey carries a probe's TLS server name to dialTLS.
type serverNameKey struct{}

func withServerName(ctx context.Context, name string) context.Context {
	if name == "" {
		return ctx
	}
	if host, _, err := net.SplitHostPort(name); err == nil {
		name = host
	}
	return context.WithValue(ctx, serverNameKey{}, strings.TrimSuffix(name, "."))
}

// dialTLS connects (through guardedDial) and does the TLS handshake with
// the server name the probe asked for, reporting the handshake to the
// probe's trace as Go's transport does.
func dialTLS(base *tls.Config, http2 bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := guardedDial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := base.Clone()
		if name, ok := ctx.Value(serverNameKey{}).(string); ok {
			cfg.ServerName = name
		} else if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		cfg.NextProtos = []string{"http/1.1"}
		if http2 {
			cfg.NextProtos = []string{"h2", "http/1.1"}
		}
		tc := tls.Client(conn, cfg)
		trace := httptrace.ContextClientTrace(ctx)
		if trace != nil && trace.TLSHandshakeStart != nil {
			trace.TLSHandshakeStart()
		}
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second) // common's TLSHandshakeTimeout
		err = tc.HandshakeContext(hctx)
		cancel()
		if trace != nil && trace.TLSHandshakeDone != nil {
			trace.TLSHandshakeDone(tc.ConnectionState(), err)
		}
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tc, nil
	}
}

// newTransport is common's http.Transport with keep-alives off (every
// probe opens a new connection, so the idle-pool settings do not apply)
// and a dialer that enforces allow_targets.
func newTransport(cfg pconfig.HTTPClientConfig, tlsConfig *tls.Config) *http.Transport {
	t := &http.Transport{
		Proxy:                 cfg.Proxy(),
		ProxyConnectHeader:    cfg.GetProxyConnectHeader(),
		DisableKeepAlives:     true,
		TLSClientConfig:       tlsConfig,
		DisableCompression:    true, // the prober asks for and decodes compression itself
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DialContext:           guardedDial,
	}
	if cfg.EnableHTTP2 {
		t.Protocols = new(http.Protocols)
		t.Protocols.SetHTTP1(true)
		t.Protocols.SetHTTP2(true)
		t.HTTP2 = &http.HTTP2Config{SendPingTimeout: time.Minute}
	}
	return t
}

// secretReader is common's toSecret without a secret manager.
func secretReader(inline pconfig.Secret, file, ref string) (pconfig.SecretReader, error) {
	switch {
	case ref != "":
		return nil, fmt.Errorf("secret references (%q) need a secret manager, which this exporter has not: use a file", ref)
	case file != "":
		return pconfig.NewFileSecret(file), nil
	case inline != "":
		return pconfig.NewInlineSecret(string(inline)), nil
	}
	return nil, nil
}

// sensitiveOnRedirect are the headers http_headers may carry that must not
// follow a redirect to another host (common strips the same ones).
var sensitiveOnRedirect = []string{"Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization", "Proxy-Authenticate"}

// stripOnCrossHostRedirect removes sensitive headers from a request that
// a redirect sends to a host other than the first one or its subdomains.
type stripOnCrossHostRedirect struct{ next http.RoundTripper }

func (s stripOnCrossHostRedirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if crossHostRedirect(req) {
		req = req.Clone(req.Context())
		for _, h := range sensitiveOnRedirect {
			req.Header.Del(h)
		}
	}
	return s.next.RoundTrip(req)
}

func crossHostRedirect(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	if first == req {
		return false
	}
	host, orig := strings.ToLower(req.URL.Hostname()), strings.ToLower(first.URL.Hostname())
	return host != orig && !strings.HasSuffix(host, "."+orig)
}

// assetRT is the round tripper of a probe's static assets: pooled
// connections, or (for a probe with a hostname) sni's.
func (t *moduleTransport) assetRT(sni bool) http.RoundTripper {
	t.maybeRebuild()
	if rts := t.rt.Load(); !sni {
		return rts.assets
	} else {
		return rts.sni
	}
}

// RoundTrip sends a request on a new connection.
func (t *moduleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.maybeRebuild()
	rts := t.rt.Load()
	if _, ok := req.Context().Value(serverNameKey{}).(string); ok {
		return rts.sni.RoundTrip(req)
	}
	return rts.plain.RoundTrip(req)
}

// maybeRebuild rebuilds the round tripper when a TLS file changed. A file
// that cannot be read keeps the working round tripper.
func (t *moduleTransport) maybeRebuild() {
	if len(t.files) == 0 {
		return
	}
	now := time.Now().UnixNano()
	last := t.checked.Load()
	if now-last < int64(tlsFileCheckInterval) || !t.checked.CompareAndSwap(last, now) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if fileStamp(t.files) != t.stamp {
		_ = t.build()
	}
}

// fileStamp identifies the versions of files by size and modification time.
func fileStamp(files []string) string {
	var b strings.Builder
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
		} else {
			fmt.Fprintf(&b, "%s:missing;", f)
		}
	}
	return b.String()
}
