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
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// A module with django.login logs in after the probe's own request, as a
// person would, in four steps that each have their time in
// probe_django_login_duration_seconds{step}:
//
//   - page: GET the login page; keep the CSRF cookie and the form's
//     csrfmiddlewaretoken;
//   - submit: POST the form (username, password, the token, next), with
//     the Referer Django's CSRF check wants over HTTPS; a redirect is a
//     login, the form again is a refusal;
//   - landing: follow the redirect with the session cookie and look for
//     the expected keyword;
//   - logout: POST the logout URL, so that a probe every 15 s does not
//     leave 5,760 session rows a day.
//
// One POST per probe: a wrong password is tried once, never retried, so
// a throttle like django-axes counts one failure per scrape interval.
// The password goes into the POST body and nowhere else: no log line, no
// failure message and no field of the Result holds it.

// loginSteps name the steps, in the order they run.
var loginSteps = [...]string{"page", "submit", "landing", "logout"}

const (
	stepPage = iota
	stepSubmit
	stepLanding
	stepLogout
)

// loginBodyLimit is how much of a page the login reads; the CSRF token
// and the keyword must be within it.
const loginBodyLimit = 1 << 20

// maxLandingRedirects bounds the redirects followed after the login.
const maxLandingRedirects = 5

// LoginResult is what the login of a probe found.
type LoginResult struct {
	Success bool
	// Step is the step that failed ("" when none did); Detail says what
	// went wrong, for people.
	Step   string
	Detail string
	// Durations are each step's seconds, in loginSteps order.
	Durations [len(loginSteps)]float64
	// Landed is the page after login (redacted).
	Landed string
	// LoggedOut is set when the logout was answered as Django answers
	// one; Logout says what happened.
	LoggedOut bool
	Logout    string
}

// loginError is a failed step.
type loginError struct {
	step int
	msg  string
}

func (e *loginError) Error() string { return e.msg }

func stepFailed(step int, format string, args ...any) error {
	return &loginError{step: step, msg: fmt.Sprintf(format, args...)}
}

// csrfInput finds the form's hidden CSRF field, csrfValue its value.
var (
	csrfInput = regexp.MustCompile(`(?is)<input\b[^>]*\bname\s*=\s*["']?csrfmiddlewaretoken\b[^>]*>`)
	csrfValue = regexp.MustCompile(`(?is)\bvalue\s*=\s*["']?([A-Za-z0-9]+)`)
)

// login performs the module's login against the target, into r.
func (m *module) login(ctx context.Context, req Request, r *Result, log *probeLog) {
	lc := m.cfg.Django.Login
	s := &loginSession{m: m, req: req, log: log, jar: cookieJar{}, res: &LoginResult{}}
	r.Login = s.res
	s.client = &http.Client{
		Transport:     m.rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx = withPolicy(ctx, req.Policy)
	s.secret = lc.Password()
	err := s.logIn(ctx, lc)
	if le, ok := errors.AsType[*loginError](err); ok {
		s.res.Step, s.res.Detail = loginSteps[le.step], text.Cut(s.scrub(le.msg), keepTextBytes)
		log.Error("Login failed", "step", s.res.Step, "detail", s.res.Detail)
		r.fail(ReasonLogin, "login failed at "+s.res.Step+": "+s.res.Detail)
		return
	}
	s.res.Success = true
	log.Info("Logged in", "landed", s.res.Landed)
	if lc.LogoutURL != config.LogoutNone {
		s.logOut(ctx, lc)
	}
}

// loginSession is one login: its client, cookies and what it found.
type loginSession struct {
	m      *module
	req    Request
	log    *probeLog
	client *http.Client
	jar    cookieJar
	res    *LoginResult
	// token is the last CSRF token a form or cookie offered.
	token string
	// secret is the password: scrub takes it out of every text the login
	// shows or logs, even where the site echoes it in a URL.
	secret string
}

// scrub replaces the password in a text, as sent and as a URL's query or
// path carries it, with <secret>.
func (s *loginSession) scrub(t string) string {
	if s.secret == "" {
		return t
	}
	for _, form := range []string{s.secret, url.QueryEscape(s.secret), url.PathEscape(s.secret)} {
		t = strings.ReplaceAll(t, form, "<secret>")
	}
	return t
}

// url is a URL as the login shows and logs it: redacted, scrubbed.
func (s *loginSession) url(u *url.URL) string { return s.scrub(config.RedactedURL(u)) }

func (s *loginSession) logIn(ctx context.Context, lc *config.DjangoLogin) error {
	page, err := s.resolve(lc.URL)
	if err != nil {
		return stepFailed(stepPage, "%v", err)
	}
	if lc.Next != "" {
		q := page.Query()
		q.Set("next", lc.Next)
		page.RawQuery = q.Encode()
	}
	if err := s.fetchPage(ctx, page, lc); err != nil {
		return err
	}
	landing, err := s.submit(ctx, page, lc)
	if err != nil {
		return err
	}
	return s.land(ctx, page, landing, lc)
}

// fetchPage GETs the login page and takes its CSRF token.
func (s *loginSession) fetchPage(ctx context.Context, page *url.URL, lc *config.DjangoLogin) error {
	defer s.timed(stepPage)()
	s.log.Info("Fetching the login page", "url", s.url(page))
	resp, err := s.send(ctx, http.MethodGet, page, nil)
	if err != nil {
		return stepFailed(stepPage, "GET %s: %v", lc.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case isRedirect(resp.StatusCode):
		return stepFailed(stepPage, "the login page %s redirected to %s (it moved?)", lc.URL, s.location(resp))
	case resp.StatusCode == http.StatusNotFound:
		return stepFailed(stepPage, "the login page %s answered 404 (it moved?)", lc.URL)
	case resp.StatusCode != http.StatusOK:
		return stepFailed(stepPage, "the login page %s answered %d", lc.URL, resp.StatusCode)
	}
	token, _, err := scanPage(resp)
	if err != nil {
		return stepFailed(stepPage, "reading the login page: %v", err)
	}
	if token == "" {
		return stepFailed(stepPage, "no CSRF token on the login page %s (no csrfmiddlewaretoken field in its first %d KiB)", lc.URL, loginBodyLimit>>10)
	}
	s.token = token
	return nil
}

// submit POSTs the login form and returns where Django sent the probe.
func (s *loginSession) submit(ctx context.Context, page *url.URL, lc *config.DjangoLogin) (*url.URL, error) {
	defer s.timed(stepSubmit)()
	form := url.Values{"csrfmiddlewaretoken": {s.token}, "username": {lc.Username}, "password": {lc.Password()}}
	if lc.Next != "" {
		form.Set("next", lc.Next)
	}
	s.log.Info("Submitting the login form", "url", s.url(page), "username", lc.Username)
	resp, err := s.send(ctx, http.MethodPost, page, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, stepFailed(stepSubmit, "POST %s: %v", lc.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	s.log.Info("Login form answered", "status_code", resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return nil, stepFailed(stepSubmit, "%s", csrfRefusal(resp))
	case resp.StatusCode == http.StatusOK:
		return nil, stepFailed(stepSubmit, "the login form answered again (200): wrong username or password, or the account %q is inactive (the admin also wants is_staff)", lc.Username)
	case !isRedirect(resp.StatusCode):
		return nil, stepFailed(stepSubmit, "the login form answered %d", resp.StatusCode)
	}
	next, err := s.redirectTarget(resp)
	if err != nil {
		return nil, stepFailed(stepSubmit, "%v", err)
	}
	if next.Path == page.Path {
		return nil, stepFailed(stepSubmit, "the login form redirected back to itself (%s)", s.url(next))
	}
	if lc.Next != "" {
		want, _ := url.Parse(lc.Next)
		if want.Path != next.Path {
			return nil, stepFailed(stepSubmit, "the login redirected to %s, not to next %s", text.Cut(s.scrub(next.Path), 200), lc.Next)
		}
	}
	return next, nil
}

// land follows the redirect after login with the session cookie and
// looks for the expected keyword.
func (s *loginSession) land(ctx context.Context, page, u *url.URL, lc *config.DjangoLogin) error {
	defer s.timed(stepLanding)()
	for range maxLandingRedirects {
		s.log.Info("Fetching the page after login", "url", s.url(u))
		resp, err := s.send(ctx, http.MethodGet, u, nil)
		if err != nil {
			return stepFailed(stepLanding, "GET %s: %v", s.url(u), err)
		}
		if isRedirect(resp.StatusCode) {
			next, err := s.redirectTarget(resp)
			_ = resp.Body.Close()
			switch {
			case err != nil:
				return stepFailed(stepLanding, "%v", err)
			case next.Path == page.Path:
				return stepFailed(stepLanding, "the session was not kept: the page after login (%s) sent the probe back to the login page (the session backend, its cache or database, or SESSION_COOKIE_* settings)", s.url(u))
			}
			u = next
			continue
		}
		s.res.Landed = text.Cut(s.url(u), keepTextBytes)
		if resp.StatusCode != http.StatusOK {
			_ = resp.Body.Close()
			return stepFailed(stepLanding, "the page after login (%s) answered %d", s.res.Landed, resp.StatusCode)
		}
		token, found, err := scanPage(resp, lc.Expect)
		_ = resp.Body.Close()
		if token != "" {
			s.token = token
		}
		switch {
		case err != nil:
			return stepFailed(stepLanding, "reading the page after login: %v", err)
		case !found[0]:
			return stepFailed(stepLanding, "%q is not on the page after login (%s)", lc.Expect, s.res.Landed)
		}
		return nil
	}
	return stepFailed(stepLanding, "more than %d redirects after the login", maxLandingRedirects)
}

// logOut POSTs the logout URL with the CSRF token; a failure is logged and
// shown, and does not fail the probe (the login worked).
func (s *loginSession) logOut(ctx context.Context, lc *config.DjangoLogin) {
	defer s.timed(stepLogout)()
	u, err := s.resolve(lc.LogoutURL)
	if err != nil {
		s.res.Logout = err.Error()
		return
	}
	// Django rotates the CSRF secret at login: the cookie it set then is
	// the token (a form on the page after login would do as well).
	token := s.token
	if c := s.jar["csrftoken"]; c != "" {
		token = c
	}
	s.log.Info("Logging out", "url", s.url(u))
	form := url.Values{"csrfmiddlewaretoken": {token}}
	resp, err := s.send(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		s.res.Logout = text.Cut(s.scrub("POST "+lc.LogoutURL+": "+err.Error()), keepTextBytes)
		s.log.Warn("Logout failed: the session stays until it expires", "err", s.scrub(err.Error()))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, loginBodyLimit))
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusOK || isRedirect(resp.StatusCode) {
		s.res.LoggedOut = true
		s.res.Logout = fmt.Sprintf("logged out (%d)", resp.StatusCode)
		s.log.Info("Logged out", "status_code", resp.StatusCode)
		return
	}
	s.res.Logout = fmt.Sprintf("the logout %s answered %d: the session stays until it expires", lc.LogoutURL, resp.StatusCode)
	s.log.Warn("Logout failed: the session stays until it expires", "status_code", resp.StatusCode)
}

// send makes one request of the login with the module's headers, the
// session's cookies and, for a POST, the form and its Referer.
func (s *loginSession) send(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Response, error) {
	if err := checkRedirectAllowed(s.req.Policy, u); err != nil {
		return nil, err
	}
	r := s.req
	r.URL = u
	httpReq, err := s.m.newRequest(ctx, r, method, body)
	if err != nil {
		return nil, err
	}
	if s.m.cfg.HTTP.Headers["Accept"] == "" {
		httpReq.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	}
	if body != nil {
		httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// The Referer Django's CSRF check accepts over HTTPS: the page
		// itself, on the host the request names (hostname:, a Host header).
		ref := *u
		ref.Host, ref.User = httpReq.Host, nil
		httpReq.Header.Set("Referer", ref.String())
	}
	if s.offSite(u) {
		// A redirect took the login to another host: nothing of the
		// site's goes there. No cookies, no secret header of the module,
		// and, seen as the cross-host redirect it is, no basic_auth or
		// authorization from the module's round trippers (common's, and
		// ours for http_headers, skip those).
		for name := range httpReq.Header {
			if config.SensitiveHeader(name) || strings.EqualFold(name, "Authorization") {
				httpReq.Header.Del(name)
			}
		}
		httpReq.Response = &http.Response{Request: &http.Request{URL: s.req.URL}}
	} else {
		s.jar.apply(httpReq)
	}
	resp, err := s.client.Do(httpReq)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, err
	}
	if !s.offSite(u) {
		s.jar.update(resp, time.Now())
	}
	return resp, nil
}

// offSite reports whether u is on another host than the target (its
// subdomains are the target's, as for a redirect of the probe itself).
func (s *loginSession) offSite(u *url.URL) bool {
	host, orig := strings.ToLower(u.Hostname()), strings.ToLower(s.req.URL.Hostname())
	return host != orig && !strings.HasSuffix(host, "."+orig)
}

// resolve makes a configured path a URL on the target.
func (s *loginSession) resolve(ref string) (*url.URL, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	return s.req.URL.ResolveReference(u), nil
}

func (s *loginSession) location(resp *http.Response) string {
	return text.Cut(s.scrub(resp.Header.Get("Location")), 200)
}

// redirectTarget is a redirect's Location, resolved against the request.
func (s *loginSession) redirectTarget(resp *http.Response) (*url.URL, error) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, loginBodyLimit))
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("a %d without a Location", resp.StatusCode)
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("bad Location %q", text.Cut(s.scrub(loc), 200))
	}
	return u, nil
}

// timed starts a step's clock; the returned func stops it.
func (s *loginSession) timed(step int) func() {
	start := time.Now()
	return func() { s.res.Durations[step] = time.Since(start).Seconds() }
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// csrfRefusal says why a login POST got 403, from Django's CSRF failure
// page when it is one.
func csrfRefusal(resp *http.Response) string {
	_, found, _ := scanPage(resp, "CSRF verification failed", "requires a CSRF cookie", "Referer")
	switch {
	case !found[0]:
		return "the login form answered 403 without Django's CSRF page: a throttle (django-axes locks an account after failures) or a proxy refused it"
	case found[1]:
		return "CSRF verification failed (403): the CSRF cookie did not come back (expired, CSRF_COOKIE_SECURE on plain HTTP, or CSRF_COOKIE_DOMAIN another host's)"
	case found[2]:
		return "CSRF verification failed (403): Django refused the Referer (over HTTPS the target's hostname must be the site's, or in CSRF_TRUSTED_ORIGINS)"
	}
	return "CSRF verification failed (403): the token did not match the cookie"
}

// scanPage reads at most loginBodyLimit of a page, in chunks, for the
// form's CSRF token and keywords. A window of the last bytes is kept, so
// that neither is missed across two chunks.
func scanPage(resp *http.Response, keywords ...string) (token string, found []bool, err error) {
	found = make([]bool, len(keywords))
	body, done, err := decodeBody(io.LimitReader(resp.Body, loginBodyLimit), resp.Header.Get("Content-Encoding"))
	if err != nil {
		return "", found, err
	}
	defer done()
	const overlap = 2 << 10
	chunk := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(chunk)
	window := make([]byte, 0, overlap+len(*chunk))
	for {
		n, rerr := body.Read(*chunk)
		window = append(window, (*chunk)[:n]...)
		if token == "" {
			if tag := csrfInput.Find(window); tag != nil {
				if m := csrfValue.FindSubmatch(tag); m != nil {
					token = string(m[1])
				}
			}
		}
		for i, k := range keywords {
			found[i] = found[i] || bytes.Contains(window, []byte(k))
		}
		if rerr == io.EOF {
			return token, found, nil
		}
		if rerr != nil {
			return token, found, rerr
		}
		if len(window) > overlap {
			window = append(window[:0], window[len(window)-overlap:]...)
		}
	}
}

// cookieJar keeps a login's cookies by name. The probe talks to one site,
// often by address with another Host header, where net/http/cookiejar
// would match cookies to the address, not to the site: every cookie the
// site set is sent back, until it expires or the site deletes it.
//
// It is bounded, and linear: a login page that set 2,900 cookies of
// 3.3 KB made a 1 s probe run 8.7 s (resp.Cookies() and AddCookie one at
// a time are quadratic). At most maxCookies are read from an answer and
// kept, of at most maxCookieBytes each; a Django login sets two.
type cookieJar map[string]string

const (
	maxCookies     = 32
	maxCookieBytes = 4096
)

func (j cookieJar) update(resp *http.Response, now time.Time) {
	lines := resp.Header["Set-Cookie"]
	for _, line := range lines[:min(len(lines), maxCookies)] {
		if len(line) > maxCookieBytes {
			continue
		}
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		if c.MaxAge < 0 || !c.Expires.IsZero() && !c.Expires.After(now) && c.MaxAge == 0 {
			delete(j, c.Name)
			continue
		}
		if _, kept := j[c.Name]; kept || len(j) < maxCookies {
			j[c.Name] = c.Value
		}
	}
}

// apply sets the Cookie header, in one piece.
func (j cookieJar) apply(r *http.Request) {
	if len(j) == 0 {
		return
	}
	names := make([]string, 0, len(j))
	for n := range j {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString((&http.Cookie{Name: n, Value: j[n]}).String())
	}
	r.Header.Set("Cookie", b.String())
}
