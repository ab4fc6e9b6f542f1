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
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

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
	tlsErr     error // of the last handshake
}

// tlsFailed reports whether a TLS handshake of the probe failed.
func (t *tracer) tlsFailed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tlsErr != nil
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
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			t.set(func(h *hop) { h.tlsDone = time.Now() })
			t.mu.Lock()
			t.tlsErr = err
			t.mu.Unlock()
		},
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
