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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// One failed job, one notification, saying what happened: a cron job run
// under `run` exits 1 and then stays silent past its deadline. With the
// mixin's heartbeatFailedSeverity set to critical (the user's choice), it
// pages once, as HeartbeatFailed, and never again as HeartbeatLate for
// the same silence; the alert says what the exporter heard. Real binary,
// Prometheus on the example configuration, example Alertmanager.
func TestOneFailedJobOneNotification(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, `
heartbeats:
  - {name: nightly-import, interval: 3s, grace: 2s, labels: {team: data}}
`)
	hooks, prom := watchedByTheExamples(t, exp.url, `{ heartbeatFailedSeverity: "critical" }`)
	eventually(t, 30*time.Second, func() string {
		if len(prom.query(t, `heartbeat_deadline_timestamp_seconds{heartbeat="nightly-import"}`)) == 0 {
			return "Prometheus has not scraped the heartbeat"
		}
		return ""
	})

	out, status := combinedOutput(t, exec.Command(buildExporter(t), "run", "nightly-import", "--url", exp.url, "--",
		"sh", "-c", "echo importing 3 rows; echo 'psycopg2.OperationalError: could not connect to server' >&2; exit 1"))
	if status != 1 {
		t.Fatalf("run: %d\n%s", status, out)
	}
	var description string
	eventually(t, 60*time.Second, func() string {
		a, ok := prom.firing(t, "HeartbeatFailed")
		if !ok {
			return "HeartbeatFailed has not fired"
		}
		description = a.Annotations["description"]
		if a.Labels["severity"] != "critical" {
			t.Errorf("HeartbeatFailed at %s, want the severity set (critical)", a.Labels["severity"])
		}
		return ""
	})
	for _, want := range []string{"nightly-import", "failed", "/heartbeats/nightly-import"} {
		if !strings.Contains(description, want) {
			t.Errorf("HeartbeatFailed does not say %q: %s", want, description)
		}
	}
	// The page comes after group_wait (30s), long past the deadline (3s +
	// 2s): a HeartbeatLate (for: 0s here) would have fired by then, and
	// be in the page, and in Prometheus's alerts.
	eventually(t, 90*time.Second, func() string {
		if got := hooks.get(); len(got["/data-pager"]) == 0 {
			return fmt.Sprintf("no page yet: %v", got)
		}
		return ""
	})
	time.Sleep(5 * time.Second)
	got := hooks.get()
	if len(got) != 1 || len(got["/data-pager"]) != 1 || !slices.Equal(got["/data-pager"][0], []string{"HeartbeatFailed/nightly-import"}) {
		t.Errorf("one failed job, silent past its deadline: %v, want one page of HeartbeatFailed alone", got)
	}
	for _, a := range prom.alerts(t) {
		if a.Labels["alertname"] == "HeartbeatLate" {
			t.Errorf("HeartbeatLate %s for a job whose last run failed", a.State)
		}
	}
	reliability.Record(t, "alerts", "a cron job under `run` exits 1, then stays silent past its deadline (heartbeatFailedSeverity: critical; real Prometheus, example Alertmanager)",
		fmt.Sprintf("%d notification(s): %v; HeartbeatLate never fires", countNotifications(got), got))
}
