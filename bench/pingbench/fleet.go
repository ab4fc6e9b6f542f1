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

package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/bench/internal/proc"
)

var (
	fleetSize = flag.Int("fleet", 100000, "heartbeats of the fleet figures (0: skip them)")
	fleetOnly = flag.Bool("fleet-only", false, "measure the fleet figures only")
)

// The fleet goals: issue 18.
const (
	goalStart   = 5 * time.Second
	goalScrape  = 500 * time.Millisecond
	goalRSS     = 300 << 10 // kB
	goalBurstMS = 50
	burstNames  = 10000
	burstConns  = 64
)

// fleet measures one exporter holding n heartbeats (half on an interval,
// half on a cron schedule in a time zone), each pinged once and so with a
// record in the store: the start on that configuration and store, the
// scrape of /metrics with gzip as Prometheus asks, the memory, and a
// top-of-the-hour burst over 10,000 of them. It prints each beside its
// goal and returns whether all were met.
func fleet(dir string, n int) (bool, error) {
	cfgPath := filepath.Join(dir, "fleet.yml")
	if err := os.WriteFile(cfgPath, []byte(fleetConfig(n)), 0o600); err != nil {
		return false, err
	}
	data := filepath.Join(dir, "fleet-data")
	p, base, _, err := startFleet(dir, cfgPath, data)
	if err != nil {
		return false, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: burstConns, DisableCompression: true}}
	if err := pingAll(client, base, n, "done"); err != nil {
		p.Stop()
		return false, err
	}
	p.Stop()

	p, base, started, err := startFleet(dir, cfgPath, data)
	if err != nil {
		return false, err
	}
	defer p.Stop()
	scrape, size, err := scrapeGzip(client, base)
	if err != nil {
		return false, err
	}
	p99, err := burst(client, base, min(burstNames, n))
	if err != nil {
		return false, err
	}
	// Right after the burst the store's pages its commits read are still
	// mapped in; the store gives them back within releaseEvery (10 s).
	burstMem := memory(p.Pid())
	time.Sleep(12 * time.Second)
	mem := memory(p.Pid())
	verdict := func(ok bool) string { return map[bool]string{true: "PASS", false: "FAIL"}[ok] }
	fmt.Printf("\nfleet: %d heartbeats, each with a record in the store\n", n)
	fmt.Printf("start (configuration and store)   %6.2f s    goal <= %.0f s    %s\n", started.Seconds(), goalStart.Seconds(), verdict(started <= goalStart))
	fmt.Printf("/metrics with gzip (median of 5)  %6.0f ms   goal <= %.0f ms  %s  (%.1f MiB compressed)\n", scrape.Seconds()*1000, goalScrape.Seconds()*1000, verdict(scrape <= goalScrape), float64(size)/(1<<20))
	fmt.Printf("burst over %d heartbeats, p99     %6.1f ms   goal <= %d ms    %s  (%d connections, every ping 200)\n", min(burstNames, n), p99, goalBurstMS, verdict(p99 <= goalBurstMS), burstConns)
	fmt.Printf("RSS 12 s after all of it          %6.0f MiB  goal <= %d MiB  %s  (right after the burst %.0f, of it file-backed %.0f; peak %.0f at the start)\n",
		float64(mem.rss)/1024, goalRSS>>10, verdict(mem.rss <= goalRSS), float64(burstMem.rss)/1024, float64(burstMem.file)/1024, float64(mem.hwm)/1024)
	return started <= goalStart && scrape <= goalScrape && p99 <= goalBurstMS && mem.rss <= goalRSS, nil
}

func fleetConfig(n int) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "heartbeat_defaults: {max_heartbeats: %d}\nheartbeats:\n", n)
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&cfg, "  - {name: job-%d, interval: 5m, labels: {team: web}}\n", i)
		} else {
			fmt.Fprintf(&cfg, "  - {name: job-%d, schedule: \"%d %d * * *\", timezone: Europe/Berlin, max_runtime: 1h}\n", i, i%60, i%24)
		}
	}
	return cfg.String()
}

// startFleet starts the exporter and returns how long it took to answer
// /-/ready.
func startFleet(dir, cfgPath, data string) (*proc.Process, string, time.Duration, error) {
	port := proc.FreePort()
	t0 := time.Now()
	p, err := proc.Start(dir, "fleet", nil, *exporterBin, "--config.file", cfgPath, "--storage.path", data,
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--log.level", "warn")
	if err != nil {
		return nil, "", 0, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for time.Since(t0) < 2*time.Minute {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			return p, base, time.Since(t0), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Stop()
	return nil, "", 0, fmt.Errorf("the fleet exporter did not start within 2 minutes")
}

// scrapeGzip times /metrics as Prometheus asks for it (gzip), the whole
// body read and decompressed; median of five.
func scrapeGzip(client *http.Client, base string) (time.Duration, int, error) {
	var times []float64
	size := 0
	for range 5 {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, 0, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return 0, 0, fmt.Errorf("/metrics is not gzip: %w", err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(start).Seconds())
		size = len(b)
	}
	return time.Duration(median(times) * float64(time.Second)), size, nil
}

// burst pings n heartbeats at once from burstConns connections (a start
// and an end for every fourth, as at the top of the hour) and returns the
// 99th percentile of the pings' latency, in milliseconds.
func burst(client *http.Client, base string, n int) (float64, error) {
	jobs := make(chan string)
	var mu sync.Mutex
	var lat []float64
	var firstErr error
	var wg sync.WaitGroup
	for range burstConns {
		wg.Go(func() {
			for path := range jobs {
				start := time.Now()
				resp, err := client.Post(base+path, "text/plain", strings.NewReader("ok"))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: %s", path, resp.Status)
					}
				}
				mu.Lock()
				lat = append(lat, time.Since(start).Seconds()*1000)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		if i%4 == 0 {
			jobs <- fmt.Sprintf("/heartbeat/job-%d/start?rid=b", i)
			jobs <- fmt.Sprintf("/heartbeat/job-%d?rid=b", i)
			continue
		}
		jobs <- fmt.Sprintf("/heartbeat/job-%d", i)
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100], nil
}
