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

// Command soak runs the exporter under a steady, bounded load on loopback
// for a while (make soak: 3 minutes) and prints its RSS, goroutines and
// open files at the start, every half minute and at the end. The load is
// what a busy deployment sends, and what a hostile one does: probes of a
// healthy page, of a failing health check, of a target that answers a
// 2 MB header and of one that never answers; pings with and without
// bodies, refused pings with made-up names; scrapes of /metrics, the
// status page and /api/v1/heartbeats. It fails when the exporter's memory,
// goroutines or files keep growing.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/django-health/django_health_exporter/bench/internal/proc"
)

var (
	exporterBin = flag.String("exporter", "./django_health_exporter", "django_health_exporter binary")
	duration    = flag.Duration("duration", 3*time.Minute, "how long the load runs")
	workers     = flag.Int("workers", 8, "concurrent clients")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// sample is what the exporter holds at a moment.
type sample struct {
	at         time.Duration
	rssKB      int64
	goroutines int
	fds        int
}

func measure(pid int, base string, since time.Time) sample {
	s := sample{at: time.Since(since).Round(time.Second)}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				s.rssKB, _ = strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			}
		}
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.fds = len(fds)
	}
	if resp, err := http.Get(base + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "go_goroutines "); ok {
				s.goroutines, _ = strconv.Atoi(strings.TrimSpace(rest))
			}
		}
	}
	return s
}

func (s sample) String() string {
	return fmt.Sprintf("%6s  RSS %6.1f MiB  goroutines %4d  open files %4d", s.at, float64(s.rssKB)/1024, s.goroutines, s.fds)
}

// targets are the loopback sites the probes visit.
func targets() (healthy, failing, hugeHeader, silent string, stop func()) {
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("<li>Acme Shop</li>\n", 1000))
	}))
	f := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"DatabaseBackend": "working", "CeleryPingHealthCheck": "unavailable: Celery workers unavailable"}`)
	}))
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 2<<20))
		_, _ = io.WriteString(w, "ok")
	}))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	var conns sync.Map
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true) // accepted, never answered
		}
	}()
	return h.URL, f.URL, big.URL, "http://" + ln.Addr().String(), func() {
		h.Close()
		f.Close()
		big.Close()
		_ = ln.Close()
		conns.Range(func(k, _ any) bool { _ = k.(net.Conn).Close(); return true })
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	healthy, failing, hugeHeader, silent, stop := targets()
	defer stop()

	var cfg strings.Builder
	cfg.WriteString("modules:\n  quick: {timeout: 2s}\n  health: {timeout: 2s, http: {valid_status_codes: [200, 500]}, django: {health_check: django-health-check}}\n")
	cfg.WriteString("heartbeat_defaults: {auto_register: true, max_heartbeats: 2000}\nheartbeats:\n")
	for i := range 500 {
		fmt.Fprintf(&cfg, "  - {name: job-%d, interval: 1m}\n", i)
	}
	cfgPath := filepath.Join(dir, "soak.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		return err
	}
	port := proc.FreePort()
	p, err := proc.Start(dir, "exporter", nil, *exporterBin, "--config.file", cfgPath, "--storage.path", filepath.Join(dir, "data"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--log.level", "warn")
	if err != nil {
		return err
	}
	defer p.Stop()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := proc.WaitHTTP(base + "/-/ready"); err != nil {
		return err
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}
	requests := []func(i int) (*http.Request, error){
		func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"/probe?module=quick&target="+healthy, nil)
		},
		func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"/probe?module=health&target="+failing, nil)
		},
		func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"/probe?module=quick&target="+hugeHeader, nil)
		},
		func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"/probe?module=quick&target="+silent, nil)
		},
		func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/heartbeat/job-%d", base, i%500), strings.NewReader(strings.Repeat("output line\n", 100)))
		},
		func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/heartbeat/job-%d/start?rid=%d", base, i%500, i), nil)
		},
		func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/heartbeat/made-up-%d/no-such-action", base, i), nil)
		},
		func(int) (*http.Request, error) { return http.NewRequest(http.MethodGet, base+"/metrics", nil) },
		func(int) (*http.Request, error) { return http.NewRequest(http.MethodGet, base+"/", nil) },
		func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"/api/v1/heartbeats", nil)
		},
	}

	fmt.Printf("soak: %s of load from %d clients on loopback: probes (healthy, failing health check, 2 MB header, silent target), pings with 1.2 KB bodies, starts, refused pings, /metrics, /, /api/v1/heartbeats\n\n", *duration, *workers)
	start := time.Now()
	var samples []sample
	samples = append(samples, measure(p.Pid(), base, start))
	fmt.Println(samples[0])
	var sent, failed atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; ; i += *workers {
				select {
				case <-done:
					return
				default:
				}
				req, _ := requests[i%len(requests)](i)
				resp, err := client.Do(req)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
					failed.Add(1)
				}
			}
		}(w)
	}
	tick := time.NewTicker(30 * time.Second)
	end := time.After(*duration)
loop:
	for {
		select {
		case <-tick.C:
			s := measure(p.Pid(), base, start)
			samples = append(samples, s)
			fmt.Println(s)
		case <-end:
			break loop
		}
	}
	close(done)
	wg.Wait()
	time.Sleep(3 * time.Second) // let in-flight probes end
	last := measure(p.Pid(), base, start)
	fmt.Println(last)
	fmt.Printf("\n%d requests, %d failed on the client's side (a server error or no answer)\n", sent.Load(), failed.Load())
	return verdict(samples[min(1, len(samples)-1)], last, failed.Load())
}

// verdict compares the end with the first sample under load: memory may
// settle, but not keep growing; goroutines and files return to about
// where they were.
func verdict(settled, last sample, failed int64) error {
	var problems []string
	if last.rssKB > settled.rssKB*3/2+16<<10 {
		problems = append(problems, fmt.Sprintf("RSS grew from %d to %d kB", settled.rssKB, last.rssKB))
	}
	if last.goroutines > settled.goroutines+50 {
		problems = append(problems, fmt.Sprintf("goroutines grew from %d to %d", settled.goroutines, last.goroutines))
	}
	if last.fds > settled.fds+50 {
		problems = append(problems, fmt.Sprintf("open files grew from %d to %d", settled.fds, last.fds))
	}
	if failed > 0 {
		problems = append(problems, fmt.Sprintf("%d requests failed", failed))
	}
	if len(problems) > 0 {
		return fmt.Errorf("FAIL: %s", strings.Join(problems, "; "))
	}
	fmt.Println("PASS: memory, goroutines and open files stayed flat")
	return nil
}
