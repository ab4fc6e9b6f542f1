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
	"strings"
	"syscall"
	"testing"
)

// A deploy holds every page in one line: maintenance start with one
// selector (--label celery='*') pauses every heartbeat the Celery
// integration made and the file's celery-beat and celery-worker, holds
// the web's probe, survives a restart of the exporter, and maintenance
// end takes it back.
func TestMaintenanceFromADeployScript(t *testing.T) {
	bin := buildExporter(t)
	exp := startExporter(t, `
heartbeat_defaults: {auto_register: true, token: tok}
targets:
  - {name: shop-home, url: "http://127.0.0.1:1/"}
heartbeats:
  - {name: celery-beat, interval: 1m, labels: {celery: beat}}
  - {name: celery-worker, interval: 1m, labels: {celery: worker}}
  - {name: nightly, interval: 1h}
`)
	if code, body := request(t, "PUT", exp.url+"/api/v1/heartbeats/refresh-prices", `{"interval": "5m", "labels": {"celery": "entry"}}`, "Authorization", "Bearer tok"); code != 201 {
		t.Fatalf("registration: %d %s", code, body)
	}
	flags := []string{"--url", exp.url, "--token", "tok", "--strict"}
	if out, err := runCmd(append([]string{bin, "maintenance", "start", "deploy", "--for", "30m", "--label", "celery=*", "--target", "shop-home"}, flags...)...); err != nil {
		t.Fatalf("maintenance start: %v\n%s", err, out)
	}
	paused := func() []string {
		var out []string
		for name, h := range exp.heartbeats(t) {
			if h.Paused {
				out = append(out, name)
			}
		}
		return out
	}
	want := "celery-beat celery-worker refresh-prices"
	if got := strings.Join(sorted(paused()), " "); got != want {
		t.Errorf("paused: %s, want %s", got, want)
	}
	wantMetric(t, exp.probe(t, "shop-home", ""), "probe_maintenance", 1)
	// A restart mid-deploy keeps the window.
	exp.proc.stop(syscall.SIGTERM)
	exp = startExporterWith(t, bin, exp.cfgPath, exp.storage)
	flags[1] = exp.url
	if got := strings.Join(sorted(paused()), " "); got != want {
		t.Errorf("after a restart, paused: %s, want %s", got, want)
	}
	if out, err := runCmd(append([]string{bin, "maintenance", "end", "deploy"}, flags...)...); err != nil {
		t.Fatalf("maintenance end: %v\n%s\n%s", err, out, exp.proc.output())
	}
	if got := paused(); len(got) != 0 {
		t.Errorf("still paused after the end: %v", got)
	}
	if _, body := get(t, exp.url+"/metrics"); !strings.Contains(body, `django_health_exporter_maintenance_active{window="deploy"} 0`) {
		t.Errorf("maintenance_active after the end:\n%s", body)
	}
	// A bad --for is refused before anything is sent.
	if out, err := runCmd(append([]string{bin, "maintenance", "start", "x", "--for", "0s", "--heartbeat", "celery-*"}, flags...)...); err == nil || !strings.Contains(out, "above 0") {
		t.Errorf("--for 0s: %v %s", err, out)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
