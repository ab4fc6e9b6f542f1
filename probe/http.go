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
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// A probe of a module runs in four stages, each a function below:
// buildRequest makes the request the module describes, fetch sends it and
// follows redirects, readBody streams the answer once through the scan,
// and judge decides what the answer means.

const maxRedirects = 10

// errTooManyRedirects ends a probe that keeps being redirected.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// run probes req's URL with the module, into r.
func (m *module) run(ctx context.Context, req Request, r *Result, log *probeLog) {
	httpReq, err := m.buildRequest(ctx, req)
	if err != nil {
		log.Error("Error creating request", "err", err)
		r.fail(ReasonConnect, "invalid request: "+err.Error())
		return
	}
	if req.Hostname != "" {
		r.Hostname = req.Hostname
		ctx = withServerName(ctx, req.Hostname)
		httpReq = httpReq.WithContext(ctx)
	}
	resp, tr, err := m.fetch(ctx, httpReq, req.Policy, r, log)
	if err != nil {
		return
	}
	defer func() { _ = resp.Body.Close() }()
	a := m.readBody(ctx, resp, tr, r, log, req.Budget)
	defer a.release()
	m.judge(a, r, log)
	if r.Success && m.cfg.Django.StaticAssets != nil {
		m.checkAssets(ctx, req, a, r, log)
	}
	m.sideRequests(ctx, req, r, log)
}

// buildRequest makes the module's request for a URL.
func (m *module) buildRequest(ctx context.Context, req Request) (*http.Request, error) {
	var body io.Reader
	if b := m.cfg.HTTP.Body; b != "" {
		body = strings.NewReader(b)
	}
	return m.newRequest(ctx, req, m.cfg.HTTP.Method, body)
}

// newRequest makes a request for req's URL with the module's headers (a
// Host header sets the host), User-Agent, and the Accept and
// Accept-Encoding the module asks for unless it sets its own.
func (m *module) newRequest(ctx context.Context, req Request, method string, body io.Reader) (*http.Request, error) {
	hc := &m.cfg.HTTP
	httpReq, err := http.NewRequestWithContext(ctx, method, req.URL.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range hc.Headers {
		if strings.EqualFold(k, "Host") {
			httpReq.Host = v
			continue
		}
		httpReq.Header.Set(k, v)
	}
	if req.Hostname != "" {
		httpReq.Host = req.Hostname // the target's own wins over the module's
	}
	setDefault := func(name, value string) {
		if value != "" && httpReq.Header.Get(name) == "" {
			httpReq.Header.Set(name, value)
		}
	}
	setDefault("User-Agent", m.agent)
	httpReq.Header.Set(LoopHeader, "1")
	setDefault("Accept", m.accept)
	setDefault("Accept-Encoding", hc.Compression)
	return httpReq, nil
}

// fetch sends the request, following redirects as the module allows and
// allow_targets permits, and returns the final answer with the timings of
// every hop. A failure is recorded in r with its reason.
func (m *module) fetch(ctx context.Context, httpReq *http.Request, policy *config.AllowList, r *Result, log *probeLog) (*http.Response, *tracer, error) {
	hc := &m.cfg.HTTP
	tr := &tracer{}
	httpReq = httpReq.WithContext(httptrace.WithClientTrace(withPolicy(ctx, policy), tr.clientTrace()))
	client := &http.Client{
		Transport: tracingTransport{next: m.rt, t: tr},
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			r.Redirects = len(via)
			log.Info("Received redirect", "location", config.RedactedURL(next.URL))
			if !hc.HTTPClientConfig.FollowRedirects {
				log.Info("Not following redirect: follow_redirects is false")
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			if crossHostRedirect(next) {
				// Go drops Authorization and Cookie itself; the module's
				// other secret headers (API keys, tokens) stay home too.
				for name := range next.Header {
					if config.SensitiveHeader(name) {
						next.Header.Del(name)
					}
				}
			}
			return checkRedirectAllowed(policy, next.URL)
		},
	}
	log.Info("Making HTTP request", "url", config.RedactedURL(httpReq.URL), "host", httpReq.Host, "method", httpReq.Method)
	resp, err := client.Do(httpReq)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		log.Error("Error for HTTP request", "err", err)
		r.fail(classify(ctx, err, tr), "request failed: "+err.Error())
		r.Phases, r.DNSLookup = tr.phases(time.Now())
		// A certificate that failed verification (expired, self-signed,
		// another host's) was still received: its expiry is what the
		// certificate alerts need most.
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) && len(cve.UnverifiedCertificates) > 0 {
			r.TLS = tlsInfo(&tls.ConnectionState{PeerCertificates: cve.UnverifiedCertificates})
			r.TLS.Version = ""
		}
		return nil, nil, err
	}
	r.Response = true
	r.StatusCode = resp.StatusCode
	r.ContentLength = resp.ContentLength
	r.HTTPVersion = float64(resp.ProtoMajor) + float64(resp.ProtoMinor)/10
	log.Info("Received HTTP response", "status_code", resp.StatusCode, "proto", resp.Proto)
	return resp, tr, nil
}

// classify gives a failed request its reason.
func classify(ctx context.Context, err error, tr *tracer) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		hostErr x509.HostnameError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, ErrNotAllowed):
		return ReasonRefused
	case errors.Is(err, errTooManyRedirects):
		return ReasonRedirect
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ReasonTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ReasonTimeout
		}
		return ReasonDNS
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alert), errors.As(err, &hostErr), tr.tlsFailed():
		return ReasonTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	}
	return ReasonConnect
}

// readBody reads the answer's body once, in chunks, through the hash, the
// byte count, the literal matchers and, only when a check or a health-check
// answer needs the whole text, a copy bounded by body_size_limit.
func (m *module) readBody(ctx context.Context, resp *http.Response, tr *tracer, r *Result, log *probeLog, budget *Budget) *answer {
	s := m.scanner()
	defer m.releaseScanner(s)
	s.limit, s.budget = int64(m.cfg.HTTP.BodySizeLimit), budget
	if m.django != nil {
		m.django.prepare(s, resp.StatusCode)
	}
	a := &answer{ctx: ctx, status: resp.StatusCode, header: resp.Header, contentType: resp.Header.Get("Content-Type"), final: resp.Request.URL}
	a.readHealth = m.cfg.Django.HealthCheck != config.HealthCheckNone && mayBeHealthAnswer(a.contentType)
	if m.keepBody || a.readHealth {
		s.keep = keepLimit(s.limit)
	}
	encoding := resp.Header.Get("Content-Encoding")
	if encoding == "" || strings.EqualFold(encoding, "identity") {
		s.sizeHint = resp.ContentLength
	}
	if decoded, done, err := decodeBody(resp.Body, encoding); err != nil {
		a.scan.err = err
	} else {
		a.scan = s.scan(decoded)
		done()
	}
	end := time.Now()
	if err := a.scan.err; err != nil {
		log.Error("Failed to read HTTP response body", "err", err, "bytes_read", a.scan.n)
		reason := ReasonBodyLimit
		if !errors.Is(err, errBodyTooLarge) {
			reason = classify(ctx, err, tr)
		}
		r.fail(reason, "reading body: "+err.Error())
	}
	if a.scan.refused {
		msg := fmt.Sprintf("body not kept past %d bytes: the probes in flight hold the whole --probe.memory-budget (%d bytes)", len(a.scan.copy), budget.Limit())
		log.Error("Probe memory budget exhausted", "kept_bytes", len(a.scan.copy), "budget_bytes", budget.Limit())
		r.fail(ReasonRefused, msg)
	}
	r.BodyLength = a.scan.n
	r.ContentHash = a.scan.sum
	r.Phases, r.DNSLookup = tr.phases(end)
	if tr.remoteAddr != nil {
		r.IPProtocol = ipProtocol(tr.remoteAddr)
	}
	if resp.TLS != nil {
		r.TLS = tlsInfo(resp.TLS)
		log.Info("TLS connection", "version", r.TLS.Version, "earliest_cert_expiry", r.TLS.EarliestExpiry)
	}
	a.found = s.found()
	a.elapsed, a.tls, a.now = end.Sub(tr.hops[0].start), r.TLS, end
	return a
}

// judge decides what the answer means: its status, the Django detectors,
// the health-check backends and every configured check.
func (m *module) judge(a *answer, r *Result, log *probeLog) {
	hc := &m.cfg.HTTP
	if !statusOK(hc.ValidStatusCodes, a.status) {
		want := "any 2xx"
		if len(hc.ValidStatusCodes) > 0 {
			want = fmt.Sprint(hc.ValidStatusCodes)
		}
		log.Info("Invalid HTTP response status code", "status_code", a.status, "want", want)
		r.fail(ReasonStatus, fmt.Sprintf("status code %d, want %s", a.status, want))
	}
	if a.header.Get(LoopHeader) == RefusedLoop {
		r.fail(ReasonRefused, "the target is a /probe endpoint (of this exporter or another), reached by a redirect or configured: refused so a probe cannot probe itself")
	}
	if m.django != nil {
		r.DetectDebug, r.DetectHost = m.django.debug, m.django.host
		v := m.django.verdict(a.found, a.status)
		r.DebugPage, r.DisallowedHost = v.debug, v.disallowedHost
		if v.debug {
			log.Error("Django DEBUG page exposed", "detail", v.debugWhy)
			r.fail(ReasonDebugPage, "DEBUG = True: "+v.debugWhy)
		}
		if v.disallowedHost {
			log.Error("Django refused the Host header", "detail", v.hostWhy)
			r.fail(ReasonDisallowedHost, "ALLOWED_HOSTS: "+v.hostWhy)
		}
	}
	if a.readHealth {
		m.readHealthChecks(a, r, log)
	}
	if m.cfg.Django.Release != nil {
		m.readRelease(a, r, log)
	}
	for _, c := range m.checks {
		cr := c.check(a)
		r.Checks = append(r.Checks, cr)
		if cr.OK {
			continue // the checks are listed with their reasons anyway
		}
		if cr.Severity == config.SeverityWarning {
			// Reported, and the probe stays a success: nothing pages.
			log.Warn("Warning-level check failed", "check", cr.Name, "type", cr.Type, "detail", cr.Reason)
			r.Warnings = append(r.Warnings, fmt.Sprintf("check %s failed: %s", cr.Name, cr.Reason))
			continue
		}
		log.Error("Check failed", "check", cr.Name, "type", cr.Type, "detail", cr.Reason)
		reason := ReasonCheck
		if cr.TimedOut {
			reason = ReasonTimeout
		}
		r.fail(reason, fmt.Sprintf("check %s failed: %s", cr.Name, cr.Reason))
		switch cr.Type {
		case config.CheckKeyword, config.CheckForbidKeyword, config.CheckRegex, config.CheckForbidRegex:
			r.RegexFailed = true
		}
	}
}

func (m *module) readHealthChecks(a *answer, r *Result, log *probeLog) {
	mode := m.cfg.Django.HealthCheck
	if !a.scan.copied {
		if mode != config.HealthCheckAuto {
			r.fail(ReasonHealthCheck, "health check: body not read in full")
		}
		return
	}
	format, backends, err := parseHealthCheck(mode, a.contentType, a.scan.copy, a.json)
	if err != nil {
		log.Error("Could not read the health-check answer", "err", err)
		r.fail(ReasonHealthCheck, "health check: "+err.Error())
		return
	}
	if format == "" {
		return
	}
	backends, dropped := limitBackends(backends)
	r.HealthFormat, r.HealthChecks = format, backends
	log.Info("Read health-check answer", "format", format, "backends", len(backends))
	if dropped > 0 {
		log.Warn("Too many health-check backends; the rest are not exported", "kept", len(backends), "dropped", dropped)
	}
	for _, b := range backends {
		if !b.Up {
			log.Error("Health-check backend down", "check", b.Name, "status", b.Message)
			r.fail(ReasonHealthCheck, fmt.Sprintf("health-check backend %q down: %s", b.Name, b.Message))
		}
	}
}

// answer is what judge and the checks look at: the final response and its
// body as it was scanned.
type answer struct {
	ctx         context.Context // the probe's: checks stop at its deadline
	final       *url.URL        // the page's URL, after redirects
	status      int
	header      http.Header
	contentType string
	readHealth  bool // the answer may be a health-check report
	scan        bodyScan
	found       found // what the body scan found, read through handles
	elapsed     time.Duration
	tls         *TLSInfo
	now         time.Time
	jsonVal     any
	jsonErr     error
	jsonDone    bool
}

// json decodes the kept body once for every json check and the
// health-check parser.
func (a *answer) json() (any, error) {
	if !a.jsonDone {
		a.jsonDone = true
		switch {
		case a.scan.copy == nil:
			a.jsonErr = errors.New("no body to read")
		case !a.scan.copied:
			a.jsonErr = errors.New("body was cut at body_size_limit")
		default:
			a.jsonVal, a.jsonErr = decodeJSON(a.scan.copy)
		}
	}
	return a.jsonVal, a.jsonErr
}

// release returns the body's copy to its pool.
func (a *answer) release() { releaseCopy(&a.scan) }

// keepLimit bounds the copy of a body kept for regexes, JSON and health
// checks: body_size_limit, or 10 MiB when the module has none.
func keepLimit(limit int64) int64 {
	if limit > 0 {
		return limit
	}
	return 10 << 20
}

func statusOK(valid []int, code int) bool {
	if len(valid) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(valid, code)
}

func ipProtocol(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.To4() == nil {
		return 6
	}
	return 4
}
