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
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A typo never pages. The README's configuration (allow_registration,
// auto_register off): a cron line pings nightly-reports-v2, three edits
// from the configured nightly-reports. The ping is refused (`ping
// --strict` exits 1), registers nothing, and shows on the status page with
// the name it is closest to; HeartbeatPingsRejected warns in chat and
// links there; nothing pages. Real binary, Prometheus on the example
// configuration, the example Alertmanager.
func TestATypoNeverPages(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, `
heartbeat_defaults: {allow_registration: true}
heartbeats:
  - {name: nightly-reports, interval: 1h, labels: {team: data}}
`)
	hooks, prom := watchedByTheExamples(t, exp.url, "{}")
	eventually(t, 30*time.Second, func() string {
		if len(prom.query(t, `heartbeat_up{heartbeat="nightly-reports"}`)) == 0 {
			return "Prometheus has not scraped the exporter"
		}
		return ""
	})
	bin := buildExporter(t)
	if out, code := combinedOutput(t, exec.Command(bin, "ping", "nightly-reports", "--url", exp.url, "--strict")); code != 0 {
		t.Fatalf("the right name: %d %s", code, out)
	}
	// The cron line with the typo runs now and then.
	var description string
	eventually(t, 60*time.Second, func() string {
		out, code := combinedOutput(t, exec.Command(bin, "ping", "nightly-reports-v2", "--url", exp.url, "--strict"))
		if code != 1 || !strings.Contains(out, "unknown heartbeat") {
			t.Fatalf("a typo with --strict: %d %s", code, out)
		}
		if a, ok := prom.firing(t, "HeartbeatPingsRejected"); ok {
			description = a.Annotations["description"]
			return ""
		}
		return "HeartbeatPingsRejected has not fired"
	})
	if !strings.Contains(description, exp.url+"/#refused") {
		t.Errorf("HeartbeatPingsRejected does not link the refused names: %s", description)
	}
	if code, body := get(t, exp.url+"/api/v1/heartbeats/nightly-reports-v2"); code != 404 {
		t.Errorf("the typo was registered: %d %s", code, body)
	}
	_, page := get(t, exp.url+"/?refresh=off")
	for _, want := range []string{`<h2 id="refused">Refused pings</h2>`, "<strong>nightly-reports-v2</strong>", `<a href="heartbeats/nightly-reports">nightly-reports</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
	eventually(t, 60*time.Second, func() string {
		if got := hooks.get(); len(got["/chat"]) == 0 {
			return fmt.Sprintf("no warning in chat yet: %v", got)
		}
		return ""
	})
	time.Sleep(5 * time.Second)
	got := hooks.get()
	if len(got["/pager"]) != 0 || len(got["/data-pager"]) != 0 || len(got["/chat"]) != 1 {
		t.Errorf("a typo: %v, want one warning in chat and no page", got)
	}
	reliability.Record(t, "heartbeats", "a cron line pings nightly-reports-v2, three edits from the configured nightly-reports (allow_registration, auto_register off; real Prometheus, example Alertmanager)",
		fmt.Sprintf("refused and never registered; listed on the status page beside nightly-reports; %d warning in chat (HeartbeatPingsRejected), %d pages", len(got["/chat"]), len(got["/pager"])+len(got["/data-pager"])))
}
