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

package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
	"github.com/django-health/django_health_exporter/probe"
)

func TestHumanDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Second:                 "42s",
		12*time.Minute + 5*time.Second:   "12m",
		time.Hour:                        "1h",
		5*time.Hour + 3*time.Minute:      "5h 3m",
		47*time.Hour + 59*time.Minute:    "47h 59m",
		48 * time.Hour:                   "2d",
		76*time.Hour + 20*time.Minute:    "3d 4h",
		20000*time.Hour + 30*time.Minute: "833d 8h",
	} {
		if got := text.Duration(d); got != want {
			t.Errorf("text.Duration(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Now()
	if got := relative(time.Time{}, now); got != "never" {
		t.Errorf("a zero time: %q", got)
	}
	if got := relative(now.Add(3*time.Hour), now); got != "in 3h" {
		t.Errorf("in three hours: %q", got)
	}
}

// Current keeps every configured target (probed or not), failing first,
// and a bounded number of ad-hoc ones, with bounded strings.
func TestCurrentTargets(t *testing.T) {
	cfg, err := config.Load([]byte(`
targets:
  - {name: b-up, url: "http://127.0.0.1:1/"}
  - {name: c-never, url: "http://127.0.0.1:2/"}
  - {name: d-failing, url: "http://127.0.0.1:3/"}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := NewCurrent(3)
	start := time.Now()
	c.Observe(&probe.Result{ID: 1, Target: "b-up", Module: "django", Success: true, Start: start}, true)
	c.Observe(&probe.Result{ID: 2, Target: "d-failing", Module: "django", Start: start,
		Failures: []probe.Failure{{Reason: "tls", Message: "x509: expired"}, {Reason: "tls", Message: "again"}}}, true)
	for i := range 5 {
		c.Observe(&probe.Result{ID: uint64(10 + i), Target: fmt.Sprintf("http://adhoc-%d/%s", i, strings.Repeat("x", 5000)),
			Module: "django", Success: true, Start: start.Add(time.Duration(i) * time.Second)}, false)
	}
	states := c.States(cfg)
	var order []string
	for _, s := range states {
		order = append(order, s.Target[:min(len(s.Target), 16)])
		if len(s.Target) > maxStateTarget+len("…") {
			t.Errorf("a target of %d bytes kept", len(s.Target))
		}
	}
	want := "d-failing,c-never,b-up,http://adhoc-2/x,http://adhoc-3/x,http://adhoc-4/x"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	if s := states[0]; strings.Join(s.Reasons, ",") != "tls" || s.URL != "http://127.0.0.1:3/" {
		t.Errorf("the failing target: %+v", s)
	}
	// A target the configuration drops is forgotten.
	cfg2, _ := config.Load([]byte("targets:\n  - {name: c-never, url: \"http://127.0.0.1:2/\"}\n"))
	for _, s := range c.States(cfg2) {
		if s.Target == "d-failing" || s.Target == "b-up" {
			t.Errorf("%s is still listed after it left the configuration", s.Target)
		}
	}
}

func TestHeartbeatRowsWorstFirst(t *testing.T) {
	var views []collector.HeartbeatView
	for i, st := range []collector.State{"up", "new", "down", "running", "late", "failed", "up"} {
		views = append(views, collector.HeartbeatView{Name: fmt.Sprintf("h%d", i), State: st})
	}
	for i := range maxUpHeartbeats + 5 {
		views = append(views, collector.HeartbeatView{Name: fmt.Sprintf("many-%04d", i), State: "up"})
	}
	rows, hidden, summary := heartbeatRows(views)
	var states []string
	for _, r := range rows[:7] {
		states = append(states, string(r.State))
	}
	if got := strings.Join(states, ","); got != "down,failed,late,running,new,up,up" {
		t.Errorf("order %s", got)
	}
	if hidden != 7 || len(rows) != 5+maxUpHeartbeats {
		t.Errorf("%d rows, %d hidden", len(rows), hidden)
	}
	if fmt.Sprint(summary) != fmt.Sprintf("[{1 down bad} {1 failed bad} {1 late warn} {1 running ok} {1 new warn} {%d up ok}]", maxUpHeartbeats+7) {
		t.Errorf("summary %v", summary)
	}
}

// Failing targets are listed worst first: an unreachable site before a
// failed check, then the one failing longest.
func TestFailingTargetsWorstFirst(t *testing.T) {
	c := NewCurrent(10)
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	failing := func(target, reason string, at time.Time) *probe.Result {
		return &probe.Result{Target: target, Module: "django", Start: at, Failures: []probe.Failure{{Reason: reason}}}
	}
	c.Observe(failing("http://c.test/", probe.ReasonCheck, t0), false)
	c.Observe(&probe.Result{Target: "http://up.test/", Module: "django", Start: t0, Success: true}, false)
	c.Observe(failing("http://a.test/", probe.ReasonCheck, t0.Add(time.Minute)), false)
	c.Observe(failing("http://b.test/", probe.ReasonConnect, t0.Add(2*time.Minute)), false)
	// c fails again later: it has failed since t0 all the same.
	c.Observe(failing("http://c.test/", probe.ReasonCheck, t0.Add(3*time.Minute)), false)
	var order []string
	for _, s := range c.States(&config.Config{}) {
		order = append(order, s.Target)
	}
	if got := strings.Join(order, " "); got != "http://b.test/ http://c.test/ http://a.test/ http://up.test/" {
		t.Errorf("order: %s", got)
	}
}

// The status page shows the release of each target and heartbeat, marks
// the ones that differ from the most common, and lists a failing
// target's broken static assets.
func TestStatusPageShowsReleasesAndBrokenAssets(t *testing.T) {
	cfg, err := config.Load([]byte("targets:\n  - {name: shop, url: \"http://127.0.0.1:1/\"}\n  - {name: blog, url: \"http://127.0.0.1:2/\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewCurrent(3)
	now := time.Now()
	c.Observe(&probe.Result{ID: 1, Target: "shop", Module: "django", Start: now, Release: "r2",
		Failures: []probe.Failure{{Reason: probe.ReasonStatic, Message: "1 of 3 static assets broken"}},
		Assets:   &probe.AssetsResult{Checked: 3, Broken: []probe.Asset{{URL: "http://127.0.0.1:1/static/site.3f2a.css", Kind: "stylesheet", Status: 404, Why: "answered 404"}}}}, true)
	c.Observe(&probe.Result{ID: 2, Target: "blog", Module: "django", Start: now, Success: true, Release: "r2"}, true)
	page := &StatusPage{Current: c, Config: func() *config.Config { return cfg }, Heartbeats: func() []collector.HeartbeatView {
		return []collector.HeartbeatView{
			{Name: "celery-beat", State: collector.StateUp, Release: "r2"},
			{Name: "celery-worker@w1", State: collector.StateUp, Release: "r1"},
		}
	}}
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`<strong>Releases:</strong> <span class="ok"`, `>r2 (3)</span>`, `>r1 (1: celery-worker@w1)</span>`,
		`<span class="release warn">release r1 (differs)</span>`, `<span class="release muted">release r2</span>`,
		`<li class="url">http://127.0.0.1:1/static/site.3f2a.css (stylesheet, HTTP 404): answered 404</li>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the status page lacks %s", want)
		}
	}
	if strings.Contains(body, "Nothing is broken") {
		t.Error("two releases, a failing target, and the page says nothing is broken")
	}
}

// Refused names are listed, with the name each is closest to.
func TestStatusPageListsRefusedNames(t *testing.T) {
	now := time.Now()
	page := &StatusPage{Refused: func() []collector.RefusedName {
		return []collector.RefusedName{
			{Name: "nightly-reports-v2", Count: 3, LastSeen: now.Add(-time.Minute), Closest: "nightly-reports"},
			{Name: "zzz", Count: 1, LastSeen: now.Add(-time.Hour)},
		}
	}}
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	for _, want := range []string{`<h2 id="refused">Refused pings</h2>`, `<strong>nightly-reports-v2</strong>`, `<a href="heartbeats/nightly-reports">nightly-reports</a>`, "no name is near"} {
		if !strings.Contains(body, want) {
			t.Errorf("the status page lacks %s", want)
		}
	}
}

// The story of a target: since when it fails or is up, its last changes,
// and the failed probe an alert links to (/logs?target=), still there
// after the target recovered and other targets' failures filled the
// history.
func TestTargetStoryAndLastFailure(t *testing.T) {
	var failing atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "database is down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer site.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "other", http.StatusInternalServerError)
	}))
	defer other.Close()
	s := newServer(t, loaded("targets:\n  - {name: shop, url: '"+site.URL+"', module: plain}\nmodules:\n  plain: {}\n"))
	probeShop := func() {
		if rec := s.get("/probe?target=shop"); rec.Code != 200 {
			t.Fatalf("/probe: %d %s", rec.Code, rec.Body.String())
		}
	}

	if rec := s.get("/logs?target=shop"); rec.Code != 404 || !strings.Contains(rec.Body.String(), "No probe of shop has failed since the exporter started.") {
		t.Errorf("before any failure: %d %s", rec.Code, rec.Body.String())
	}
	probeShop()
	failing.Store(true)
	probeShop()
	probeShop()
	body := s.get("/").Body.String()
	if !strings.Contains(body, `class="since muted"`) || !strings.Contains(body, "last changes") || !strings.Contains(body, "failing: status code 503") {
		t.Errorf("a failing target's story is not on the page:\n%s", body)
	}
	failing.Store(false)
	probeShop()
	for range 12 { // more failures than the history's lists hold (5)
		if rec := s.get("/probe?module=plain&target=" + url.QueryEscape(other.URL)); rec.Code != 200 {
			t.Fatal(rec.Code)
		}
	}

	rec := s.get("/logs?target=shop")
	logs := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(logs, "The last failed probe of shop ran at") || !strings.Contains(logs, "The target has succeeded since") || !strings.Contains(logs, "status code 503") || strings.Contains(logs, "no longer kept") {
		t.Errorf("/logs?target=shop after recovery: %d\n%s", rec.Code, logs)
	}
	page := s.get("/").Body.String()
	if !strings.Contains(page, `class="last-failure" href="logs?target=shop"`) {
		t.Errorf("an up target that failed links its last failure:\n%s", page)
	}
	if got := strings.Count(page, "<li>"); got < 3 {
		t.Errorf("up, failing, up: %d changes listed", got)
	}
	if rec := s.get("/logs?target=nope"); rec.Code != 404 {
		t.Errorf("an unknown target: %d", rec.Code)
	}
}

// One clock: the heartbeat's why ("due 08:40"), its next-due column and
// its page count from the same moment, the one it was expected; down is
// since the end of its grace.
func TestHeartbeatDueAndDownFromOneClock(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 10, 0, 0, time.UTC)
	expected := now.Add(-30 * time.Minute) // 08:40
	view := collector.HeartbeatView{
		Name: "job", State: collector.StateDown, Why: "due 08:40 UTC, nothing since",
		Expected: expected, Deadline: expected.Add(10 * time.Minute), Since: expected.Add(10 * time.Minute),
		Transitions: []collector.TransitionView{{At: expected.Add(10 * time.Minute), State: collector.StateDown}, {At: expected, State: collector.StateLate}},
	}
	page := &StatusPage{Heartbeats: func() []collector.HeartbeatView { return []collector.HeartbeatView{view} }, now: func() time.Time { return now }}
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	for _, want := range []string{"due 08:40 UTC", "08:40 UTC, overdue by 30m", "for 20m, since 08:50 UTC", "08:40:00Z</span> late"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
}
