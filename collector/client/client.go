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
// scripts.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Actions of a ping, the last part of /heartbeat/{name}/{action}; an exit
// status 0..255 is one too, and "" is a success.
const (
	ActionStart = "start"
	ActionFail  = "fail"
	ActionLog   = "log"
)

// Client sends pings to an exporter: the ping and run commands.
type Client struct {
	// URL is the exporter, e.g. http://localhost:9716.
	URL   string
	Token string
	// Attempts per ping (network errors and 5xx are retried; 4xx are not:
	// a wrong token stays wrong).
	Attempts int
	Timeout  time.Duration
	HTTP     *http.Client
}

// Ping sends one ping. action is "" (success), start, fail, log or an exit
// status; rid pairs a start with its end.
func (c *Client) Ping(ctx context.Context, name, action, rid string, body []byte) error {
	u, err := url.Parse(strings.TrimRight(c.URL, "/") + "/heartbeat/" + url.PathEscape(name))
	if err != nil {
		return fmt.Errorf("exporter URL: %w", err)
	}
	if action != "" {
		u.Path += "/" + action
	}
	if rid != "" {
		u.RawQuery = url.Values{"rid": {rid}}.Encode()
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	attempts := max(c.Attempts, 1)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(i) * time.Second):
			}
		}
		retry, err := c.send(ctx, client, u.String(), body, timeout)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			break
		}
	}
	return last
}

func (c *Client) send(ctx context.Context, client *http.Client, target string, body []byte, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	switch {
	case resp.StatusCode == http.StatusOK:
		return false, nil
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
}

// Run sends a start ping, runs the command with its output passing through,
// and sends its exit status with the tail of the output. It returns the
// command's exit status (128+N when a signal N ended it, 127 when it
// could not start).
func (c *Client) Run(ctx context.Context, name string, argv []string, o RunOptions) int {
	if o.Warn == nil {
		o.Warn = func(string, ...any) {}
	}
	if o.TailBytes <= 0 {
		o.TailBytes = 10 << 10
	}
	var ridBytes [8]byte
	_, _ = rand.Read(ridBytes[:])
	rid := hex.EncodeToString(ridBytes[:])
	if err := c.Ping(ctx, name, ActionStart, rid, nil); err != nil {
		o.Warn("could not send the start ping of %s: %v", name, err)
	}

	out := &tail{n: o.TailBytes}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = o.Stdin
	cmd.Stdout = io.MultiWriter(o.Stdout, out)
	cmd.Stderr = io.MultiWriter(o.Stderr, out)
	status := 0
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(out, "django_health_exporter run: %v\n", err)
		fmt.Fprintf(o.Stderr, "django_health_exporter run: %v\n", err)
		status = 127
	} else {
		// Pass the signals a supervisor sends on to the command, and let
		// it decide when to stop.
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
		status = exitStatus(err)
	}
	if err := c.Ping(ctx, name, fmt.Sprint(status), rid, out.Bytes()); err != nil {
		o.Warn("could not send the end ping of %s (exit status %d): %v", name, status, err)
	}
	return status
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		if code := ee.ExitCode(); code >= 0 {
			return code & 0xff
		}
	}
	return 1
}
