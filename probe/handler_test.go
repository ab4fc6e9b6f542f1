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
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

func TestRefusals(t *testing.T) {
	h := newHarness(t, mustConfig(t, "allow_targets: ['*.example.com', '10.0.0.0/8']\n"))
	for _, tc := range []struct {
		query  url.Values
		header http.Header
		code   int
		reason string
	}{
		{url.Values{}, nil, 400, RefusedInvalidTarget},
		{url.Values{"target": {"ftp://x.example.com/"}}, nil, 400, RefusedInvalidTarget},
		{url.Values{"target": {"http://"}}, nil, 400, RefusedInvalidTarget},
		{url.Values{"target": {"http://user:pw@shop.example.com/"}}, nil, 400, RefusedInvalidTarget},
		{url.Values{"target": {"http://shop.example.com/"}, "module": {"nope"}}, nil, 400, RefusedUnknownModule},
		{url.Values{"target": {"http://shop.example.com/"}}, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"soon"}}, 400, RefusedBadTimeout},
		{url.Values{"target": {"http://169.254.169.254/latest/meta-data/"}}, nil, 403, RefusedNotAllowed},
		{url.Values{"target": {"http://127.0.0.1:9/"}}, nil, 403, RefusedNotAllowed},
		{url.Values{"target": {"http://localhost:9/"}}, nil, 403, RefusedNotAllowed},
	} {
		s := h.probe(t, tc.query, tc.header)
		if s.code != tc.code {
			t.Errorf("%v: code %d, want %d (%s)", tc.query, s.code, tc.code, strings.TrimSpace(s.body))
		}
	}
	want := map[string]int{RefusedInvalidTarget: 4, RefusedUnknownModule: 1, RefusedBadTimeout: 1, RefusedNotAllowed: 3}
	for reason, n := range want {
		if h.obs.refused[reason] != n {
			t.Errorf("refused[%s] = %d, want %d", reason, h.obs.refused[reason], n)
		}
	}
	if len(h.obs.done) != 0 {
		t.Errorf("refused requests are not probes: %v", h.obs.done)
	}
}

func TestAllowList(t *testing.T) {
	var redirectTo string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, redirectTo, http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	self := "http://127.0.0.1:" + strconv.Itoa(port)

	// Loopback allowed by network: IP literal, and a name that resolves there.
	h := newHarness(t, mustConfig(t, "allow_targets: ['127.0.0.0/8']\n"))
	h.probeURL(t, self+"/", "").want(t, map[string]float64{"probe_success": 1})
	h.probeURL(t, "http://localhost:"+strconv.Itoa(port)+"/", "").want(t, map[string]float64{"probe_success": 1})

	// Only a glob: an IP target is refused, and so is a redirect off the list.
	h = newHarness(t, mustConfig(t, "allow_targets: ['*.shop.test']\ntargets:\n  - {name: self, url: '"+self+"/redirect'}\n"))
	if s := h.probeURL(t, self+"/", ""); s.code != 403 {
		t.Errorf("IP outside the list: code %d", s.code)
	}
	// A configured target is trusted, redirects included: the config
	// file named it.
	redirectTo = self + "/"
	h.probeURL(t, "self", "").want(t, map[string]float64{"probe_success": 1, "probe_http_redirects": 1})

	// Redirect from an allowed target to a refused one fails the probe.
	h = newHarness(t, mustConfig(t, "allow_targets: ['127.0.0.1']\n"))
	redirectTo = "http://169.254.169.254/latest/meta-data/"
	s := h.probe(t, url.Values{"target": {self + "/redirect"}, "debug": {"true"}}, nil)
	if !strings.Contains(s.body, "not in allow_targets") || !strings.Contains(s.body, "Result: FAILED") {
		t.Errorf("redirect to a refused address must fail:\n%s", s.body)
	}

	// A name outside the globs passes the resolve check when it resolves
	// into the networks, and the dialer checks the address it connects
	// to: a network that does not contain it refuses the connection.
	guard, _ := config.NewAllowList([]string{"10.0.0.0/8"})
	conn, err := guardedDial(withPolicy(t.Context(), guard), "tcp", "localhost:"+strconv.Itoa(port))
	if err == nil {
		conn.Close()
		t.Fatal("dial to loopback must be refused by a 10/8 policy")
	}
	if !strings.Contains(err.Error(), "not in allow_targets") {
		t.Errorf("dial error = %v", err)
	}
	allow, _ := config.NewAllowList([]string{"127.0.0.0/8"})
	conn, err = guardedDial(withPolicy(t.Context(), allow), "tcp", "localhost:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("dial to loopback under 127/8: %v", err)
	}
	conn.Close()
}

func TestConfiguredTargetsAndDefaultModule(t *testing.T) {
	var gotAccept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAccept = r.Header.Get("Accept")
		_, _ = io.WriteString(w, "<h1>Acme Shop</h1>")
	}))
	defer srv.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  brand:
    checks: [{keyword: Acme Shop}]
    django: {health_check: none}
targets:
  - {name: shop-home, url: "`+srv.URL+`/", module: brand}
  - {name: shop-plain, url: "`+srv.URL+`/"}
`))
	h.probeURL(t, "shop-home", "").want(t, map[string]float64{"probe_success": 1, checkName("keyword:Acme Shop", "keyword"): 1})
	if gotAccept != "" {
		t.Errorf("health_check none sends no Accept header, sent %q", gotAccept)
	}
	// The target's URL finds it too, with its module; ?module= overrides it.
	h.probeURL(t, srv.URL+"/", "").want(t, map[string]float64{checkName("keyword:Acme Shop", "keyword"): 1})
	h.probeURL(t, srv.URL+"/", "django").absent(t, "probe_check_success")
	s := h.probeURL(t, "shop-plain", "")
	s.want(t, map[string]float64{"probe_success": 1, "probe_django_debug_enabled": 0})
	if gotAccept != healthAccept {
		t.Errorf("the django module asks for JSON first, sent %q", gotAccept)
	}
	if h.obs.done["brand/success"] != 2 || h.obs.done["django/success"] != 2 {
		t.Errorf("probes counted by module: %v", h.obs.done)
	}
}

func TestRequestShaping(t *testing.T) {
	var got struct {
		method, host, body, ua, custom string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.host, got.body, got.ua, got.custom = r.Method, r.Host, string(b), r.UserAgent(), r.Header.Get("X-Probe")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  post:
    http:
      method: POST
      body: '{"ping": 1}'
      headers: {Host: shop.example.com, X-Probe: yes}
  head:
    http: {method: HEAD}
`))
	h.probeURL(t, srv.URL, "post").want(t, map[string]float64{"probe_success": 1})
	if got.method != "POST" || got.host != "shop.example.com" || got.body != `{"ping": 1}` || got.custom != "yes" {
		t.Errorf("request = %+v", got)
	}
	if got.ua != "django_health_exporter/test" {
		t.Errorf("User-Agent = %q", got.ua)
	}
	h.probeURL(t, srv.URL, "head").want(t, map[string]float64{"probe_success": 1, "probe_http_uncompressed_body_length": 0})
	if got.method != "HEAD" {
		t.Errorf("method = %s", got.method)
	}
}

func TestRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/":
			http.Redirect(w, r, "/admin/login/?next=/admin/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = io.WriteString(w, `<form id="login-form">Django administration</form>`)
		}
	}))
	defer srv.Close()
	h := newHarness(t, mustConfig(t, `
modules:
  nofollow:
    http: {follow_redirects: false, valid_status_codes: [302]}
  admin:
    checks: [{keyword: 'id="login-form"'}]
`))
	h.probeURL(t, srv.URL+"/admin/", "admin").want(t, map[string]float64{"probe_success": 1, "probe_http_redirects": 1, "probe_http_status_code": 200})
	h.probeURL(t, srv.URL+"/admin/", "nofollow").want(t, map[string]float64{"probe_success": 1, "probe_http_status_code": 302})
	h.probeURL(t, srv.URL+"/loop", "").want(t, map[string]float64{"probe_success": 0})
}

func TestPhasesAndStandardSeries(t *testing.T) {
	srv := staticServer(t, 200, "text/html", shopPage)
	h := newHarness(t, config.LoadDefault())
	s := h.probeURL(t, srv.URL, "")
	for _, phase := range phaseNames {
		if _, ok := s.series["probe_http_duration_seconds{phase="+phase+"}"]; !ok {
			t.Errorf("phase %s missing", phase)
		}
	}
	for _, name := range []string{"probe_duration_seconds", "probe_http_content_length", "probe_http_version", "probe_dns_lookup_time_seconds", "probe_ip_protocol"} {
		if _, ok := s.series[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if s.series["probe_http_duration_seconds{phase=connect}"] <= 0 || s.series["probe_http_duration_seconds{phase=processing}"] <= 0 {
		t.Errorf("connect/processing not measured:\n%s", s.body)
	}
	s.want(t, map[string]float64{"probe_http_ssl": 0, "probe_http_version": 1.1, "probe_ip_protocol": 4})
	s.absent(t, "probe_ssl_", "probe_tls_")
}

// Every probe opens a new connection: keep-alives are off.
func TestNewConnectionPerProbe(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	h := newHarness(t, config.LoadDefault())
	for range 5 {
		h.probeURL(t, srv.URL, "")
	}
	// And one for the default module's debug canary, asked once a minute.
	if len(conns) != 6 {
		t.Errorf("5 probes and a canary used %d connections, want 6", len(conns))
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	h := newHarness(t, mustConfig(t, "modules:\n  short: {timeout: 300ms}\n"))

	start := time.Now()
	h.probeURL(t, srv.URL, "short").want(t, map[string]float64{"probe_success": 0})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("module timeout 300ms, probe took %v", d)
	}
	// The scrape timeout minus the offset wins when it is shorter.
	start = time.Now()
	h.probe(t, url.Values{"target": {srv.URL}}, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"0.8"}}).want(t, map[string]float64{"probe_success": 0})
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Errorf("0.8s scrape timeout minus 0.5s offset, probe took %v", d)
	}

	for _, tc := range []struct {
		header string
		module time.Duration
		want   time.Duration
	}{
		{"", 10 * time.Second, 10 * time.Second},
		{"5", 10 * time.Second, 4500 * time.Millisecond},
		{"30", 10 * time.Second, 10 * time.Second},
		{"0.3", 10 * time.Second, 300 * time.Millisecond}, // smaller than the offset: keep it whole
	} {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		if tc.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		got, err := probeTimeout(r, tc.module, 500*time.Millisecond)
		if err != nil || got != tc.want {
			t.Errorf("header %q: %v %v, want %v", tc.header, got, err, tc.want)
		}
	}
	// A timeout below a nanosecond used to become a 10s probe, above the
	// module's cap: it is refused.
	for _, tiny := range []string{"1e-10", "0.0000000001", "4.9e-324"} {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tiny)
		if got, err := probeTimeout(r, 2*time.Second, 500*time.Millisecond); err == nil {
			t.Errorf("header %q: %v, want an error", tiny, got)
		}
	}
	// A huge one (it used to overflow into "below a nanosecond") is no
	// limit: the module's timeout decides.
	for _, huge := range []string{"1e308", "9223372037", "1e19"} {
		r := httptest.NewRequest(http.MethodGet, "/probe", nil)
		r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", huge)
		if got, err := probeTimeout(r, 2*time.Second, 500*time.Millisecond); err != nil || got != 2*time.Second {
			t.Errorf("header %q: %v %v, want the module's 2s", huge, got, err)
		}
	}
}

// Hostile targets fail the probe and nothing else: no panic, no unbounded
// memory, no hang past the timeout.
func TestHostileTargets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				switch req.URL.Path {
				case "/garbage":
					_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02")
				case "/reset":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
				case "/huge-header":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n")
				case "/endless":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
					chunk := []byte(strings.Repeat("{", 64<<10))
					for {
						if _, err := c.Write(chunk); err != nil {
							return
						}
					}
				case "/bad-status":
					_, _ = io.WriteString(c, "HTTP/1.1 999999999999 Nope\r\n\r\n")
				}
			}(c)
		}
	}()
	base := "http://" + ln.Addr().String()
	h := newHarness(t, mustConfig(t, `
modules:
  m:
    timeout: 3s
    http: {body_size_limit: 1MiB}
    checks: [{regex: "x+"}, {json: {path: a}}]
`))
	for _, path := range []string{"/garbage", "/reset", "/huge-header", "/endless", "/bad-status"} {
		start := time.Now()
		reliability.Record(t, "probes", map[string]string{
			"/garbage":     "a target that answers SSH, not HTTP",
			"/reset":       "a target that cuts the connection mid-body",
			"/huge-header": "a target that answers a 2 MB header",
			"/endless":     "a target whose JSON body never ends",
			"/bad-status":  "a target that answers status 999999999999",
		}[path], "probe_success 0 within the timeout, nothing else")
		s := h.probeURL(t, base+path, "m")
		if s.code != 200 {
			t.Errorf("%s: code %d", path, s.code)
		}
		s.want(t, map[string]float64{"probe_success": 0})
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("%s took %v", path, d)
		}
	}
}

// A probe's log lines reach the exporter's log at debug level, with the
// target and module, and stay out of it otherwise.
func TestProbeLogForwardedAtDebug(t *testing.T) {
	srv := staticServer(t, 200, "text/html", "ok")
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var buf bytes.Buffer
		h := newHarness(t, config.LoadDefault())
		h.handler.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
		h.probeURL(t, srv.URL, "")
		got := buf.String()
		forwarded := strings.Contains(got, "Making HTTP request") && strings.Contains(got, "module=django") && strings.Contains(got, "target="+srv.URL)
		if forwarded != (level == slog.LevelDebug) {
			t.Errorf("logger at %v: forwarded=%v\n%s", level, forwarded, got)
		}
		if res := h.obs.results; len(res) != 1 || len(res[0].Log) < 3 {
			t.Errorf("the result keeps its own log lines: %+v", res)
		}
	}
}

// A bare word that is no configured target's name is refused before any
// DNS lookup, with the closest configured names.
func TestBareWordTargetIsRefused(t *testing.T) {
	h := newHarness(t, mustConfig(t, `
targets:
  - {name: shop-home, url: "http://127.0.0.1:9/"}
  - {name: shop-api, url: "http://127.0.0.1:9/api"}
`))
	s := h.probeURL(t, "shop-hom", "")
	if s.code != 400 || !strings.Contains(s.body, "did you mean shop-home") {
		t.Errorf("shop-hom: %d %s", s.code, s.body)
	}
	if len(h.obs.done) != 0 || h.obs.refused[RefusedInvalidTarget] != 1 {
		t.Errorf("a bare word was probed: %v %v", h.obs.done, h.obs.refused)
	}
	// localhost and names with a dot or a port are hosts, as before.
	for _, target := range []string{"localhost:9", "127.0.0.1:9"} {
		if s := h.probeURL(t, target, ""); s.code != 200 {
			t.Errorf("%s: %d %s", target, s.code, s.body)
		}
	}
}
