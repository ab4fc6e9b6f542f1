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

// Package client sends heartbeat pings to a django_health_exporter: the
// ping and run commands, for cron jobs, manage.py commands and deploy
// scripts. Monitoring never stops, fails or holds up the job it watches:
// a ping has a time budget, retries included, and a problem with it is a
// warning.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/collector/wire"
)

// DefaultTimeout is the most a ping adds to a job, retries included.
const DefaultTimeout = 10 * time.Second

// Client sends pings to an exporter.
type Client struct {
	// URL is the exporter, e.g. http://localhost:9716; user:password@ in
	// it is sent as basic auth, and the token then in X-Heartbeat-Token.
	// Several URLs separated by commas, or dns+http://NAME:PORT, send
	// each request to every replica (replicas.go).
	URL   string
	Token string
	// Timeout is the most one Ping takes, every attempt and wait included.
	// Network errors and 5xx answers are retried within it; 4xx are not
	// (a wrong token stays wrong).
	Timeout time.Duration
	// Release, when set, goes with every request as ?release=: the
	// release the job runs (heartbeat_release_info).
	Release string
	HTTP    *http.Client

	lookupHost lookupHost // nil: the system's resolver
}

// Ping sends one ping. action is "" (success), start, fail, log or an exit
// status; rid pairs a start with its end. It gives up after the client's
// Timeout or when ctx is done, whichever comes first.
func (c *Client) Ping(ctx context.Context, name, action, rid string, body []byte) error {
	path := wire.PingPrefix + url.PathEscape(name)
	if action != "" {
		path += "/" + action
	}
	var query url.Values
	if rid != "" {
		query = url.Values{"rid": {rid}}
	}
	return c.callAll(ctx, http.MethodPost, path, query, "text/plain; charset=utf-8", body)
}

// Pause pauses a heartbeat for d (0: until its next ping), as a deploy
// script does before it stops the jobs.
func (c *Client) Pause(ctx context.Context, name string, d time.Duration) error {
	var body []byte
	if d > 0 {
		// In the exporter's own spelling (1s500ms, not Go's 1.5s).
		body = []byte(`{"for": "` + model.Duration(d).String() + `"}`)
	}
	return c.callAll(ctx, http.MethodPost, wire.APIPrefix+"/"+url.PathEscape(name)+"/pause", nil, "application/json", body)
}

// MaintenanceStart opens (or replaces) a maintenance window for d on the
// targets, heartbeats (names or globs) and labels (values may be globs)
// named, as a deploy script does before it restarts what they name.
func (c *Client) MaintenanceStart(ctx context.Context, name string, d time.Duration, targets, heartbeats []string, labels map[string]string) error {
	body, err := json.Marshal(map[string]any{
		"for": model.Duration(d).String(), "targets": targets, "heartbeats": heartbeats, "labels": labels,
	})
	if err != nil {
		return err
	}
	return c.callAll(ctx, http.MethodPost, wire.MaintenancePrefix+"/"+url.PathEscape(name), nil, "application/json", body)
}

// MaintenanceEnd ends a maintenance window now.
func (c *Client) MaintenanceEnd(ctx context.Context, name string) error {
	return c.callAll(ctx, http.MethodDelete, wire.MaintenancePrefix+"/"+url.PathEscape(name), nil, "", nil)
}

// Resume ends a heartbeat's pause.
func (c *Client) Resume(ctx context.Context, name string) error {
	return c.callAll(ctx, http.MethodDelete, wire.APIPrefix+"/"+url.PathEscape(name)+"/pause", nil, "", nil)
}

// timeout is the most one command's requests take, the lookup of the
// replicas and every retry included.
func (c *Client) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// call sends one request, retrying network errors and 5xx answers until
// ctx's deadline (callAll sets the client's Timeout).
func (c *Client) call(ctx context.Context, client *http.Client, method string, u *url.URL, contentType string, body []byte) error {
	timeout := c.timeout()
	var last error
	for attempt := 0; ; attempt++ {
		retry, err := c.send(ctx, client, method, u, contentType, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %d attempt(s) in %s: %w", attempt+1, timeout, last)
		case <-time.After(backoff(attempt)):
		}
	}
}

// backoff waits 0.5 s, 1 s, 2 s, then 2 s between attempts.
func backoff(attempt int) time.Duration {
	return min(500*time.Millisecond<<attempt, 2*time.Second)
}

func (c *Client) send(ctx context.Context, client *http.Client, method string, u *url.URL, contentType string, body []byte) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		if u.User != nil {
			req.Header.Set(wire.TokenHeader, c.Token)
		} else {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	switch {
	case resp.StatusCode == http.StatusOK:
		return false, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Never followed: the token would go with it to wherever the
		// redirect points, and the ping would not be the exporter's.
		return false, fmt.Errorf("%s to %q: the client does not follow redirects (the token would go along); point --url at the exporter itself", resp.Status, cut(resp.Header.Get("Location"), 200))
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return false, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
}

// tail keeps the last n bytes written to it.
type tail struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.n; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}

// RunOptions configure Run.
type RunOptions struct {
	// TailBytes of the command's output are sent with the end ping.
	// Standard output and error pass through separately, so where they
	// interleave their order in the tail is not guaranteed.
	TailBytes int
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	// Warn receives problems with the pings; they never change the
	// command's outcome.
	Warn func(format string, args ...any)
	// ProgressEvery sends a progress ping this often while the command
	// runs (0: never): a long run stays within its max_runtime.
	ProgressEvery time.Duration
}

// Run runs the command with its output passing through, between a start
// ping and a ping with its exit status and the tail of its output, and
// returns the command's exit status (128+N when a signal N ended it, 127
// when it could not start).
//
// The command starts at once: the start ping is sent beside it. After the
// command ends, Run waits for the start ping at most half the client's
// Timeout and gives the end ping the rest, so the pings add at most
// Timeout to the job, however the exporter behaves.
func (c *Client) Run(ctx context.Context, name string, argv []string, o RunOptions) int {
	if o.Warn == nil {
		o.Warn = func(string, ...any) {}
	}
	if o.TailBytes <= 0 {
		o.TailBytes = 10 << 10
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var ridBytes [8]byte
	_, _ = rand.Read(ridBytes[:])
	rid := hex.EncodeToString(ridBytes[:])

	startCtx, cancelStart := context.WithCancel(ctx)
	defer cancelStart()
	started := make(chan error, 1)
	go func() { started <- c.Ping(startCtx, name, wire.KindStart, rid, nil) }()

	stopProgress := c.progress(ctx, name, rid, o)
	out := &tail{n: o.TailBytes}
	status := c.runCommand(argv, o, out)
	stopProgress()

	ended := time.Now()
	select {
	case err := <-started:
		if err != nil {
			o.Warn("could not send the start ping of %s: %v", name, err)
		}
	case <-time.After(timeout / 2):
		cancelStart()
		o.Warn("gave up on the start ping of %s after %s", name, timeout/2)
	}
	endCtx, cancelEnd := context.WithDeadline(ctx, ended.Add(timeout))
	defer cancelEnd()
	if err := c.Ping(endCtx, name, fmt.Sprint(status), rid, out.Bytes()); err != nil {
		o.Warn("could not send the end ping of %s (exit status %d): %v", name, status, err)
	}
	return status
}

// progress sends a progress ping every o.ProgressEvery until the returned
// function is called (and waits for the last one, bounded by the
// client's timeout). Failed progress pings are warnings.
func (c *Client) progress(ctx context.Context, name, rid string, o RunOptions) func() {
	if o.ProgressEvery <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(o.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := c.Ping(ctx, name, wire.KindProgress, rid, nil); err != nil && ctx.Err() == nil {
					o.Warn("could not send a progress ping of %s: %v", name, err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// runCommand runs argv, copying its output to o's writers and out, passing
// on the signals a supervisor sends, and returns its exit status.
func (c *Client) runCommand(argv []string, o RunOptions, out *tail) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = o.Stdin
	// Python buffers its standard output in a pipe and writes it at exit,
	// after the traceback on its standard error: unbuffered, the message
	// keeps the order a terminal would show (manage.py commands, Celery).
	if os.Getenv("PYTHONUNBUFFERED") == "" {
		cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	}
	cmd.Stdout = io.MultiWriter(o.Stdout, out)
	cmd.Stderr = io.MultiWriter(o.Stderr, out)
	if sameDestination(o.Stdout, o.Stderr) {
		// One pipe for both (os/exec shares it when the writers are
		// equal): the message holds the output in the order it was
		// written, as the terminal or cron's mail shows it.
		cmd.Stderr = cmd.Stdout
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(out, "django_health_exporter run: %v\n", err)
		fmt.Fprintf(o.Stderr, "django_health_exporter run: %v\n", err)
		return 127
	}
	// Pass the signals a supervisor sends on to the command, and let it
	// decide when to stop.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	signal.Stop(sigs)
	close(done)
	return exitStatus(err)
}

// sameDestination reports whether a command's standard output and error
// go to the same place: one writer, or one open file (a terminal, cron's
// mail, the journal).
func sameDestination(a, b io.Writer) bool {
	fa, okA := a.(*os.File)
	fb, okB := b.(*os.File)
	if !okA || !okB {
		t := reflect.TypeOf(a)
		return t != nil && t == reflect.TypeOf(b) && t.Comparable() && a == b
	}
	sa, errA := fa.Stat()
	sb, errB := fb.Stat()
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		if code := ee.ExitCode(); code >= 0 {
			return code & 0xff
		}
	}
	return 1
}

// cut keeps at most n bytes of an answer's text, as valid UTF-8.
func cut(s string, n int) string {
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
