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
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A deploy script pauses and resumes heartbeats with the binary's pause
// and resume commands; the exporter shows it in the API and /metrics;
// with the exporter down the commands warn and exit 0 (the deploy goes
// on), --strict makes them fail.
func TestPauseAndResumeCommands(t *testing.T) {
	t.Parallel()
	exp := startExporter(t, "heartbeat_defaults: {token: deploy-token}\nheartbeats:\n  - {name: celery-beat, interval: 1m}\n  - {name: nightly, interval: 1d}\n")
	bin := buildExporter(t)
	cli := func(url string, args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DJANGO_HEALTH_EXPORTER_URL="+url, "DJANGO_HEALTH_EXPORTER_TOKEN=deploy-token")
		return combinedOutput(t, cmd)
	}
	if out, code := cli(exp.url, "pause", "celery-beat", "--for", "30m"); code != 0 || out != "" {
		t.Fatalf("pause: %d %s", code, out)
	}
	if out, code := cli(exp.url, "pause", "nightly"); code != 0 {
		t.Fatalf("pause until the next ping: %d %s", code, out)
	}
	h := exp.heartbeats(t)
	if cb := h["celery-beat"]; !cb.Paused || cb.State != "paused" || cb.PausedUntil.Before(time.Now().Add(29*time.Minute)) {
		t.Errorf("celery-beat after pause --for 30m: %+v", cb)
	}
	if n := h["nightly"]; !n.Paused || !n.PausedUntil.IsZero() {
		t.Errorf("nightly after pause: %+v", n)
	}
	_, metrics := get(t, exp.url+"/metrics")
	wantMetric(t, metrics, `heartbeat_paused{heartbeat="celery-beat"}`, 1)
	if out, code := cli(exp.url, "resume", "celery-beat"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	if cb := exp.heartbeats(t)["celery-beat"]; cb.Paused {
		t.Errorf("celery-beat after resume: %+v", cb)
	}
	post(t, exp.url+"/heartbeat/nightly", "", "Authorization", "Bearer deploy-token")
	if n := exp.heartbeats(t)["nightly"]; n.Paused {
		t.Errorf("nightly after its next ping: %+v", n)
	}

	// Monitoring never fails a deploy: an unknown name, an exporter that
	// is not there.
	for _, args := range [][]string{{"pause", "no-such-job"}, {"resume", "no-such-job"}} {
		if out, code := cli(exp.url, args...); code != 0 || !strings.Contains(out, "warning") || !strings.Contains(out, "404") {
			t.Errorf("%v: %d %s", args, code, out)
		}
	}
	if out, code := cli("http://127.0.0.1:1", "pause", "celery-beat", "--timeout", "1s"); code != 0 || !strings.Contains(out, "warning") {
		t.Errorf("pause with the exporter down: %d %s", code, out)
	}
	if out, code := cli("http://127.0.0.1:1", "pause", "celery-beat", "--timeout", "1s", "--strict"); code != 1 {
		t.Errorf("pause --strict with the exporter down: %d %s", code, out)
	}
}
