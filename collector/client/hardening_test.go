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

package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A replica that answers 307 to another host gets no token sent on, and
// the command fails (so --strict exits 1): before, the CLI followed the
// redirect with X-Heartbeat-Token and exited 0 on the other host's 200.
func TestTokenNeverFollowsARedirect(t *testing.T) {
	var reached atomic.Int32
	elsewhere := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	l, err := net.Listen("tcp", "127.0.0.2:0") // another host than the replica's
	if err != nil {
		t.Fatal(err)
	}
	elsewhere.Listener.Close()
	elsewhere.Listener = l
	elsewhere.Start()
	defer elsewhere.Close()
	replica := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer replica.Close()
	u := strings.Replace(replica.URL, "http://", "http://user:pw@", 1) // the token goes in X-Heartbeat-Token
	c := &Client{URL: u, Token: "s3cret", Timeout: 2 * time.Second}
	for name, err := range map[string]error{
		"ping":   c.Ping(context.Background(), "job", "", "", nil),
		"pause":  c.Pause(context.Background(), "job", time.Minute),
		"resume": c.Resume(context.Background(), "job"),
	} {
		if err == nil || !strings.Contains(err.Error(), "307") {
			t.Errorf("%s through a redirect: %v, want an error naming the 307", name, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the other host got %d request(s)", n)
	}
	reliability.Record(t, "client", "a replica redirects a ping to another host", "nothing sent on, the command fails (--strict exits 1)")
}

// A dns+ lookup runs within --timeout: a resolver that never answers
// held ping, pause and resume for 6 s past a 2 s timeout.
func TestLookupWithinTimeout(t *testing.T) {
	hang := func(ctx context.Context, _ string) ([]string, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return []string{"127.0.0.1"}, nil
		}
	}
	c := &Client{URL: "dns+http://exporters.example.test:9716", Timeout: 300 * time.Millisecond, lookupHost: hang}
	for name, call := range map[string]func() error{
		"ping":   func() error { return c.Ping(context.Background(), "job", "", "", nil) },
		"pause":  func() error { return c.Pause(context.Background(), "job", time.Minute) },
		"resume": func() error { return c.Resume(context.Background(), "job") },
	} {
		start := time.Now()
		err := call()
		if took := time.Since(start); err == nil || took > 2*time.Second {
			t.Errorf("%s with a resolver that hangs: %v after %s, want an error within the 300ms timeout", name, err, took)
		}
	}
	reliability.Record(t, "client", "a dns+ resolver that never answers", "ping, pause and resume give up at --timeout")
}

// --for never pauses for ever, and what it sends the exporter takes.
func TestPauseFor(t *testing.T) {
	for _, c := range []struct {
		d     time.Duration
		given bool
		ok    bool
	}{
		{0, false, true}, {30 * time.Minute, true, true}, {1500 * time.Millisecond, true, true},
		{0, true, false}, {-5 * time.Minute, true, false}, {367 * 24 * time.Hour, true, false}, {1500 * time.Microsecond, true, false},
	} {
		if err := CheckPauseFor(c.d, c.given); (err == nil) != c.ok {
			t.Errorf("--for %s (given %v): %v, want ok %v", c.d, c.given, err, c.ok)
		}
	}
	if MaxPauseFor != config.MaxPause {
		t.Errorf("the client's bound %s is not the exporter's %s", MaxPauseFor, config.MaxPause)
	}
	srv, got := pingServer(t)
	if err := (&Client{URL: srv.URL}).Pause(context.Background(), "job", 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	body := got()[0].body
	_, v, _ := strings.Cut(body, `"for": "`)
	v, _, _ = strings.Cut(v, `"`)
	if d, err := model.ParseDuration(v); err != nil || time.Duration(d) != 1500*time.Millisecond {
		t.Errorf("--for 1500ms sent %s, which the exporter reads as %v (%v)", body, d, err)
	}
	reliability.Record(t, "client", "pause --for 0s, -5m or 1500ms", "0 and less refused (exit 2), 1500ms sent as 1s500ms, which the exporter takes")
}

// --release (DJANGO_HEALTH_EXPORTER_RELEASE) goes with ping, pause and
// resume as ?release=.
func TestReleaseGoesWithEveryCommand(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("release")+" rid="+r.URL.Query().Get("rid"))
		mu.Unlock()
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, Release: "abc123"}
	_ = c.Ping(context.Background(), "job", "", "r1", nil)
	_ = c.Pause(context.Background(), "job", time.Minute)
	_ = c.Resume(context.Background(), "job")
	mu.Lock()
	defer mu.Unlock()
	want := []string{"POST /heartbeat/job abc123 rid=r1", "POST /api/v1/heartbeats/job/pause abc123 rid=", "DELETE /api/v1/heartbeats/job/pause abc123 rid="}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the exporter saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
