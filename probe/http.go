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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

const maxRedirects = 10

// hop holds the timings of one request of a probe (one per redirect).
type hop struct {
	start, dnsStart, dnsDone, connectStart, connectDone time.Time
	tlsStart, tlsDone, gotConn, firstByte, end          time.Time
}

// tracer keeps the hops of a probe. The hooks run on the transport's
// goroutines, hence the lock.
type tracer struct {
	mu         sync.Mutex
	hops       []*hop
	remoteAddr net.Addr
}

func (t *tracer) current() *hop {
	if len(t.hops) == 0 {
		t.hops = append(t.hops, &hop{start: time.Now()})
	}
	return t.hops[len(t.hops)-1]
}

func (t *tracer) set(f func(h *hop)) {
	t.mu.Lock()
	f(t.current())
	t.mu.Unlock()
}

func (t *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { t.set(func(h *hop) { h.dnsStart = time.Now() }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { t.set(func(h *hop) { h.dnsDone = time.Now() }) },
		ConnectStart: func(_, _ string) {
			t.set(func(h *hop) {
				if h.connectStart.IsZero() {
					h.connectStart = time.Now()
				}
			})
		},
		ConnectDone:       func(_, _ string, _ error) { t.set(func(h *hop) { h.connectDone = time.Now() }) },
		TLSHandshakeStart: func() { t.set(func(h *hop) { h.tlsStart = time.Now() }) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { t.set(func(h *hop) { h.tlsDone = time.Now() }) },
		GotConn: func(info httptrace.GotConnInfo) {
			t.mu.Lock()
			t.current().gotConn = time.Now()
			t.remoteAddr = info.Conn.RemoteAddr()
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() { t.set(func(h *hop) { h.firstByte = time.Now() }) },
	}
}

// RoundTrip starts a new hop for every request, redirects included.
type tracingTransport struct {
	next http.RoundTripper
	t    *tracer
}

func (tt tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	now := time.Now()
	tt.t.mu.Lock()
	if n := len(tt.t.hops); n > 0 && tt.t.hops[n-1].end.IsZero() {
		tt.t.hops[n-1].end = now
	}
	tt.t.hops = append(tt.t.hops, &hop{start: now})
	tt.t.mu.Unlock()
	return tt.next.RoundTrip(req)
}

// phases sums the hops into blackbox_exporter's phases.
func (t *tracer) phases(end time.Time) (ph [len(phaseNames)]float64, dns float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	span := func(a, b time.Time) float64 {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return b.Sub(a).Seconds()
	}
	for i, h := range t.hops {
		hEnd := h.end
		if hEnd.IsZero() {
			hEnd = end
		}
		ph[phaseResolve] += span(h.dnsStart, h.dnsDone)
		ph[phaseConnect] += span(h.connectStart, h.connectDone)
		ph[phaseTLS] += span(h.tlsStart, h.tlsDone)
		ph[phaseProcessing] += span(h.gotConn, h.firstByte)
		ph[phaseTransfer] += span(h.firstByte, hEnd)
		if i == 0 {
			dns = span(h.dnsStart, h.dnsDone)
		}
	}
	return ph, dns
}

// probeHTTP sends the module's request and reads the answer into r.
func (p *Prober) probeHTTP(ctx context.Context, req Request, m *module, r *Result, logger *probeLog) {
	hc := &m.cfg.HTTP
	var body io.Reader
	if hc.Body != "" {
		body = strings.NewReader(hc.Body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, hc.Method, req.URL.String(), body)
	if err != nil {
		logger.Error("Error creating request", "err", err)
		r.fail("invalid request: " + err.Error())
		return
	}
	for k, v := range hc.Headers {
		if strings.EqualFold(k, "Host") {
			httpReq.Host = v
			continue
		}
		httpReq.Header.Set(k, v)
	}
	if httpReq.Header.Get("User-Agent") == "" {
		httpReq.Header.Set("User-Agent", m.userAgent)
	}
	if m.accept != "" && httpReq.Header.Get("Accept") == "" {
		httpReq.Header.Set("Accept", m.accept)
	}
	if hc.Compression != "" && httpReq.Header.Get("Accept-Encoding") == "" {
		httpReq.Header.Set("Accept-Encoding", hc.Compression)
	}

	tr := &tracer{}
	httpReq = httpReq.WithContext(httptrace.WithClientTrace(withPolicy(ctx, req.Policy), tr.clientTrace()))
	client := &http.Client{
		Transport: tracingTransport{next: m.rt, t: tr},
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			r.Redirects = len(via)
			logger.Info("Received redirect", "location", next.URL.String())
			if !hc.HTTPClientConfig.FollowRedirects {
				logger.Info("Not following redirect: follow_redirects is false")
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if err := checkRedirectAllowed(req.Policy, next.URL); err != nil {
				return err
			}
			return nil
		},
	}

	logger.Info("Making HTTP request", "url", req.URL.String(), "host", httpReq.Host, "method", hc.Method)
	resp, err := client.Do(httpReq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		logger.Error("Error for HTTP request", "err", err)
		r.fail("request failed: " + err.Error())
		r.Phases, r.DNSLookup = tr.phases(time.Now())
		return
	}
	defer func() { _ = resp.Body.Close() }()
	r.Response = true
	r.StatusCode = resp.StatusCode
	r.ContentLength = resp.ContentLength
	r.HTTPVersion = protoVersion(resp)
	logger.Info("Received HTTP response", "status_code", resp.StatusCode, "proto", resp.Proto)
	if !statusOK(hc.ValidStatusCodes, resp.StatusCode) {
		want := "any 2xx"
		if len(hc.ValidStatusCodes) > 0 {
			want = fmt.Sprint(hc.ValidStatusCodes)
		}
		logger.Info("Invalid HTTP response status code", "status_code", resp.StatusCode, "want", want)
		r.fail(fmt.Sprintf("status code %d, want %s", resp.StatusCode, want))
	}

	// Decide before reading whether the body must be kept whole.
	s := m.scanner()
	defer m.releaseScanner(s)
	s.limit = int64(hc.BodySizeLimit)
	if m.djangoLit >= 0 {
		for i := range djangoMarkers {
			s.literals[m.djangoLit+i].off = !markerMatters(i, resp.StatusCode)
		}
	}
	contentType := resp.Header.Get("Content-Type")
	readHealth := m.cfg.Django.HealthCheck != config.HealthCheckNone && mayBeHealthAnswer(contentType)
	if m.keepBody || readHealth {
		s.keep = keepLimit(s.limit)
	}
	encoding := resp.Header.Get("Content-Encoding")
	if encoding == "" || strings.EqualFold(encoding, "identity") {
		s.sizeHint = resp.ContentLength
	}
	var scan bodyScan
	if decoded, done, err := decodeBody(resp.Body, encoding); err != nil {
		scan.err = err
	} else {
		scan = s.scan(decoded)
		done()
	}
	defer releaseCopy(&scan)
	end := time.Now()
	if scan.err != nil {
		logger.Error("Failed to read HTTP response body", "err", scan.err, "bytes_read", scan.n)
		r.fail("reading body: " + scan.err.Error())
	}
	r.BodyLength = scan.n
	r.ContentHash = scan.sum
	r.Phases, r.DNSLookup = tr.phases(end)
	if tr.remoteAddr != nil {
		r.IPProtocol = ipProtocol(tr.remoteAddr)
	}
	if resp.TLS != nil {
		r.TLS = tlsInfo(resp.TLS)
		logger.Info("TLS connection", "version", r.TLS.Version, "earliest_cert_expiry", r.TLS.EarliestExpiry)
	}

	found := make([]bool, len(s.literals))
	for i, l := range s.literals {
		found[i] = l.found
	}
	a := &answer{header: resp.Header, scan: scan, found: found, elapsed: end.Sub(tr.hops[0].start), tls: r.TLS, now: end}

	if m.djangoLit >= 0 {
		v := detectDjango(found[m.djangoLit:m.djangoLit+len(djangoMarkers)], resp.StatusCode)
		r.DebugPage = v.debug && m.cfg.Django.DetectDebug
		r.DisallowedHost = v.disallowedHost && m.cfg.Django.DetectDisallowedHost
		if r.DebugPage {
			logger.Error("Django DEBUG page exposed", "detail", v.why)
			r.fail("DEBUG = True: " + v.why)
		}
		if r.DisallowedHost {
			logger.Error("Django refused the Host header", "host", httpReq.Host, "detail", v.why)
			r.fail("ALLOWED_HOSTS: " + v.why)
		}
	}

	if readHealth {
		p.readHealthChecks(m, contentType, a, r, logger)
	}

	for i, c := range m.cfg.Checks {
		cr := a.evaluate(c, m.checkLit[i])
		r.Checks = append(r.Checks, cr)
		if cr.OK {
			continue // the checks are listed with their reasons anyway
		}
		logger.Error("Check failed", "check", cr.Name, "type", cr.Type, "detail", cr.Reason)
		r.fail(fmt.Sprintf("check %s failed: %s", cr.Name, cr.Reason))
		switch cr.Type {
		case config.CheckKeyword, config.CheckForbidKeyword, config.CheckRegex, config.CheckForbidRegex:
			r.RegexFailed = true
		}
	}
}

func (p *Prober) readHealthChecks(m *module, contentType string, a *answer, r *Result, logger *probeLog) {
	mode := m.cfg.Django.HealthCheck
	if !a.scan.copied {
		if mode != config.HealthCheckAuto {
			r.fail("health check: body not read in full")
		}
		return
	}
	format, backends, err := parseHealthCheck(mode, contentType, a.scan.copy, a.json)
	if err != nil {
		logger.Error("Could not read the health-check answer", "err", err)
		r.fail("health check: " + err.Error())
		return
	}
	if format == "" {
		return
	}
	backends, dropped := limitBackends(backends)
	r.HealthFormat, r.HealthChecks = format, backends
	logger.Info("Read health-check answer", "format", format, "backends", len(backends))
	if dropped > 0 {
		logger.Warn("Too many health-check backends; the rest are not exported", "kept", len(backends), "dropped", dropped)
	}
	for _, b := range backends {
		if !b.Up {
			logger.Error("Health-check backend down", "check", b.Name, "status", b.Message)
			r.fail(fmt.Sprintf("health-check backend %q down: %s", b.Name, b.Message))
		}
	}
}

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
	for _, v := range valid {
		if v == code {
			return true
		}
	}
	return false
}

// protoVersion is 1.1 for HTTP/1.1, 2 for HTTP/2.
func protoVersion(resp *http.Response) float64 {
	return float64(resp.ProtoMajor) + float64(resp.ProtoMinor)/10
}

func ipProtocol(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.To4() == nil {
		return 6
	}
	return 4
}
