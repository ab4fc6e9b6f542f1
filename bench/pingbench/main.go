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

// Command pingbench compares heartbeat pings with Pushgateway pushes: the
// same load client (wrk, the same Lua script: POST with an empty body,
// spread over 100 names) against django_health_exporter's
// /heartbeat/{name} and Pushgateway's /metrics/job/{name}, in alternating
// rounds of one run. Every ping answered 200 is on disk (fsync); a push is
// in memory until Pushgateway's next persistence write.
//
// It then times one /metrics scrape of an exporter with 10,000 heartbeats.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/bench/internal/proc"
)

var (
	exporterBin = flag.String("exporter", "./django_health_exporter", "django_health_exporter binary")
	pushgateway = flag.String("pushgateway", "/usr/bin/prometheus-pushgateway", "Pushgateway binary")
	wrkBin      = flag.String("wrk", "/usr/bin/wrk", "wrk binary")
	rounds      = flag.Int("rounds", 3, "alternating rounds")
	duration    = flag.Duration("duration", 10*time.Second, "length of each wrk run")
	connections = flag.Int("connections", 64, "wrk connections")
	threads     = flag.Int("threads", 2, "wrk threads")
	heartbeats  = flag.Int("heartbeats", 10000, "heartbeats for the /metrics scrape timing")
	goalRatio   = flag.Float64("goal", 5, "ours/Pushgateway requests per second to meet")
)

const names = 100

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pingbench:", err)
		os.Exit(1)
	}
}

// script is the wrk Lua script: POST, empty body, one of n names.
func script(dir, name, prefix string, n int) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.lua", name, n))
	lua := fmt.Sprintf(`math.randomseed(os.time())
request = function()
  return wrk.format("POST", %q .. math.random(0, %d), nil, "")
end
`, prefix, n-1)
	return path, os.WriteFile(path, []byte(lua), 0o600)
}

var (
	rpsRE    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	non2xxRE = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	errRE    = regexp.MustCompile(`Socket errors:.*`)
	latRE    = regexp.MustCompile(`(?m)^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)`)
)

type wrkResult struct {
	rps     float64
	latency string
}

func runWrk(base, lua string, connections int) (wrkResult, error) {
	out, err := exec.Command(*wrkBin, "-t", strconv.Itoa(min(*threads, connections)), "-c", strconv.Itoa(connections),
		"-d", duration.String(), "--latency", "-s", lua, base).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	m := rpsRE.FindSubmatch(out)
	if m == nil {
		return wrkResult{}, fmt.Errorf("wrk output:\n%s", out)
	}
	if bad := non2xxRE.FindSubmatch(out); bad != nil {
		return wrkResult{}, fmt.Errorf("%s non-2xx answers:\n%s", bad[1], out)
	}
	if e := errRE.Find(out); e != nil {
		return wrkResult{}, fmt.Errorf("%s\n%s", e, out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	r := wrkResult{rps: rps}
	if l := latRE.FindSubmatch(out); l != nil {
		r.latency = fmt.Sprintf("mean %s, stdev %s", l[1], l[2])
	}
	return r, nil
}

func metricsValue(base, name string) float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func run() error {
	dir, err := os.MkdirTemp("", "pingbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *fleetOnly {
		ok, err := fleet(dir, *fleetSize)
		if err == nil && !ok {
			err = fmt.Errorf("a goal was missed")
		}
		return err
	}

	var cfg strings.Builder
	cfg.WriteString("heartbeats:\n")
	for i := range names {
		fmt.Fprintf(&cfg, "  - {name: bench-%d, interval: 1m}\n", i)
	}
	cfgPath := filepath.Join(dir, "ours.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		return err
	}
	oursPort, pgwPort := proc.FreePort(), proc.FreePort()
	ours, err := proc.Start(dir, "ours", nil, *exporterBin, "--config.file", cfgPath, "--storage.path", filepath.Join(dir, "data"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", oursPort), "--log.level", "warn")
	if err != nil {
		return err
	}
	defer ours.Stop()
	pgw, err := proc.Start(dir, "pushgateway", nil, *pushgateway, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", pgwPort),
		"--persistence.file", filepath.Join(dir, "pushgateway.state"), "--log.level", "warn")
	if err != nil {
		return err
	}
	defer pgw.Stop()
	oursBase := fmt.Sprintf("http://127.0.0.1:%d", oursPort)
	pgwBase := fmt.Sprintf("http://127.0.0.1:%d", pgwPort)
	if err := proc.WaitHTTP(oursBase + "/-/ready"); err != nil {
		return err
	}
	if err := proc.WaitHTTP(pgwBase + "/-/ready"); err != nil {
		return err
	}
	spread, err := compare(dir, oursBase, pgwBase, *connections, names)
	if err != nil {
		return err
	}
	commits := metricsValue(oursBase, "django_health_exporter_heartbeat_store_commits_total")
	writes := metricsValue(oursBase, "django_health_exporter_heartbeat_store_writes_total")
	if commits > 0 {
		fmt.Printf("heartbeat store: %.0f writes in %.0f commits, %.1f pings per fsync\n", writes, commits, writes/commits)
	}
	// One heartbeat every worker process pings (a shared liveness
	// heartbeat): 8 connections on one name.
	hot, err := compare(dir, oursBase, pgwBase, 8, 1)
	if err != nil {
		return err
	}
	ours.Stop()
	pgw.Stop()

	scrape, memOK, err := scrapeWithHeartbeats(dir, *heartbeats)
	if err != nil {
		return err
	}
	fmt.Println(scrape)
	fmt.Printf("RSS with %d heartbeats under 100 MiB: %s\n", *heartbeats, map[bool]string{true: "PASS", false: "FAIL"}[memOK])
	fleetOK := true
	if *fleetSize > 0 {
		if fleetOK, err = fleet(dir, *fleetSize); err != nil {
			return err
		}
	}
	if spread < *goalRatio || hot < *goalRatio || !memOK || !fleetOK {
		return fmt.Errorf("a goal was missed")
	}
	return nil
}

// compare runs wrk against both, alternating, with connections on n
// names, and prints and returns the ratio of the medians.
func compare(dir, oursBase, pgwBase string, connections, n int) (float64, error) {
	oursLua, err := script(dir, "ours", "/heartbeat/bench-", n)
	if err != nil {
		return 0, err
	}
	pgwLua, err := script(dir, "pushgateway", "/metrics/job/bench-", n)
	if err != nil {
		return 0, err
	}
	fmt.Printf("\npingbench: wrk -c%d -d%s, POST with an empty body to one of %d names, %d alternating rounds\n\n",
		connections, duration, n, *rounds)
	var oursRPS, pgwRPS []float64
	for r := 0; r < *rounds; r++ {
		first, second := "pushgateway", "ours"
		if r%2 == 1 {
			first, second = second, first
		}
		for _, who := range []string{first, second} {
			var res wrkResult
			if who == "ours" {
				res, err = runWrk(oursBase, oursLua, connections)
				oursRPS = append(oursRPS, res.rps)
			} else {
				res, err = runWrk(pgwBase, pgwLua, connections)
				pgwRPS = append(pgwRPS, res.rps)
			}
			if err != nil {
				return 0, fmt.Errorf("%s: %w", who, err)
			}
			fmt.Printf("round %d %-12s %9.0f requests/s  (latency %s)\n", r+1, who, res.rps, res.latency)
		}
	}
	o, p := median(oursRPS), median(pgwRPS)
	verdict := "FAIL"
	if o/p >= *goalRatio {
		verdict = "PASS"
	}
	fmt.Printf("\n%d connections, %d name(s):\n", connections, n)
	fmt.Printf("django_health_exporter  %9.0f durable pings/s (median; each answered after its fsync)\n", o)
	fmt.Printf("Pushgateway 1.5.1       %9.0f pushes/s (median; in memory until its next persistence write)\n", p)
	fmt.Printf("ratio %.1fx (goal >= %.0fx) %s\n", o/p, *goalRatio, verdict)
	return o / p, nil
}

// pingAll pings heartbeats job-0 to job-(n-1) from 32 connections, with
// body as the message: a start and an end for every fourth, a success
// for the others.
func pingAll(client *http.Client, base string, n int, body string) error {
	jobs := make(chan int)
	var wg sync.WaitGroup
	var pingErr error
	var mu sync.Mutex
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				paths := []string{fmt.Sprintf("/heartbeat/job-%d", i)}
				if i%4 == 0 {
					paths = []string{fmt.Sprintf("/heartbeat/job-%d/start?rid=r", i), fmt.Sprintf("/heartbeat/job-%d/0?rid=r", i)}
				}
				for _, path := range paths {
					resp, err := client.Post(base+path, "text/plain", strings.NewReader(body))
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("%s: %s", path, resp.Status)
						}
					}
					if err != nil {
						mu.Lock()
						pingErr = err
						mu.Unlock()
					}
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return pingErr
}

// scrapeWithHeartbeats times /metrics of an exporter holding n pinged
// heartbeats, and reports its memory; ok is false when its RSS is 100 MiB
// or more.
func scrapeWithHeartbeats(dir string, n int) (string, bool, error) {
	cfg := fleetConfig(n)
	cfgPath := filepath.Join(dir, "many.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return "", false, err
	}
	port := proc.FreePort()
	p, err := proc.Start(dir, "many", nil, *exporterBin, "--config.file", cfgPath, "--storage.path", filepath.Join(dir, "many-data"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--log.level", "warn")
	if err != nil {
		return "", false, err
	}
	defer p.Stop()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := proc.WaitHTTP(base + "/-/ready"); err != nil {
		return "", false, err
	}
	// Ping each once (a start and an end for a quarter), so every series
	// has values.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	if err := pingAll(client, base, n, "done"); err != nil {
		return "", false, err
	}
	var times []float64
	var size, series int
	for range 7 {
		start := time.Now()
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			return "", false, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return "", false, err
		}
		times = append(times, time.Since(start).Seconds())
		size = len(b)
		series = 0
		for line := range bytes.SplitSeq(b, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("heartbeat_")) {
				series++
			}
		}
	}
	report := fmt.Sprintf("/metrics with %d heartbeats: %d heartbeat series, %.1f MiB uncompressed, %.0f ms per scrape (median of 7, min %.0f, max %.0f)\n",
		n, series, float64(size)/(1<<20), median(times)*1000, minOf(times)*1000, maxOf(times)*1000)
	mem := memory(p.Pid())
	report += fmt.Sprintf("memory with %d heartbeats, each pinged, /metrics scraped 7 times: %s\n", n, mem)
	ok := mem.rss < 100<<10

	// The same heartbeats then report 2 KiB of output each (a quarter as a
	// start and an end), and the status page and /api/v1/heartbeats (all
	// the messages) are read once.
	output := strings.Repeat(strings.Repeat("x", 63)+"\n", 32)
	if err := pingAll(client, base, n, output); err != nil {
		return "", false, err
	}
	for _, path := range []string{"/", "/api/v1/heartbeats", "/metrics"} {
		resp, err := client.Get(base + path)
		if err != nil {
			return "", false, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	report += fmt.Sprintf("memory after 2 KiB of output each, the status page and the API read once: %s", memory(p.Pid()))
	return report, ok, nil
}

// memStatus is what /proc/PID/status says of a process's memory, in kB.
type memStatus struct{ rss, hwm, anon, file int64 }

func memory(pid int) memStatus {
	var m memStatus
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = v
		case "VmHWM:":
			m.hwm = v
		case "RssAnon:":
			m.anon = v
		case "RssFile:":
			m.file = v
		}
	}
	return m
}

func (m memStatus) String() string {
	return fmt.Sprintf("RSS %.0f MiB (peak %.0f; anonymous %.0f, file-backed %.0f: the binary and the store's mapped pages)",
		float64(m.rss)/1024, float64(m.hwm)/1024, float64(m.anon)/1024, float64(m.file)/1024)
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
