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

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

type apiView struct {
	Name            string    `json:"name"`
	State           string    `json:"state"`
	Why             string    `json:"why"`
	LastMessage     string    `json:"last_message"`
	MessageCutBytes int       `json:"message_cut_bytes"`
	LastSuccess     time.Time `json:"last_success"`
	Expected        time.Time `json:"expected"`
	Deadline        time.Time `json:"deadline"`
	Pings           map[string]uint64
}

type apiAnswer struct {
	Heartbeats []apiView `json:"heartbeats"`
	Retained   []struct {
		Name    string    `json:"name"`
		Expires time.Time `json:"expires"`
	} `json:"retained"`
}

func (e *exporter) api(t testing.TB) apiAnswer {
	t.Helper()
	code, body := get(t, e.url+"/api/v1/heartbeats")
	if code != 200 {
		t.Fatalf("/api/v1/heartbeats: %d %s", code, body)
	}
	var a apiAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a apiAnswer) get(name string) (apiView, bool) {
	for _, v := range a.Heartbeats {
		if v.Name == name {
			return v, true
		}
	}
	return apiView{}, false
}

// The record of a heartbeat outlives a restart on the built-in
// configuration and a reload without its name, and comes back whole.
func TestHeartbeatRecordsOutliveTheConfiguration(t *testing.T) {
	t.Parallel()
	cfg := "heartbeats:\n  - {name: nightly, interval: 1h}\n  - {name: beat, interval: 2s, grace: 1s}\n"
	exp := startExporter(t, cfg)
	post(t, exp.url+"/heartbeat/nightly", "done")
	post(t, exp.url+"/heartbeat/beat", "")
	exp.proc.stop(syscall.SIGTERM)

	// What `make run` does: the built-in configuration, same storage.
	builtin := startExporterWith(t, buildExporter(t), "", exp.storage)
	a := builtin.api(t)
	if len(a.Heartbeats) != 0 || len(a.Retained) != 2 {
		t.Fatalf("on the built-in config: %+v", a)
	}
	if out := builtin.proc.output(); strings.Count(out, "Heartbeat is no longer in the configuration") != 2 {
		t.Errorf("the exporter does not say the records are kept:\n%s", tail(out, 2000))
	}
	builtin.proc.stop(syscall.SIGTERM)
	time.Sleep(3 * time.Second) // beat is due meanwhile

	back := startExporterWith(t, buildExporter(t), exp.cfgPath, exp.storage)
	a = back.api(t)
	if v, _ := a.get("nightly"); v.State != "up" || v.LastMessage != "done" || v.Pings["success"] != 1 {
		t.Errorf("nightly is not back whole: %+v", v)
	}
	if v, _ := a.get("beat"); v.State != "down" {
		t.Errorf("beat was due while away and came back %s (%s), not down", v.State, v.Why)
	}

	// A reload without nightly, then with it.
	if err := os.WriteFile(exp.cfgPath, []byte("heartbeats:\n  - {name: beat, interval: 2s, grace: 1s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, back.url+"/-/reload", ""); code != 200 {
		t.Fatalf("reload: %d %s", code, body)
	}
	if _, metrics := get(t, back.url+"/metrics"); strings.Contains(metrics, `heartbeat="nightly"`) {
		t.Error("nightly is still exported after it left the configuration")
	}
	if err := os.WriteFile(exp.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	post(t, back.url+"/-/reload", "")
	if v, ok := back.api(t).get("nightly"); !ok || v.LastMessage != "done" {
		t.Errorf("nightly after the reload brought it back: %+v", v)
	}
}

// What the ping says, as the real binary keeps it: an early success
// counts for the coming slot, a run past max_runtime is down and says
// why, a long message keeps its end, and a bad token is logged.
func TestHeartbeatSemanticsOnTheBinary(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, `
heartbeats:
  - {name: every-minute, schedule: "* * * * *", grace: 20s}
  - {name: quick, interval: 1h, max_runtime: 1s}
  - {name: logs, interval: 1h, body_limit: 16}
  - {name: secret, interval: 1h, token: s3cret}
`)
	// Overrun.
	post(t, exp.url+"/heartbeat/quick", "")
	post(t, exp.url+"/heartbeat/quick/start", "")
	eventually(t, 10*time.Second, func() string {
		v, _ := exp.api(t).get("quick")
		if v.State != "down" || !strings.HasPrefix(v.Why, "running ") || !strings.HasSuffix(v.Why, ", max_runtime 1s") || v.Deadline.After(time.Now()) {
			return fmt.Sprintf("quick past max_runtime: %+v", v)
		}
		return ""
	})
	// A long message keeps its end.
	post(t, exp.url+"/heartbeat/logs/1", "line 1\nline 2\nTraceback: boom\n")
	if v, _ := exp.api(t).get("logs"); v.LastMessage != "[… first 14 bytes cut …]\nTraceback: boom\n" || v.MessageCutBytes != 14 {
		t.Errorf("long message: %q %d", v.LastMessage, v.MessageCutBytes)
	}
	// A bad token is logged.
	for range 3 {
		post(t, exp.url+"/heartbeat/secret", "", "Authorization", "Bearer wrong")
	}
	eventually(t, 5*time.Second, func() string {
		if n := strings.Count(exp.proc.output(), `msg="Heartbeat ping refused" heartbeat=secret reason=unauthorized`); n != 1 {
			return fmt.Sprintf("%d warnings for 3 bad tokens", n)
		}
		return ""
	})
	// An early success counts for the coming slot: wait for the last
	// seconds of a minute, ping, and the next minute is already served.
	for time.Now().Second() < 57 {
		time.Sleep(200 * time.Millisecond)
	}
	pinged := time.Now()
	post(t, exp.url+"/heartbeat/every-minute", "")
	slot := pinged.Truncate(time.Minute).Add(time.Minute)
	if v, _ := exp.api(t).get("every-minute"); !v.Expected.Equal(slot.Add(time.Minute)) {
		t.Errorf("a success at %s expects %s, want the minute after %s", pinged.Format("15:04:05.000"), v.Expected.Format("15:04:05"), slot.Format("15:04:05"))
	}
}

// run never holds up or stops the job for a monitoring problem: a missing
// token file is a warning, and an exporter that accepts connections and
// never answers adds at most --timeout.
func TestRunNeverHoldsUpTheJob(t *testing.T) {
	t.Parallel()
	bin := buildExporter(t)
	exp := startExporter(t, "heartbeats:\n  - {name: job, interval: 1h}\n")
	run := func(args ...string) (string, int, time.Duration) {
		start := time.Now()
		out, code := combinedOutput(t, exec.Command(bin, args...))
		return out, code, time.Since(start)
	}
	out, code, _ := run("run", "job", "--url", exp.url, "--token-file", filepath.Join(t.TempDir(), "missing"), "--", "sh", "-c", "echo the job ran; exit 3")
	if code != 3 || !strings.Contains(out, "the job ran") || !strings.Contains(out, "warning: cannot read the token file") {
		t.Errorf("run with a missing token file: %d\n%s", code, out)
	}
	if v, _ := exp.api(t).get("job"); v.State != "failed" || v.Pings["start"] != 1 {
		t.Errorf("the pings of that run: %+v", v)
	}

	// A listener that accepts and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var (
		connsMu sync.Mutex
		conns   []net.Conn
	)
	defer func() {
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
		}
	}()
	out, code, took := run("run", "job", "--url", "http://"+l.Addr().String(), "--timeout", "3s", "--", "sh", "-c", "sleep 0.5; echo done")
	if code != 0 || !strings.Contains(out, "done") {
		t.Errorf("run against a hung exporter: %d\n%s", code, out)
	}
	if took < 3*time.Second || took > 5*time.Second {
		t.Errorf("a 0.5s job took %v against a hung exporter with --timeout 3s", took)
	}
	reliability.Record(t, "heartbeats", "run against an exporter that accepts connections and never answers, --timeout 3s", fmt.Sprintf("the job ran at once and exited 0; the pings added %.1f s", took.Seconds()-0.5))
	_, code, took = run("ping", "job", "--url", "http://"+l.Addr().String(), "--timeout", "2s")
	if code != 0 || took > 4*time.Second {
		t.Errorf("ping against a hung exporter: exit %d after %v", code, took)
	}
	// Without --, the command's flags are not run's: a hint says so.
	out, code, _ = run("run", "job", "--url", exp.url, "ls", "-la")
	if code != 2 || !strings.Contains(out, "put -- before the command") {
		t.Errorf("run without --: %d\n%s", code, out)
	}
}
