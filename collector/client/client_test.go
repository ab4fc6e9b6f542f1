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
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/django-health/django_health_exporter/collector/wire"
)

type recorded struct {
	path, rid, auth, token, body string
}

func pingServer(t *testing.T, codes ...int) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.URL.Path, r.URL.Query().Get("rid"), r.Header.Get("Authorization"), r.Header.Get(wire.TokenHeader), string(b)})
		code := 200
		if len(codes) > 0 {
			code, codes = codes[0], codes[1:]
		}
		mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func TestClientPing(t *testing.T) {
	srv, got := pingServer(t)
	c := &Client{URL: srv.URL + "/", Token: "tok"}
	if err := c.Ping(context.Background(), "nightly-report", wire.KindStart, "r 1", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	g := got()
	if len(g) != 1 || g[0].path != "/heartbeat/nightly-report/start" || g[0].rid != "r 1" || g[0].auth != "Bearer tok" || g[0].body != "hello" {
		t.Errorf("sent %+v", g)
	}
}

// Basic-auth credentials in the URL are the exporter's web configuration:
// the token then goes in X-Heartbeat-Token.
func TestClientTokenBesideBasicAuth(t *testing.T) {
	srv, got := pingServer(t)
	c := &Client{URL: strings.Replace(srv.URL, "http://", "http://prom:pw@", 1), Token: "tok"}
	if err := c.Ping(context.Background(), "a", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if g := got(); len(g) != 1 || g[0].auth != "Basic cHJvbTpwdw==" || g[0].token != "tok" {
		t.Errorf("sent %+v", g)
	}
}

func TestClientRetriesServerErrorsOnly(t *testing.T) {
	srv, got := pingServer(t, 503, 503, 200)
	c := &Client{URL: srv.URL, Timeout: 10 * time.Second}
	if err := c.Ping(context.Background(), "a", "", "", nil); err != nil {
		t.Fatalf("third attempt succeeds: %v", err)
	}
	if n := len(got()); n != 3 {
		t.Errorf("%d attempts", n)
	}
	srv, got = pingServer(t, 401, 200)
	c = &Client{URL: srv.URL}
	if err := c.Ping(context.Background(), "a", "", "", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("401: %v", err)
	}
	if n := len(got()); n != 1 {
		t.Errorf("a 401 is not retried: %d attempts", n)
	}
	// Retries stop at the timeout.
	start := time.Now()
	c = &Client{URL: "http://127.0.0.1:1", Timeout: 1500 * time.Millisecond}
	if err := c.Ping(context.Background(), "a", "", "", nil); err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("no exporter: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a 1.5s timeout took %v", took)
	}
}

// hungServer accepts connections and never answers.
func hungServer(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL
}

// Against an exporter that never answers, the job starts at once and the
// pings add at most the timeout.
func TestRunWithAHungExporter(t *testing.T) {
	c := &Client{URL: hungServer(t), Timeout: 2 * time.Second}
	var warnings []string
	var stdout bytes.Buffer
	start := time.Now()
	status := c.Run(context.Background(), "job", []string{"sh", "-c", "echo started; sleep 0.3; exit 4"},
		RunOptions{Stdout: &stdout, Stderr: io.Discard, Warn: func(f string, a ...any) { warnings = append(warnings, f) }})
	took := time.Since(start)
	if status != 4 || stdout.String() != "started\n" {
		t.Errorf("the job's outcome: %d %q", status, stdout.String())
	}
	if took < 2*time.Second || took > 3500*time.Millisecond {
		t.Errorf("a 0.3s job took %v with a 2s timeout: the pings must add at most the timeout", took)
	}
	if len(warnings) != 2 {
		t.Errorf("warnings %v", warnings)
	}
}

func TestClientRun(t *testing.T) {
	srv, got := pingServer(t)
	c := &Client{URL: srv.URL}
	var stdout, stderr bytes.Buffer
	long := strings.Repeat("x", 100)
	status := c.Run(context.Background(), "job", []string{"sh", "-c", "echo oops >&2; sleep 0.2; echo start; echo " + long + "; exit 3"},
		RunOptions{TailBytes: 64, Stdout: &stdout, Stderr: &stderr})
	if status != 3 {
		t.Errorf("status %d", status)
	}
	if !strings.Contains(stdout.String(), "start") || stderr.String() != "oops\n" {
		t.Errorf("output did not pass through: %q %q", stdout.String(), stderr.String())
	}
	g := got()
	if len(g) != 2 || g[0].path != "/heartbeat/job/start" || g[1].path != "/heartbeat/job/3" {
		t.Fatalf("pings %+v", g)
	}
	if g[0].rid == "" || g[0].rid != g[1].rid {
		t.Errorf("start and end share a rid: %q %q", g[0].rid, g[1].rid)
	}
	if len(g[1].body) != 64 || !strings.HasSuffix(g[1].body, "xxx\n") {
		t.Errorf("end ping carries the last 64 bytes: %q", g[1].body)
	}
	// Standard error reaches the tail too.
	status = c.Run(context.Background(), "job", []string{"sh", "-c", "echo Traceback >&2; exit 1"}, RunOptions{Stdout: io.Discard, Stderr: io.Discard})
	if g := got(); status != 1 || g[len(g)-1].body != "Traceback\n" {
		t.Errorf("stderr in the tail: %d %q", status, g[len(g)-1].body)
	}
}

// A Python command's output reaches the message in the order it was
// written: what it printed, then the traceback. Buffered (as Python
// buffers a pipe), the traceback came first and the message ended with
// the last print, not the error.
func TestRunKeepsAPythonCommandsOrder(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed: ", err)
	}
	srv, got := pingServer(t)
	c := &Client{URL: srv.URL}
	script := "print('importing 3 rows'); print('row 1 ok'); raise ValueError('row 2: bad date')"
	status := c.Run(context.Background(), "import", []string{python, "-c", script}, RunOptions{Stdout: io.Discard, Stderr: io.Discard})
	g := got()
	body := g[len(g)-1].body
	if status != 1 || !strings.HasPrefix(body, "importing 3 rows\nrow 1 ok\nTraceback (most recent call last):") || !strings.HasSuffix(body, "ValueError: row 2: bad date\n") {
		t.Errorf("status %d, message %q", status, body)
	}
}

func TestClientRunStatuses(t *testing.T) {
	srv, got := pingServer(t)
	c := &Client{URL: srv.URL}
	opts := RunOptions{Stdout: io.Discard, Stderr: io.Discard}
	if s := c.Run(context.Background(), "job", []string{"true"}, opts); s != 0 {
		t.Errorf("true: %d", s)
	}
	if s := c.Run(context.Background(), "job", []string{"sh", "-c", "kill -TERM $$"}, opts); s != 143 {
		t.Errorf("killed by SIGTERM: %d, want 143", s)
	}
	if s := c.Run(context.Background(), "job", []string{"/nonexistent/command"}, opts); s != 127 {
		t.Errorf("missing command: %d, want 127", s)
	}
	g := got()
	if g[len(g)-1].path != "/heartbeat/job/127" || !strings.Contains(g[len(g)-1].body, "/nonexistent/command") {
		t.Errorf("missing command reported: %+v", g[len(g)-1])
	}
	// A dead exporter does not change the command's outcome.
	var warnings []string
	c = &Client{URL: "http://127.0.0.1:1", Timeout: time.Second}
	opts.Warn = func(f string, a ...any) { warnings = append(warnings, f) }
	if s := c.Run(context.Background(), "job", []string{"sh", "-c", "exit 5"}, opts); s != 5 {
		t.Errorf("exporter down: %d", s)
	}
	if len(warnings) != 2 {
		t.Errorf("warnings %v", warnings)
	}
}

// A token file that cannot be read is a warning: the job runs, and the
// pings go without a token.
func TestCommandsRunWithAMissingTokenFile(t *testing.T) {
	srv, got := pingServer(t)
	app := kingpin.New("django_health_exporter", "")
	cmds := AddCommands(app)
	command, err := app.Parse([]string{"run", "job", "--url", srv.URL, "--token-file", "/nonexistent/token", "--", "true"})
	if err != nil {
		t.Fatal(err)
	}
	status, ok := cmds.Run(command)
	if !ok || status != 0 {
		t.Errorf("run: %d %v", status, ok)
	}
	if g := got(); len(g) != 2 || g[0].auth != "" {
		t.Errorf("pings %+v", g)
	}
}

func TestParseHint(t *testing.T) {
	if h := ParseHint([]string{"run", "job", "ls", "-la"}); !strings.Contains(h, "put -- before the command") {
		t.Errorf("hint = %q", h)
	}
	for _, args := range [][]string{{"run", "job", "--", "ls", "-la"}, {"ping", "-x"}, nil} {
		if h := ParseHint(args); h != "" {
			t.Errorf("%v: hint %q", args, h)
		}
	}
}

// run --progress-every sends progress pings with the run's rid while the
// command runs, and none after it ends.
func TestRunSendsProgress(t *testing.T) {
	srv, got := pingServer(t)
	c := &Client{URL: srv.URL}
	status := c.Run(context.Background(), "import", []string{"sleep", "1.1"}, RunOptions{
		ProgressEvery: 300 * time.Millisecond, Stdout: io.Discard, Stderr: io.Discard,
	})
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	var progress int
	var rid string
	g := got()
	for i, r := range g {
		switch r.path {
		case "/heartbeat/import/start":
			rid = r.rid
		case "/heartbeat/import/progress":
			progress++
			if r.rid != rid || rid == "" {
				t.Errorf("a progress ping with rid %q, the run's is %q", r.rid, rid)
			}
			if i == len(g)-1 {
				t.Error("a progress ping after the end")
			}
		}
	}
	if progress < 1 || progress > 4 { // 3 on a quiet machine
		t.Errorf("%d progress pings in 1.1 s at 300 ms: %+v", progress, g)
	}
}
