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

// Command assetbench measures what django.static_assets costs, side by
// side in one run: the exporter's CPU for an HTTPS probe of a page that
// links 10 assets on its own host, with the check and without it
// (alternating rounds, the ratio of their medians; goal <= 2x), and the
// peak RSS of a fresh exporter answering 200 concurrent asset-checking
// probes (goal: under the default --probe.memory-budget, 128 MiB).
package main

import (
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/bench/internal/proc"
)

var (
	exporterBin = flag.String("exporter", "./django_health_exporter", "django_health_exporter binary")
	rounds      = flag.Int("rounds", 10, "alternating rounds")
	probes      = flag.Int("probes", 200, "probes per module per round")
	goalRatio   = flag.Float64("goal-ratio", 2, "CPU ratio with/without the check to meet")
	concurrent  = flag.Int("concurrent", 200, "concurrent asset-checking probes for the memory figure")
)

const budgetMiB = 128

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "assetbench:", err)
		os.Exit(1)
	}
}

// site is a shop page of 20 KB that links 10 assets (stylesheets, scripts,
// images) of 10 KB each on its own host, over HTTPS.
func site() *httptest.Server {
	var links strings.Builder
	assets := map[string]string{}
	for i := range 10 {
		kind, path := [...]string{"css", "js", "png"}[i%3], ""
		path = fmt.Sprintf("/static/asset%d.%s", i, kind)
		assets[path] = map[string]string{"css": "text/css", "js": "text/javascript", "png": "image/png"}[kind]
		switch kind {
		case "css":
			fmt.Fprintf(&links, `<link rel="stylesheet" href="%s">`, path)
		case "js":
			fmt.Fprintf(&links, `<script src="%s"></script>`, path)
		default:
			fmt.Fprintf(&links, `<img src="%s" alt="">`, path)
		}
	}
	page := "<!DOCTYPE html><html><head><title>Acme Shop</title>" + links.String() + "</head><body>" +
		strings.Repeat("<p>Add to cart: a product of the Acme Shop.</p>", 20_000/48) + "</body></html>"
	asset := strings.Repeat("x", 10_000)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct, ok := assets[r.URL.Path]; ok {
			w.Header().Set("Content-Type", ct)
			_, _ = io.WriteString(w, asset)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	}))
	// The exporter closes its page connections at once: no log line each.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

func run() error {
	dir, err := os.MkdirTemp("", "assetbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv := site()
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
modules:
  page:
    http: {tls_config: {ca_file: %[1]s}}
  assets:
    http: {tls_config: {ca_file: %[1]s}}
    django: {static_assets: {}}
`, ca)), 0o600); err != nil {
		return err
	}
	start := func(name string) (*proc.Process, string, error) {
		port := proc.FreePort()
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		p, err := proc.Start(dir, name, nil, *exporterBin, "--config.file", cfg, "--storage.path", filepath.Join(dir, name+"-data"),
			"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--log.level", "warn")
		if err != nil {
			return nil, "", err
		}
		return p, base, proc.WaitHTTP(base + "/-/ready")
	}
	p, base, err := start("cpu")
	if err != nil {
		return err
	}
	defer p.Stop()
	probe := func(module string) string { return base + "/probe?module=" + module + "&target=" + srv.URL + "/" }
	if body, err := proc.Scrape(probe("assets")); err != nil || !strings.Contains(body, "probe_django_static_assets_checked 10\n") || !strings.Contains(body, "probe_success 1\n") {
		return fmt.Errorf("the asset probe does not check 10 assets, so it measures nothing: %w\n%s", err, body)
	}

	fmt.Printf("CPU per HTTPS probe of a 20 KB page linking 10 assets of 10 KB on its host, %d rounds of %d probes each:\n", *rounds, *probes)
	var without, with []time.Duration
	for i := range *rounds {
		order := []string{"page", "assets"}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, module := range order {
			d, err := proc.Batch(p.Pid(), probe(module), *probes, 2)
			if err != nil {
				return err
			}
			if module == "page" {
				without = append(without, d/time.Duration(*probes))
			} else {
				with = append(with, d/time.Duration(*probes))
			}
		}
		fmt.Printf("round %d:  without %5dµs  with %5dµs\n", i+1, without[i].Microseconds(), with[i].Microseconds())
	}
	w, a := median(without), median(with)
	ratio := float64(a) / float64(w)
	fmt.Printf("\nwithout the check  %6dµs\nwith static_assets %6dµs (10 assets fetched and read)\nratio %.2f  goal <= %.2f  %s\n",
		w.Microseconds(), a.Microseconds(), ratio, *goalRatio, verdict(ratio <= *goalRatio))

	mem, memBase, err := start("memory")
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	began := time.Now()
	for range *concurrent {
		wg.Go(func() {
			body, err := proc.Scrape(memBase + "/probe?module=assets&target=" + srv.URL + "/")
			key := "all 10 assets load"
			switch {
			case err != nil:
				key = "error"
			case !strings.Contains(body, "probe_django_static_assets_broken 0\n"):
				key = "other"
			}
			mu.Lock()
			answers[key]++
			mu.Unlock()
		})
	}
	wg.Wait()
	peak := proc.Status(mem.Pid(), "VmHWM") >> 10
	mem.Stop()
	under := peak < budgetMiB
	fmt.Printf("\npeak RSS of a fresh exporter answering %d concurrent asset-checking probes: %d MiB in %.1fs, answers %v  (goal < %d MiB, the default --probe.memory-budget) %s\n",
		*concurrent, peak, time.Since(began).Seconds(), answers, budgetMiB, verdict(under))
	if ratio > *goalRatio || !under {
		return fmt.Errorf("a goal was missed")
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
