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

// Command probebench measures the CPU an HTTPS probe costs in
// django_health_exporter, in blackbox_exporter and in a bare Go client
// doing only the connection, the handshake and the body read, side by side
// in one run against the same local HTTPS target, alternating rounds so
// that a noisy machine moves all three alike. It also measures the peak
// memory of probing a 1 GiB body.
//
// CPU is user+system time from /proc/<pid>/stat of each prober's process,
// read before and after a batch of probes; the load generator (this
// program) is not counted.
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/bench/internal/proc"
)

var (
	exporterBin = flag.String("exporter", "./django_health_exporter", "django_health_exporter binary")
	blackboxBin = flag.String("blackbox", "/usr/bin/prometheus-blackbox-exporter", "blackbox_exporter binary")
	rounds      = flag.Int("rounds", 15, "alternating rounds")
	probes      = flag.Int("probes", 600, "probes per prober per round")
	concurrency = flag.Int("concurrency", 2, "probes in flight")
	pageSize    = flag.Int("page-size", 20_000, "size of the probed page in bytes")
	bigSize     = flag.Int64("big-size", 1<<30, "size of the body for the memory test")
	goalBlack   = flag.Float64("goal-blackbox", 0.6, "ours/blackbox CPU ratio to meet")
	goalBare    = flag.Float64("goal-bare", 1.2, "ours/bare-client CPU ratio to meet")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of django_health_exporter during an extra batch to this file")
	oursEnv     = flag.String("ours-env", "", "extra environment for django_health_exporter, e.g. GOGC=200")
	keep        = flag.Bool("keep", false, "keep the work directory (configs, logs) and print its path")
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		bareClient(os.Args[2:])
		return
	}
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "probebench:", err)
		os.Exit(1)
	}
}

// page is a 20 KB shop page with the two keywords and no forbidden word.
func page(size int) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme Shop</title></head><body><h1>Acme Shop</h1><ul>\n")
	for i := 0; b.Len() < size-200; i++ {
		fmt.Fprintf(&b, "<li class=\"product\"><a href=\"/products/%d/\">Espresso beans, batch %d</a> <span class=\"price\">%d.90 EUR</span></li>\n", i, i, 10+i%30)
	}
	b.WriteString("</ul><form><button>Add to cart</button></form><footer>&copy; 2026 Acme Shop</footer></body></html>\n")
	return b.Bytes()
}

// bigBody streams n bytes of page-like text.
type bigBody struct {
	chunk []byte
	left  int64
}

func (r *bigBody) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.chunk[:min(int64(len(r.chunk)), r.left)])
		n += c
		r.left -= int64(c)
	}
	return n, nil
}

func bigSum(n int64, chunk []byte) string {
	h := sha256.New()
	_, _ = io.Copy(h, &bigBody{chunk: chunk, left: n})
	return hex.EncodeToString(h.Sum(nil))
}

type target struct {
	url    string
	caFile string
	srv    *http.Server
}

// startTarget serves the page over TLS 1.3, HTTP/1.1 only, with an ECDSA
// certificate from a CA written to dir.
func startTarget(dir string, body []byte, bigChunk []byte) (*target, error) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probebench CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "shop.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/big30", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.Copy(w, &bigBody{chunk: bigChunk, left: 30 << 20})
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.FormatInt(*bigSize, 10))
		_, _ = io.Copy(w, &bigBody{chunk: bigChunk, left: *bigSize})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:      mux,
		TLSConfig:    &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}, // HTTP/1.1 for every client
		ErrorLog:     nil,
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return &target{url: "https://" + ln.Addr().String(), caFile: caFile, srv: srv}, nil
}

func mustSucceed(name, probeURL string) error {
	body, err := proc.Scrape(probeURL)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !strings.Contains(body, "\nprobe_success 1\n") {
		return fmt.Errorf("%s: the probe does not succeed, so it measures nothing:\n%s", name, body)
	}
	return nil
}

// bare is the bare client: a child process that waits for a line on
// stdin, runs n probes, says "done" and waits for stdin to close.
type bare struct {
	p      *proc.Process
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

func startBare(dir, targetURL, caFile string, n, c int) (*bare, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "bare", "-url", targetURL, "-ca", caFile, "-n", strconv.Itoa(n), "-c", strconv.Itoa(c))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &bare{p: &proc.Process{Cmd: cmd}, stdin: stdin, stdout: bufio.NewReader(stdout)}, nil
}

func (b *bare) batch() (time.Duration, error) {
	pid := b.p.Pid()
	before, err := proc.CPU(pid)
	if err != nil {
		return 0, err
	}
	if _, err := io.WriteString(b.stdin, "go\n"); err != nil {
		return 0, err
	}
	line, err := b.stdout.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(line) != "done" {
		return 0, fmt.Errorf("bare client: %s", line)
	}
	after, err := proc.CPU(pid)
	return after - before, err
}

func bareClient(args []string) {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	u := fs.String("url", "", "")
	caFile := fs.String("ca", "", "")
	n := fs.Int("n", 1000, "")
	c := fs.Int("c", 2, "")
	_ = fs.Parse(args)
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	// New connection and full handshake for every request, as a probe does.
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		DisableKeepAlives: true,
	}}
	if path := os.Getenv("PROBEBENCH_BARE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var wg sync.WaitGroup
		jobs := make(chan struct{}, *n)
		for i := 0; i < *n; i++ {
			jobs <- struct{}{}
		}
		close(jobs)
		failed := 0
		var mu sync.Mutex
		for w := 0; w < *c; w++ {
			wg.Go(func() {
				for range jobs {
					resp, err := client.Get(*u)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					if err != nil || resp.StatusCode != http.StatusOK {
						mu.Lock()
						failed++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if failed > 0 {
			fmt.Printf("failed %d\n", failed)
			continue
		}
		fmt.Println("done")
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}

func run() error {
	dir, err := os.MkdirTemp("", "probebench-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Printf("work directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	body := page(*pageSize)
	bigChunk := page(64 << 10)
	tg, err := startTarget(dir, body, bigChunk)
	if err != nil {
		return err
	}
	defer tg.srv.Close()
	pinned := bigSum(*bigSize, bigChunk)

	ours := fmt.Sprintf(`
modules:
  bench:
    http: {tls_config: {ca_file: %[1]s}}
    checks:
      - {keyword: "Acme Shop"}
      - {keyword: "Add to cart"}
      - {forbid_regex: "Traceback"}
    django: {detect_debug: false, detect_disallowed_host: false, health_check: none}
  bench_django:
    http: {tls_config: {ca_file: %[1]s}}
    checks:
      - {keyword: "Acme Shop"}
      - {keyword: "Add to cart"}
      - {forbid_regex: "Traceback"}
  kept:
    timeout: 120s
    http: {tls_config: {ca_file: %[1]s}}
    checks: [{regex: "Acme Shop"}]
  big_hash:
    timeout: 120s
    http: {tls_config: {ca_file: %[1]s}, body_size_limit: 4GiB}
    checks: [{sha256: %[2]s}]
    django: {detect_debug: false, detect_disallowed_host: false, health_check: none}
  big_django:
    timeout: 120s
    http: {tls_config: {ca_file: %[1]s}, body_size_limit: 4GiB}
    checks: [{sha256: %[2]s}]
`, tg.caFile, pinned)
	blackbox := fmt.Sprintf(`
modules:
  bench:
    prober: http
    timeout: 10s
    http:
      preferred_ip_protocol: ip4
      tls_config: {ca_file: %[1]s}
      fail_if_body_not_matches_regexp: ["Acme Shop", "Add to cart"]
      fail_if_body_matches_regexp: ["Traceback"]
  big_regex:
    prober: http
    timeout: 120s
    http:
      preferred_ip_protocol: ip4
      tls_config: {ca_file: %[1]s}
      fail_if_body_not_matches_regexp: ["Acme Shop"]
`, tg.caFile)
	oursCfg, bbCfg := filepath.Join(dir, "ours.yml"), filepath.Join(dir, "blackbox.yml")
	_ = os.WriteFile(oursCfg, []byte(ours), 0o600)
	_ = os.WriteFile(bbCfg, []byte(blackbox), 0o600)

	startOurs := func(name string, extra ...string) (*proc.Process, string, error) {
		port := proc.FreePort()
		var env []string
		if *oursEnv != "" {
			env = strings.Fields(*oursEnv)
		}
		args := []string{"--config.file", oursCfg, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--storage.path", filepath.Join(dir, "data-"+name), "--log.level", "warn"}
		if *cpuProfile != "" {
			args = append(args, "--web.enable-pprof")
		}
		args = append(args, extra...)
		p, err := proc.Start(dir, name, env, append([]string{*exporterBin}, args...)...)
		if err != nil {
			return nil, "", err
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		return p, base, proc.WaitHTTP(base + "/-/healthy")
	}
	startBlackbox := func(name string) (*proc.Process, string, error) {
		port := proc.FreePort()
		p, err := proc.Start(dir, name, nil, *blackboxBin, "--config.file", bbCfg, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--log.level", "warn")
		if err != nil {
			return nil, "", err
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		return p, base, proc.WaitHTTP(base + "/-/healthy")
	}
	probeURL := func(base, module, path string) string {
		return base + "/probe?" + url.Values{"target": {tg.url + path}, "module": {module}}.Encode()
	}

	oursP, oursBase, err := startOurs("ours")
	if err != nil {
		return err
	}
	defer oursP.Stop()
	bbP, bbBase, err := startBlackbox("blackbox")
	if err != nil {
		return err
	}
	defer bbP.Stop()
	bareP, err := startBare(dir, tg.url+"/", tg.caFile, *probes, *concurrency)
	if err != nil {
		return err
	}
	defer func() { _ = bareP.stdin.Close(); _ = bareP.p.Cmd.Wait() }()

	contestants := []struct {
		name string
		run  func() (time.Duration, error)
	}{
		{"blackbox_exporter 0.23", func() (time.Duration, error) {
			return proc.Batch(bbP.Pid(), probeURL(bbBase, "bench", "/"), *probes, *concurrency)
		}},
		{"django_health_exporter", func() (time.Duration, error) {
			return proc.Batch(oursP.Pid(), probeURL(oursBase, "bench", "/"), *probes, *concurrency)
		}},
		{"bare Go client", bareP.batch},
		{"django_health_exporter, Django detectors on", func() (time.Duration, error) {
			return proc.Batch(oursP.Pid(), probeURL(oursBase, "bench_django", "/"), *probes, *concurrency)
		}},
	}
	if err := mustSucceed("ours", probeURL(oursBase, "bench", "/")); err != nil {
		return err
	}
	if err := mustSucceed("blackbox", probeURL(bbBase, "bench", "/")); err != nil {
		return err
	}
	// Warm up every prober once (page cache, JIT-free Go still has lazy init).
	for _, c := range contestants {
		if _, err := c.run(); err != nil {
			return fmt.Errorf("%s warm-up: %w", c.name, err)
		}
	}

	fmt.Printf("probebench: %d rounds x %d HTTPS probes (concurrency %d) of a %d-byte page; checks: status, 2 keywords, 1 forbidden regex\n",
		*rounds, *probes, *concurrency, len(body))
	fmt.Printf("target: Go HTTPS server, TLS 1.3, ECDSA P-256, HTTP/1.1, new connection per probe; CPU = on-CPU time of each prober's threads (schedstat)\n\n")
	results := make([][]time.Duration, len(contestants))
	for r := 0; r < *rounds; r++ {
		fmt.Printf("round %d:", r+1)
		// Rotate the order so that no prober always runs first or last.
		for i := range contestants {
			k := (i + r) % len(contestants)
			d, err := contestants[k].run()
			if err != nil {
				return fmt.Errorf("%s: %w", contestants[k].name, err)
			}
			results[k] = append(results[k], d/time.Duration(*probes))
		}
		for k, c := range contestants {
			fmt.Printf("  %s %.0fµs", shortName(c.name), float64(results[k][r].Microseconds()))
		}
		fmt.Println()
	}
	med := make([]time.Duration, len(contestants))
	fmt.Printf("\n%-46s %14s\n", "prober", "CPU per probe")
	for k, c := range contestants {
		med[k] = median(results[k])
		fmt.Printf("%-46s %12.0fµs\n", c.name, float64(med[k].Nanoseconds())/1e3)
	}
	// Rounds are pairs in time: the median of the per-round ratios cancels
	// the drift of a shared machine better than a ratio of medians.
	ratio := func(a, b int) float64 {
		rs := make([]time.Duration, *rounds)
		for i := range rs {
			rs[i] = time.Duration(float64(results[a][i]) / float64(results[b][i]) * 1e6)
		}
		return float64(median(rs)) / 1e6
	}
	rBB, rBare, rBBd, rBared := ratio(1, 0), ratio(1, 2), ratio(3, 0), ratio(3, 2)
	fmt.Printf("\nmedian of per-round ratios (ratio of the medians above in brackets):\n")
	fmt.Printf("ours/blackbox     %.2f (%.2f)  goal <= %.2f  %s\n", rBB, float64(med[1])/float64(med[0]), *goalBlack, verdict(rBB <= *goalBlack))
	fmt.Printf("ours/bare client  %.2f (%.2f)  goal <= %.2f  %s\n", rBare, float64(med[1])/float64(med[2]), *goalBare, verdict(rBare <= *goalBare))
	fmt.Printf("with the Django detectors on: ours/blackbox %.2f, ours/bare %.2f\n", rBBd, rBared)
	fmt.Printf("blackbox/bare client %.2f\n", ratio(0, 2))

	if *cpuProfile != "" {
		if err := profileOurs(oursBase, func() error { _, err := contestants[1].run(); return err }); err != nil {
			return err
		}
	}

	// Memory: a fresh process per measurement, one probe of a 1 GiB body.
	fmt.Printf("\npeak memory probing a %d MiB body (VmHWM of a fresh process):\n", *bigSize>>20)
	ok := true
	for _, m := range []struct {
		name, module string
		start        func(string) (*proc.Process, string, error)
		bounded      bool
	}{
		{"django_health_exporter, sha256 check only", "big_hash", func(n string) (*proc.Process, string, error) { return startOurs(n) }, true},
		{"django_health_exporter, sha256 + Django detectors", "big_django", func(n string) (*proc.Process, string, error) { return startOurs(n) }, true},
		{"blackbox_exporter, one regex (reads the body into memory)", "big_regex", startBlackbox, false},
	} {
		p, base, err := m.start("mem-" + m.module)
		if err != nil {
			return err
		}
		idle := proc.Status(p.Pid(), "VmRSS")
		start := time.Now()
		if err := mustSucceed(m.name, probeURL(base, m.module, "/big")); err != nil {
			p.Stop()
			return err
		}
		took := time.Since(start)
		peak := proc.Status(p.Pid(), "VmHWM")
		p.Stop()
		line := fmt.Sprintf("  %-58s idle %4d MiB, peak %5d MiB, %.1fs", m.name, idle>>10, peak>>10, took.Seconds())
		if m.bounded {
			bounded := peak < 64<<10 // 64 MiB
			ok = ok && bounded
			line += "  (goal: bounded, < 64 MiB) " + verdict(bounded)
		}
		fmt.Println(line)
	}
	budgetOK, err := concurrentMemory(startOurs, func(base string) string { return probeURL(base, "kept", "/big30") })
	if err != nil {
		return err
	}
	if rBB > *goalBlack || rBare > *goalBare || !ok || !budgetOK {
		return fmt.Errorf("a goal was missed")
	}
	return nil
}

// concurrentMemory sends 200 concurrent probes of 30 MB bodies, each
// kept for a regex (up to the default body_size_limit of 10 MiB), to a
// fresh exporter with the default --probe.memory-budget and to one with
// a budget too large to matter, and prints the peak RSS (VmHWM) of each.
func concurrentMemory(start func(string, ...string) (*proc.Process, string, error), probeURL func(base string) string) (bool, error) {
	const n = 200
	fmt.Printf("\npeak memory with %d concurrent probes of 30 MB bodies kept for a regex (VmHWM of a fresh process):\n", n)
	ok := true
	for _, c := range []struct {
		name  string
		extra []string
		goal  bool
	}{
		{"django_health_exporter, --probe.memory-budget=128MiB (default)", nil, true},
		{"django_health_exporter, --probe.memory-budget=100GiB (no bound)", []string{"--probe.memory-budget=100GiB"}, false},
	} {
		p, base, err := start("concurrent", c.extra...)
		if err != nil {
			return false, err
		}
		codes := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		started := time.Now()
		for range n {
			wg.Go(func() {
				code := "error"
				if resp, err := http.Get(probeURL(base)); err == nil {
					b, _ := io.ReadAll(resp.Body)
					_ = resp.Body.Close()
					switch {
					case resp.StatusCode != http.StatusOK:
						code = strconv.Itoa(resp.StatusCode)
					case strings.Contains(string(b), `probe_failed_due_to{reason="refused"} 1`):
						code = "refused"
					default:
						code = "probed"
					}
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		took := time.Since(started)
		peak := proc.Status(p.Pid(), "VmHWM")
		p.Stop()
		line := fmt.Sprintf("  %-62s peak %5d MiB in %.1fs; answers %v", c.name, peak>>10, took.Seconds(), codes)
		if c.goal {
			met := peak < 400<<10
			ok = ok && met
			line += "  (goal < 400 MiB) " + verdict(met)
		}
		fmt.Println(line)
	}
	return ok, nil
}

// profileOurs saves a CPU profile of the exporter taken during one batch.
func profileOurs(base string, batch func() error) error {
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + "/debug/pprof/profile?seconds=10")
		if err != nil {
			errc <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(*cpuProfile)
		if err != nil {
			errc <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		_ = f.Close()
		errc <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if err := batch(); err != nil {
		return err
	}
	if err := <-errc; err != nil {
		return err
	}
	fmt.Printf("\nCPU profile of django_health_exporter written to %s\n", *cpuProfile)
	return nil
}

func shortName(s string) string {
	switch {
	case strings.HasPrefix(s, "blackbox"):
		return "blackbox"
	case strings.Contains(s, "detectors"):
		return "ours+django"
	case strings.HasPrefix(s, "bare"):
		return "bare"
	}
	return "ours"
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
