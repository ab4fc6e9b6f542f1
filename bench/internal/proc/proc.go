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

// Package proc starts and stops the programs the benchmarks measure.
package proc

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a program under measurement, its output in dir/name.log.
type Process struct {
	Cmd *exec.Cmd
	log *os.File
}

// Start runs argv in its own process group with extra environment.
func Start(dir, name string, env []string, argv ...string) (*Process, error) {
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return &Process{Cmd: cmd, log: log}, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Stop ends the process group, by force after 10 seconds.
func (p *Process) Stop() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	}
	_ = p.log.Close()
}

// FreePort returns a TCP port free on the loopback now.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitHTTP waits up to 15 seconds for u to answer.
func WaitHTTP(u string) error {
	for range 300 {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer", u)
}

// CPU is the time the process's threads have spent on a CPU, summed from
// /proc/<pid>/task/*/schedstat (nanoseconds, exact), or user+system time
// from /proc/<pid>/stat (10 ms ticks) where schedstat is missing. Go keeps
// its threads, so none of the time is lost with an exited thread.
func CPU(pid int) (time.Duration, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err == nil {
		var total time.Duration
		ok := true
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
			if err != nil {
				ok = false
				break
			}
			ns, _ := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
			total += time.Duration(ns)
		}
		if ok {
			return total, nil
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after the last ')'.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100, nil // CLK_TCK is 100 on Linux
}

// Status reads a field of /proc/<pid>/status in kB.
func Status(pid int, field string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}

// scraper drives /probe requests like Prometheus does, over keep-alive
// connections to the exporter.
var scraper = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 120 * time.Second}

// Scrape asks for one probe.
func Scrape(probeURL string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, probeURL, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "60")
	resp, err := scraper.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// Batch runs n probes through an exporter, c at a time, and returns its
// CPU; every probe must succeed.
func Batch(pid int, probeURL string, n, c int) (time.Duration, error) {
	before, err := CPU(pid)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range c {
		wg.Go(func() {
			for range jobs {
				body, err := Scrape(probeURL)
				if err == nil && !strings.Contains(body, "\nprobe_success 1\n") {
					err = fmt.Errorf("probe failed:\n%s", body)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	after, err := CPU(pid)
	if err != nil {
		return 0, err
	}
	return after - before, firstErr
}
