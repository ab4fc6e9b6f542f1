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
	"strings"
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
