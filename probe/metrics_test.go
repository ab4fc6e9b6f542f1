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

package probe

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// An HTTPS probe of a Django page with three checks costs at most 25
// series when it succeeds (Grafana Synthetic Monitoring's basic set is
// 34): a reason of probe_failed_due_to and probe_maintenance appear only
// when they are 1, and a failure adds one series a reason.
func TestSeriesOfAnHTTPSProbe(t *testing.T) {
	var page atomic.Value
	page.Store("<h1>Acme Shop</h1><footer>(c) Acme</footer>")
	site := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(page.Load().(string)))
	}))
	t.Cleanup(site.Close)
	h := newHarness(t, mustConfig(t, `
modules:
  shop:
    http: {tls_config: {insecure_skip_verify: true}}
    checks:
      - {name: brand, keyword: "Acme Shop"}
      - {name: footer, regex: "\\(c\\) Acme"}
      - {name: no-traceback, forbid_keyword: "Traceback"}
`))
	count := func(s scrape) (int, []string) {
		var lines []string
		for line := range strings.SplitSeq(s.body, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				lines = append(lines, line)
			}
		}
		sort.Strings(lines)
		return len(lines), lines
	}
	ok := h.probeURL(t, site.URL+"/", "shop")
	ok.want(t, map[string]float64{"probe_success": 1, "probe_http_ssl": 1})
	n, lines := count(ok)
	t.Logf("a successful HTTPS probe with three checks: %d series", n)
	if n > 25 {
		t.Errorf("%d series, want at most 25:\n%s", n, strings.Join(lines, "\n"))
	}
	page.Store("<h1>Acme Shop</h1> Traceback")
	failed := h.probeURL(t, site.URL+"/", "shop")
	failed.want(t, map[string]float64{"probe_success": 0, "probe_failed_due_to{reason=check}": 1})
	if m, lines := count(failed); m != n+1 {
		t.Errorf("a failed check: %d series, want %d:\n%s", m, n+1, strings.Join(lines, "\n"))
	}
}
