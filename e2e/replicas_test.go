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
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// replicasName resolves to 127.0.0.1 and 127.0.0.2 in /etc/hosts
// (.ci/deps adds it): the pods of a headless Service, on loopback.
const replicasName = "exporters.django-health-exporter.test"

// Two replicas of the exporter behind one name: the ping and pause
// commands and the Celery helper, given dns+http://NAME:PORT, send every
// request to each address the name resolves to, so each replica counts
// every ping.
func TestEveryReplicaCountsEveryPing(t *testing.T) {
	addrs, err := net.LookupHost(replicasName)
	slices.Sort(addrs)
	if addrs = slices.Compact(addrs); err != nil || !slices.Equal(addrs, []string{"127.0.0.1", "127.0.0.2"}) {
		t.Fatalf("%s resolves to %v (%v), want 127.0.0.1 and 127.0.0.2: run make deps (.ci/deps adds them to /etc/hosts)", replicasName, addrs, err)
	}
	bin := buildExporter(t)
	port := portFreeOnBoth(t)
	var replicas []*exporter
	for _, ip := range addrs {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config.yml")
		yml := "heartbeat_defaults: {auto_register: true, metrics: detailed}\nheartbeats:\n  - {name: deploy, interval: 1h}\n"
		if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
			t.Fatal(err)
		}
		listen := fmt.Sprintf("%s:%d", ip, port)
		p := start(t, "exporter "+ip, repoRoot, nil, bin, "--web.listen-address", listen, "--storage.path", filepath.Join(dir, "data"), "--config.file", cfg)
		waitHTTP(t, p, "http://"+listen+"/-/healthy", 20*time.Second)
		replicas = append(replicas, &exporter{url: "http://" + listen, proc: p})
	}
	url := fmt.Sprintf("dns+http://%s:%d", replicasName, port)
	for range 3 {
		if out, err := runCmd(bin, "ping", "deploy", "--url", url, "--strict"); err != nil {
			t.Fatalf("ping: %v %s", err, out)
		}
	}
	if out, err := runCmd(bin, "pause", "deploy", "--for", "10m", "--url", url, "--strict"); err != nil {
		t.Fatalf("pause: %v %s", err, out)
	}
	python(t, []string{"DJANGO_HEALTH_EXPORTER_URL=" + url}, `
import django_health_exporter as h
assert h.ping("deploy", source="helper"), "ping"
assert h.ping("deploy", source="helper"), "ping"
assert h.register("celery-worker@w1@pod-1", interval=60, expire_after=3600, labels={"celery": "worker"}), "register"
`)
	for _, r := range replicas {
		_, metrics := get(t, r.url+"/metrics")
		wantMetric(t, metrics, `heartbeat_pings_total{heartbeat="deploy",kind="success"}`, 5)
		wantMetric(t, metrics, `heartbeat_paused{heartbeat="deploy"}`, 1)
		if _, body := get(t, r.url+"/api/v1/heartbeats/celery-worker@w1@pod-1"); !strings.Contains(body, `"registered": true`) {
			t.Errorf("%s: the worker's registration did not arrive: %s", r.url, body)
		}
	}
}

// portFreeOnBoth is a port free on 127.0.0.1 and 127.0.0.2.
func portFreeOnBoth(t *testing.T) int {
	for range 20 {
		port := freePort(t)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.2:%d", port))
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return 0
}
