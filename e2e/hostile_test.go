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
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A store file that bbolt cannot read (here, garbage) does not stop the
// exporter: it is moved aside, the ERROR names it, the exporter runs on an
// empty store and says so in a metric.
func TestDamagedStoreOnTheBinary(t *testing.T) {
	t.Parallel()
	storage := t.TempDir()
	if err := os.WriteFile(filepath.Join(storage, "heartbeats.db"), []byte(strings.Repeat("\x00\xffdamaged", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	_ = os.WriteFile(cfg, []byte("heartbeats:\n  - {name: job, interval: 1h}\n"), 0o600)
	exp := startExporterWith(t, buildExporter(t), cfg, storage)
	reliability.Record(t, "store", "store file damaged (garbage)", "moved aside, ERROR logged, started on an empty store")
	out := exp.proc.output()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "heartbeats.db.corrupt-") {
		t.Errorf("no ERROR naming the moved file:\n%s", tail(out, 2000))
	}
	aside, _ := filepath.Glob(filepath.Join(storage, "heartbeats.db.corrupt-*"))
	if len(aside) != 1 {
		t.Errorf("moved aside: %v", aside)
	}
	_, metrics := get(t, exp.url+"/metrics")
	wantMetric(t, metrics, "django_health_exporter_heartbeat_store_recovered", 1)
	if code, _ := post(t, exp.url+"/heartbeat/job", "works"); code != 200 {
		t.Errorf("a ping on the fresh store: %d", code)
	}
}

// On a full disk (here the file size limit of the process, RLIMIT_FSIZE)
// a ping is answered 503 and counted nowhere: not in memory, not on disk,
// so a client's retry does not count twice. Every ping answered 200 is
// still there after a restart without the limit.
func TestFullDiskLosesNothing(t *testing.T) {
	t.Parallel()
	requireProgram(t, "/usr/bin/prlimit", "util-linux")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	// Every ping goes to a new heartbeat, whose message stays: the file grows.
	_ = os.WriteFile(cfg, []byte("heartbeat_defaults: {auto_register: true, body_limit: 64KiB}\n"), 0o600)
	storage := filepath.Join(dir, "data")
	port := freePort(t)
	p := start(t, "exporter", repoRoot, nil, "/usr/bin/prlimit", "--fsize=1048576", "--", buildExporter(t),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--storage.path", storage, "--config.file", cfg)
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, u+"/-/healthy", 20*time.Second)
	exp := &exporter{url: u, proc: p, cfgPath: cfg, storage: storage}

	acked, refused := map[string]bool{}, 0
	for i := 0; i < 200 && refused < 20; i++ {
		name := fmt.Sprintf("job-%03d", i)
		code, body := post(t, u+"/heartbeat/"+name, fmt.Sprintf("%d %s", i, strings.Repeat("x", 60<<10)))
		switch code {
		case 200:
			acked[name] = true
		case 503:
			refused++
			if !strings.Contains(body, "was not counted") {
				t.Errorf("a refused ping: %s", body)
			}
			if v, ok := exp.api(t).get(name); ok && v.Pings["success"] != 0 {
				t.Errorf("a refused ping was counted: %+v", v)
			}
		default:
			t.Fatalf("ping %d: %d %s", i, code, body)
		}
	}
	if refused == 0 {
		t.Fatalf("%d pings of 60 KiB fit in a 1 MiB file: the disk never filled", len(acked))
	}
	// The log says so once a minute, not twice a refused ping.
	if n := strings.Count(p.output(), "level=ERROR"); n > 2 {
		t.Errorf("%d refused pings logged %d ERROR lines: want at most 2 (one a minute from the ping handler and the store)", refused, n)
	}
	// The exporter says it cannot do its work: /-/healthy is 503 with why.
	if code, body := get(t, u+"/-/healthy"); code != 503 || !strings.Contains(body, "could not commit") {
		t.Errorf("/-/healthy on a full disk: %d %s", code, body)
	}
	reliability.Record(t, "store", "disk full (file size limit) during pings", fmt.Sprintf("%d pings stored, the next %d answered 503 and counted nowhere; 2 ERROR lines in all; /-/healthy 503", len(acked), refused))
	p.stop(syscall.SIGTERM)
	restarted := startExporterWith(t, buildExporter(t), cfg, storage)
	found := 0
	for _, v := range restarted.api(t).Heartbeats {
		if v.Pings["success"] == 1 && acked[v.Name] {
			found++
		}
	}
	if found != len(acked) {
		t.Errorf("%d pings acknowledged, %d found after the restart", len(acked), found)
	}
}

// A client that trickles its request, or holds a keep-alive connection
// idle, is cut off by --web.read-timeout and --web.idle-timeout.
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, "heartbeats:\n  - {name: job, interval: 1h}\n", "--web.read-timeout=1s", "--web.idle-timeout=1s")
	addr := strings.TrimPrefix(exp.url, "http://")
	// The server closed it when the read ends before our deadline: with
	// EOF, or with a reset when a trickled byte reached a closed socket.
	closedWithin := func(c net.Conn, d time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, c)
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
	// A body trickled a byte a second.
	trickle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer trickle.Close()
	fmt.Fprintf(trickle, "POST /heartbeat/job HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	go func() {
		for range 10 {
			if _, err := trickle.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	if !closedWithin(trickle, 6*time.Second) {
		t.Error("a trickled body kept its connection past the read timeout")
	}
	// An idle keep-alive connection.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
	r := bufio.NewReader(idle)
	if line, _ := r.ReadString('\n'); !strings.Contains(line, "200") {
		t.Fatalf("healthy: %q", line)
	}
	if !closedWithin(idle, 6*time.Second) {
		t.Error("an idle keep-alive connection stayed open past the idle timeout")
	}
	reliability.Record(t, "web", "slow clients: a body trickled a byte a second, an idle keep-alive connection", "closed after --web.read-timeout and --web.idle-timeout")
}

// An empty configuration file on reload is refused; the running
// configuration, allow_targets included, stays.
func TestEmptyConfigReloadKeepsTheRunningOne(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, "allow_targets: ['*.example.com']\n")
	for _, empty := range []string{"", "# only a comment\n", "---\n"} {
		if err := os.WriteFile(exp.cfgPath, []byte(empty), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, body := post(t, exp.url+"/-/reload", ""); code != 500 || !strings.Contains(body, "empty") {
			t.Errorf("reload of %q: %d %s", empty, code, body)
		}
		if code, _ := get(t, exp.url+"/probe?target=http://127.0.0.1:1/"); code != 403 {
			t.Errorf("after reloading %q, allow_targets is off: %d", empty, code)
		}
	}
	reliability.Record(t, "configuration", "reload of an empty configuration file", "refused; the running configuration (allow_targets) stays")
}
