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
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// twoReplicas listens on 127.0.0.1:PORT and 127.0.0.2:PORT (one port, two
// loopback addresses: the pods of a headless Service) and records what
// each got: "METHOD PATH Host".
func twoReplicas(t *testing.T) (port string, got func() map[string][]string) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string][]string{}
	for range 20 {
		l1, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ = net.SplitHostPort(l1.Addr().String())
		l2, err := net.Listen("tcp", "127.0.0.2:"+port)
		if err != nil {
			l1.Close()
			continue
		}
		for _, l := range []net.Listener{l1, l2} {
			addr := l.Addr().String()
			srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[addr] = append(seen[addr], r.Method+" "+r.URL.RequestURI()+" "+r.Host)
				mu.Unlock()
			})}
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close() })
		}
		return port, func() map[string][]string {
			mu.Lock()
			defer mu.Unlock()
			out := map[string][]string{}
			for k, v := range seen {
				out[k] = append([]string(nil), v...)
			}
			return out
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return "", nil
}

// dns+http://NAME:PORT sends every ping, pause and resume to each address
// the name resolves to, with the name as the Host; a comma-separated list
// sends to each URL.
func TestEveryReplicaGetsEveryRequest(t *testing.T) {
	port, got := twoReplicas(t)
	resolved := 0
	c := &Client{URL: "dns+http://exporters.test:" + port, Timeout: 2 * time.Second,
		lookupHost: func(_ context.Context, host string) ([]string, error) {
			if host != "exporters.test" {
				return nil, fmt.Errorf("unexpected lookup of %s", host)
			}
			resolved++
			return []string{"127.0.0.1", "127.0.0.2"}, nil
		}}
	ctx := context.Background()
	if err := c.Ping(ctx, "celery-beat", "start", "r1", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(ctx, "celery-beat", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx, "celery-beat"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /heartbeat/celery-beat/start?rid=r1 exporters.test:" + port,
		"POST /api/v1/heartbeats/celery-beat/pause exporters.test:" + port,
		"DELETE /api/v1/heartbeats/celery-beat/pause exporters.test:" + port,
	}
	for _, addr := range []string{"127.0.0.1:" + port, "127.0.0.2:" + port} {
		if g := got()[addr]; strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s got:\n%s\nwant:\n%s", addr, strings.Join(g, "\n"), strings.Join(want, "\n"))
		}
	}
	if resolved != 3 {
		t.Errorf("the name was resolved %d times, want once a request (replicas come and go)", resolved)
	}

	list := &Client{URL: fmt.Sprintf("http://127.0.0.1:%s, http://127.0.0.2:%s/", port, port), Timeout: 2 * time.Second}
	if err := list.Ping(ctx, "deploy", "", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"127.0.0.1:" + port, "127.0.0.2:" + port} {
		if g := got()[addr]; len(g) != 4 || !strings.HasPrefix(g[3], "POST /heartbeat/deploy ") {
			t.Errorf("%s: the list's ping did not arrive: %q", addr, g)
		}
	}

	// One replica down: the other still gets the ping, and the error names
	// the one that failed.
	down := &Client{URL: fmt.Sprintf("http://127.0.0.1:%s,http://127.0.0.1:1", port), Timeout: 500 * time.Millisecond}
	err := down.Ping(ctx, "deploy", "", "", nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("one replica down: %v", err)
	}
	if g := got()["127.0.0.1:"+port]; len(g) != 5 {
		t.Errorf("the live replica got %d requests, want 5", len(g))
	}
}
