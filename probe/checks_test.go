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
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

const shopPage = `<!DOCTYPE html><html><head><title>Acme Shop</title></head>
<body><h1>Acme Shop</h1><p>Fresh coffee</p><footer>&copy; 2026 Acme Shop</footer></body></html>`

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func checkName(name, typ string) string {
	return "probe_check_success{check=" + name + ",severity=critical,type=" + typ + "}"
}

// Every check kind of the contract, passing and failing, each its own
// probe_check_success series.
func TestEveryCheckKind(t *testing.T) {
	srv := checkKindsServer()
	defer srv.Close()

	h := newHarness(t, mustConfig(t, `
modules:
  page:
    checks:
      - {name: brand, keyword: "Acme Shop"}
      - {name: missing, keyword: "Espresso"}
      - {name: no-trace, forbid_keyword: "Traceback"}
      - {name: trace-present, forbid_keyword: "Fresh coffee"}
      - {name: footer, regex: "&copy;\\s*20\\d\\d"}
      - {name: footer-wrong, regex: "&copy;\\s*19\\d\\d"}
      - {name: no-error, forbid_regex: "Server Error \\(500\\)"}
      - {name: error, forbid_regex: "<h1>Acme"}
      - {name: pinned, sha256: "`+sum(shopPage)+`"}
      - {name: pinned-old, sha256: "`+sum("old page")+`"}
      - {name: fast, max_latency: 2s}
      - {name: hsts, header: {name: Strict-Transport-Security, regex: "max-age=\\d+"}}
      - {name: hsts-long, header: {name: Strict-Transport-Security, regex: "max-age=\\d{9}"}}
      - {name: csp, header: {name: Content-Security-Policy}}
      - {name: cert, min_cert_validity: 14d}
  api:
    checks:
      - {name: healthy, json: {path: status, equals: ok}}
      - {name: unhealthy, json: {path: status, equals: degraded}}
      - {name: version, json: {path: version, equals: "2"}}
      - {name: count, json: {path: count, equals: "3"}}
      - {name: db, json: {path: checks.0.ok, equals: "true"}}
      - {name: db-name, json: {path: checks.0.name, matches: "^d"}}
      - {name: no-such, json: {path: checks.1.ok}}
      - {name: present, json: {path: checks}}
  slow:
    checks:
      - {name: fast, max_latency: 100ms}
`))
	s := h.probeURL(t, srv.URL+"/", "page")
	s.want(t, map[string]float64{
		checkName("brand", "keyword"):                1,
		checkName("missing", "keyword"):              0,
		checkName("no-trace", "forbid_keyword"):      1,
		checkName("trace-present", "forbid_keyword"): 0,
		checkName("footer", "regex"):                 1,
		checkName("footer-wrong", "regex"):           0,
		checkName("no-error", "forbid_regex"):        1,
		checkName("error", "forbid_regex"):           0,
		checkName("pinned", "sha256"):                1,
		checkName("pinned-old", "sha256"):            0,
		checkName("fast", "max_latency"):             1,
		checkName("hsts", "header"):                  1,
		checkName("hsts-long", "header"):             0,
		checkName("csp", "header"):                   0,
		checkName("cert", "min_cert_validity"):       0, // plain HTTP has no certificate
		"probe_failed_due_to_regex":                  1,
		"probe_success":                              0,
	})

	s = h.probeURL(t, srv.URL+"/api", "api")
	s.want(t, map[string]float64{
		checkName("healthy", "json"):   1,
		checkName("unhealthy", "json"): 0,
		checkName("version", "json"):   1,
		checkName("count", "json"):     1,
		checkName("db", "json"):        1,
		checkName("db-name", "json"):   1,
		checkName("no-such", "json"):   0,
		checkName("present", "json"):   1,
		"probe_failed_due_to_regex":    0, // json checks are not keyword or regex checks
	})

	s = h.probeURL(t, srv.URL+"/slow", "slow")
	s.want(t, map[string]float64{checkName("fast", "max_latency"): 0, "probe_success": 0})
}

func TestAllChecksPassingMeansSuccess(t *testing.T) {
	srv := staticServer(t, 200, "text/html", shopPage)
	h := newHarness(t, mustConfig(t, `
modules:
  page:
    checks:
      - {keyword: "Acme Shop"}
      - {forbid_keyword: "Traceback"}
      - {regex: "Fresh\\s+coffee"}
      - {sha256: "`+sum(shopPage)+`"}
`))
	s := h.probeURL(t, srv.URL, "page")
	s.want(t, map[string]float64{
		"probe_success":                           1,
		"probe_failed_due_to_regex":               0,
		checkName("keyword:Acme Shop", "keyword"): 1,
	})
	// The content hash is the first 48 bits of the body's SHA-256.
	want := hashValue(sum(shopPage))
	s.want(t, map[string]float64{"probe_http_content_hash": want})
	if want == 0 || want >= 1<<48 {
		t.Errorf("hash value %v out of range", want)
	}
}

// A changed page changes probe_http_content_hash; the same page keeps it.
func TestContentHashTracksDrift(t *testing.T) {
	page := "version one"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(page))
	}))
	defer srv.Close()
	h := newHarness(t, mustConfig(t, "modules: {}\n"))
	first := h.probeURL(t, srv.URL, "").series["probe_http_content_hash"]
	again := h.probeURL(t, srv.URL, "").series["probe_http_content_hash"]
	page = "version two"
	changed := h.probeURL(t, srv.URL, "").series["probe_http_content_hash"]
	if first != again || first == changed {
		t.Errorf("hash: first %v, same page %v, changed page %v", first, again, changed)
	}
}

func TestCheckReasonsInDebugOutput(t *testing.T) {
	srv := staticServer(t, 200, "text/html", shopPage)
	h := newHarness(t, mustConfig(t, `
modules:
  page:
    checks:
      - {name: espresso, keyword: "Espresso"}
      - {name: coffee, forbid_regex: "Fresh\\s+\\w+"}
`))
	s := h.probe(t, url.Values{"target": {srv.URL}, "module": {"page"}, "debug": {"1"}}, nil)
	for _, want := range []string{
		`FAIL  espresso (keyword, critical): body does not contain "Espresso"`,
		`FAIL  coffee (forbid_regex, critical): body matches forbidden regex "Fresh\\s+\\w+" at byte`,
		`"Fresh coffee"`,
	} {
		if !strings.Contains(s.body, want) {
			t.Errorf("debug output lacks %q:\n%s", want, s.body)
		}
	}
}

// A check cannot outlive its probe: a pathological regex over a 1 MiB
// body (about 2.5 s of matching) stops at the module's 1 s timeout and
// fails the probe with reason timeout, and a json check's regex likewise;
// a regex that finishes keeps its verdict.
func TestChecksStopAtTheDeadline(t *testing.T) {
	body := strings.Repeat("abcdefghij ", 1<<20/11)
	srv := staticServer(t, 200, "text/html", body)
	h := newHarness(t, mustConfig(t, `
modules:
  slow:
    timeout: 1s
    checks:
      - {name: quick, forbid_regex: Traceback}
      - {name: pathological, forbid_regex: '(?:.*a){150}z'}
  slow_json:
    timeout: 1s
    checks:
      - {name: field, json: {path: v, matches: '(?:.*a){150}z'}}
`))
	start := time.Now()
	s := h.probeURL(t, srv.URL, "slow")
	took := time.Since(start)
	s.want(t, map[string]float64{
		"probe_success":                           0,
		checkName("quick", "forbid_regex"):        1,
		checkName("pathological", "forbid_regex"): 0,
	})
	if took > 4*time.Second {
		t.Errorf("the probe took %v with a 1s timeout", took)
	}
	reliability.Record(t, "probes", "a pathological regex (2.5 s of matching) over a 1 MiB body, module timeout 1s", "the check stops at the deadline; the probe fails with reason timeout")
	res := h.obs.results[len(h.obs.results)-1]
	if !res.FailedDueTo(ReasonTimeout) || res.FailedDueTo(ReasonCheck) {
		t.Errorf("failures = %+v, want reason timeout only", res.Failures)
	}
	if !strings.Contains(res.Failure(), "stopped at the probe's deadline") {
		t.Errorf("failure = %s", res.Failure())
	}

	jsonSrv := staticServer(t, 200, "application/json", `{"v": "`+body+`"}`)
	start = time.Now()
	s = h.probeURL(t, jsonSrv.URL, "slow_json")
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the json probe took %v with a 1s timeout", took)
	}
	s.want(t, map[string]float64{"probe_success": 0, checkName("field", "json"): 0})
	if res := h.obs.results[len(h.obs.results)-1]; !res.FailedDueTo(ReasonTimeout) {
		t.Errorf("json failures = %+v", res.Failures)
	}
}

// A warning-level check is reported and never fails the probe: nothing
// pages for it.
func TestWarningChecksDoNotFailTheProbe(t *testing.T) {
	srv := staticServer(t, 200, "text/html", shopPage)
	h := newHarness(t, mustConfig(t, `
modules:
  soft:
    checks:
      - {name: brand, keyword: "Acme Shop"}
      - {name: banner, keyword: "Summer sale", severity: warning}
`))
	h.probeURL(t, srv.URL, "soft").want(t, map[string]float64{
		"probe_success":                     1,
		"probe_failed_due_to_regex":         0,
		"probe_failed_due_to{reason=check}": 0,
		"probe_check_success{check=banner,severity=warning,type=keyword}": 0,
		checkName("brand", "keyword"):                                     1,
	})
	res := h.obs.results[len(h.obs.results)-1]
	if len(res.Warnings) != 1 || !strings.Contains(DebugOutput(res), "Warnings:\n  - check banner failed") {
		t.Errorf("the warning is not reported:\n%s", DebugOutput(res))
	}
}

// Every failure says its reason, from the fixed set of probe_failed_due_to.
func TestFailureReasons(t *testing.T) {
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	}))
	defer loop.Close()
	away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/", http.StatusFound)
	}))
	defer away.Close()
	big := staticServer(t, 200, "text/plain", strings.Repeat("x", 2<<10))
	down := staticServer(t, 503, "text/plain", "down")
	h := newHarness(t, mustConfig(t, `
modules:
  quick: {timeout: 1s}
  small: {http: {body_size_limit: 1KiB}}
allow_targets: ["127.0.0.0/8"]
`))
	for _, tc := range []struct {
		target, module, reason string
	}{
		{"http://127.0.0.1:1/", "", ReasonConnect},
		{"http://" + silent.Addr().String() + "/", "quick", ReasonTimeout},
		{loop.URL, "", ReasonRedirect},
		{away.URL, "", ReasonRefused},
		{big.URL, "small", ReasonBodyLimit},
		{down.URL, "", ReasonStatus},
	} {
		s := h.probeURL(t, tc.target, tc.module)
		for _, reason := range Reasons {
			want := 0.0
			if reason == tc.reason {
				want = 1
			}
			s.want(t, map[string]float64{"probe_failed_due_to{reason=" + reason + "}": want})
		}
	}
	dnsErr := &net.DNSError{Err: "no such host", Name: "shop.invalid", IsNotFound: true}
	if got := classify(context.Background(), dnsErr, &tracer{}); got != ReasonDNS {
		t.Errorf("a DNS error: %s", got)
	}
}

// checkKindsServer answers a shop page with HSTS at /, JSON at /api and
// the page after 300 ms at /slow.
func checkKindsServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status": "ok", "version": 2, "checks": [{"name": "db", "ok": true}], "count": 3.0}`))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
			_, _ = w.Write([]byte(shopPage))
		default:
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
			_, _ = w.Write([]byte(shopPage))
		}
	}))
}
