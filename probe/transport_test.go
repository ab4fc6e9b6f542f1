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
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	pconfig "github.com/prometheus/common/config"
)

// upstreamTransport is every setting prometheus/common gives the
// http.Transport of NewRoundTripperFromConfigWithContext, as its source
// writes it. When an upgrade of common changes one, this test fails: read
// the change, mirror it in newTransport (or say here why not), and update
// the table.
var upstreamTransport = map[string]string{
	"Proxy":                 "cfg.Proxy()",                 // same
	"ProxyConnectHeader":    "cfg.GetProxyConnectHeader()", // same
	"MaxIdleConns":          "20000",                       // no idle pool: keep-alives are off
	"MaxIdleConnsPerHost":   "1000",                        // likewise
	"IdleConnTimeout":       "opts.idleConnTimeout",        // likewise
	"DisableKeepAlives":     "!opts.keepAlivesEnabled",     // off: every probe measures connect and TLS
	"TLSClientConfig":       "tlsConfig",                   // same, built by common's NewTLSConfig
	"DisableCompression":    "true",                        // same
	"TLSHandshakeTimeout":   "10 * time.Second",            // same
	"ExpectContinueTimeout": "1 * time.Second",             // same
	"DialContext":           "dialContext",                 // ours enforces allow_targets; no conntrack tracing
	// Set after the literal when HTTP/2 is enabled:
	"Protocols": "&http.Protocols{}",                               // same, HTTP/1 and HTTP/2
	"HTTP2":     "&http.HTTP2Config{SendPingTimeout: time.Minute}", // same
}

// upstreamWrappers is the order common wraps the transport in; ours is
// the same without the legacy bearer_token (normalised into an
// authorization when the config loads), the User-Agent (the prober sets
// it) and the host wrapper (the prober sets Host on its request).
var upstreamWrappers = []string{
	"NewAuthorizationCredentialsRoundTripper", "NewAuthorizationCredentialsRoundTripper",
	"NewBasicAuthRoundTripper", "NewOAuth2RoundTripper", "sensitiveHeadersStripRT",
	"NewHeadersRoundTripper", "NewUserAgentRoundTripper", "NewHostRoundTripper",
}

func TestTransportFollowsCommon(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/prometheus/common").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "config", "http_config.go")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "NewRoundTripperFromConfigWithContext" {
			fn = d
		}
	}
	if fn == nil {
		t.Fatalf("%s: NewRoundTripperFromConfigWithContext is gone: review probe/transport.go against common", file)
	}
	src := func(n ast.Node) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, n)
		return b.String()
	}
	settings := map[string]string{}
	var wrappers []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if src(n.Type) == "http.Transport" {
				for _, e := range n.Elts {
					kv := e.(*ast.KeyValueExpr)
					settings[src(kv.Key)] = src(kv.Value)
				}
			}
		case *ast.AssignStmt:
			// rt.(*http.Transport).HTTP2 = ...; rt = NewXRoundTripper(..., rt)
			lhs := src(n.Lhs[0])
			if field, ok := strings.CutPrefix(lhs, "rt.(*http.Transport)."); ok {
				settings[field] = src(n.Rhs[0])
			}
			if lhs == "rt" {
				rhs := src(n.Rhs[0])
				rhs = strings.TrimPrefix(rhs, "&")
				wrappers = append(wrappers, rhs[:strings.IndexAny(rhs, "({")])
			}
		}
		return true
	})
	if !reflect.DeepEqual(settings, upstreamTransport) {
		t.Errorf("prometheus/common's transport settings changed (%s):\n got  %v\n want %v\nMirror the change in newTransport, then update upstreamTransport.", file, settings, upstreamTransport)
	}
	if !reflect.DeepEqual(wrappers, upstreamWrappers) {
		t.Errorf("prometheus/common wraps its transport differently now:\n got  %v\n want %v\nMirror it in newRoundTripper.", wrappers, upstreamWrappers)
	}

	// And ours has the settings marked "same".
	cfg := pconfig.DefaultHTTPClientConfig
	cfg.EnableHTTP2 = true
	tr := newTransport(cfg, nil)
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.ExpectContinueTimeout != time.Second || !tr.DisableCompression || !tr.DisableKeepAlives {
		t.Errorf("transport timeouts = %+v", tr)
	}
	if tr.HTTP2 == nil || tr.HTTP2.SendPingTimeout != time.Minute || tr.Protocols == nil || !tr.Protocols.HTTP2() || !tr.Protocols.HTTP1() {
		t.Errorf("HTTP/2 settings = %+v %+v", tr.HTTP2, tr.Protocols)
	}
	if tr.DialContext == nil {
		t.Error("the dialer must be set")
	}
	cfg.ProxyFromEnvironment = true
	if newTransport(cfg, nil).Proxy == nil {
		t.Error("proxy_from_environment is not used")
	}
}
