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
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// A probe may send two more requests after its own, with the module's
// settings but no redirects, each read only for Django's markers:
//
//   - the debug canary (django.debug_canary) asks for a path that cannot
//     exist: a DEBUG=True site answers with its technical 404 page, which
//     a page answering 200 never shows;
//   - the forged Host (django.check_allowed_hosts) asks for the target
//     with a Host header no site has: a site with ALLOWED_HOSTS = ['*']
//     answers it as if it were its own.

// forgedHost is the Host header no site has (.invalid is reserved, RFC 2606).
const forgedHost = "django-health-exporter-forged-host.invalid"

// sideBodyLimit bounds what a side request reads.
const sideBodyLimit = 1 << 20

// sideLiterals are what a side request's body is scanned for: Django's
// markers, whose handles are sideMarkers.
var (
	sideLiterals literalSet
	sideMarkers  = addMarkers(&sideLiterals)
	sideScanners = sync.Pool{New: func() any { return sideLiterals.scanner() }}
)

// sideAnswer is what a side request got: its status and what Django's
// markers say.
type sideAnswer struct {
	status  int
	verdict djangoVerdict
}

// side sends a side request for u, with host as the Host header ("" for
// the probe's own).
func (m *module) side(ctx context.Context, req Request, u *url.URL, host string) (sideAnswer, error) {
	r := req
	r.URL = u
	httpReq, err := m.buildRequest(ctx, r)
	if err != nil {
		return sideAnswer{}, err
	}
	if host != "" {
		httpReq.Host = host
	}
	client := &http.Client{
		Transport:     m.rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(httpReq.WithContext(withPolicy(ctx, req.Policy)))
	if err != nil {
		return sideAnswer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	s := sideScanners.Get().(*scanner)
	defer sideScanners.Put(s)
	s.limit = sideBodyLimit
	sideMarkers.prepare(s, resp.StatusCode)
	var hits [len(djangoMarkers)]bool
	if body, done, err := decodeBody(resp.Body, resp.Header.Get("Content-Encoding")); err == nil {
		scan := s.scan(body)
		done()
		if scan.err != nil && !errors.Is(scan.err, errBodyTooLarge) {
			return sideAnswer{status: resp.StatusCode}, scan.err
		}
		hits = sideMarkers.hits(s.found())
	}
	return sideAnswer{status: resp.StatusCode, verdict: detectDjango(hits[:], resp.StatusCode)}, nil
}

// sideRequests sends the module's side requests, if any, after the
// probe's own request was answered.
func (m *module) sideRequests(ctx context.Context, req Request, r *Result, log *probeLog) {
	if !r.Response {
		return
	}
	if m.cfg.Django.DebugCanary {
		m.debugCanary(ctx, req, r, log)
	}
	if m.cfg.Django.CheckAllowedHosts {
		m.forgedHost(ctx, req, r, log)
	}
	if m.cfg.Django.Login != nil {
		m.login(ctx, req, r, log)
	}
}

func (m *module) debugCanary(ctx context.Context, req Request, r *Result, log *probeLog) {
	key := req.URL.Scheme + "://" + req.URL.Host + "|" + req.Hostname
	if c, ok := m.canaries.get(key, time.Now()); ok {
		// Asked less than a minute ago: the site's DEBUG setting does not
		// change between two scrapes, and a request every 15 s for a page
		// that cannot exist would fill its 404 logs.
		answer := *c.answer
		answer.Detail = fmt.Sprintf("%s (asked %s ago; the canary asks at most once a minute)", answer.Detail, text.Duration(time.Since(c.at)))
		r.Canary = &answer
		r.DetectDebug = true
		if !answer.Passed {
			r.DebugPage = true
			r.fail(ReasonDebugPage, c.failure)
		}
		return
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	u := &url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: "/django-health-exporter-canary-" + hex.EncodeToString(b[:]) + "/"}
	log.Info("Asking for a path that cannot exist (debug_canary)", "url", u.String())
	a, err := m.side(ctx, req, u, "")
	r.Canary = &SideAnswer{URL: u.String(), Status: a.status, Passed: true}
	switch {
	case err != nil:
		r.Canary.Detail = "the canary request failed: " + err.Error()
		log.Warn("Debug canary request failed", "err", err)
		return // not kept: asked again at the next probe
	case a.verdict.debug:
		r.Canary.Passed, r.Canary.Detail = false, a.verdict.debugWhy
		r.DetectDebug, r.DebugPage = true, true
		log.Error("Django DEBUG page exposed on a path that cannot exist", "status_code", a.status, "detail", a.verdict.debugWhy)
		r.fail(ReasonDebugPage, fmt.Sprintf("DEBUG = True: a path that cannot exist (%s) answered %d with %s", u.Path, a.status, a.verdict.debugWhy))
	default:
		r.Canary.Detail = fmt.Sprintf("answered %d without a DEBUG page", a.status)
		r.DetectDebug = true
	}
	failure := ""
	if !r.Canary.Passed {
		failure = r.Failures[len(r.Failures)-1].Message
	}
	m.canaries.put(key, canaryAnswer{answer: r.Canary, failure: failure, at: time.Now()})
}

// canaryEvery is how often the debug canary asks a site: at most once a
// minute, whatever the scrape interval.
const canaryEvery = time.Minute

// maxCanaries bounds the sites whose canary answer a module keeps.
const maxCanaries = 4096

// canaryAnswer is a kept answer of the debug canary.
type canaryAnswer struct {
	answer  *SideAnswer
	failure string
	at      time.Time
}

// canaryCache keeps each site's last canary answer for canaryEvery.
type canaryCache struct {
	mu      sync.Mutex
	answers map[string]canaryAnswer
}

func (c *canaryCache) get(key string, now time.Time) (canaryAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	return a, ok && now.Sub(a.at) < canaryEvery
}

func (c *canaryCache) put(key string, a canaryAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil || len(c.answers) >= maxCanaries {
		c.answers = map[string]canaryAnswer{} // bounded: start over
	}
	c.answers[key] = a
}

func (m *module) forgedHost(ctx context.Context, req Request, r *Result, log *probeLog) {
	log.Info("Sending a forged Host header (check_allowed_hosts)", "host", forgedHost)
	a, err := m.side(ctx, req, req.URL, forgedHost)
	r.AllowedHosts = &SideAnswer{URL: config.RedactedURL(req.URL), Host: forgedHost, Status: a.status}
	switch {
	case err != nil:
		// No answer to a forged host is a refusal too (a proxy that drops
		// unknown hosts), but say so.
		r.AllowedHosts.Passed, r.AllowedHosts.Detail = true, "no answer to the forged Host: "+err.Error()
	case a.verdict.disallowedHost:
		r.AllowedHosts.Passed, r.AllowedHosts.Detail = true, fmt.Sprintf("refused with %d: %s", a.status, a.verdict.hostWhy)
	case a.status >= 400:
		r.AllowedHosts.Passed, r.AllowedHosts.Detail = true, fmt.Sprintf("refused with %d (by Django or a proxy in front of it)", a.status)
	default:
		r.AllowedHosts.Detail = fmt.Sprintf("answered %d: ALLOWED_HOSTS does not refuse unknown hosts (is it ['*']?)", a.status)
		log.Error("A forged Host header was answered", "host", forgedHost, "status_code", a.status)
		r.fail(ReasonAllowedHostsNotEnforced, fmt.Sprintf("ALLOWED_HOSTS not enforced: a request with Host: %s %s", forgedHost, r.AllowedHosts.Detail))
	}
}
