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

package collector

import (
	"strings"
	"testing"
)

const releaseConfig = "heartbeat_defaults: {auto_register: true}\nheartbeats:\n  - {name: job, interval: 1h}\n"

// The release a ping, a registration, a pause or a resume reports is
// kept on disk and exported as heartbeat_release_info, in basic mode too.
func TestReleaseIsKeptAndExported(t *testing.T) {
	e := newEnv(t, releaseConfig)
	e.basic = true
	e.apply(releaseConfig)
	want := func(heartbeat, release string) {
		t.Helper()
		m := e.metrics()
		n := 0
		for k := range m {
			if strings.HasPrefix(k, "heartbeat_release_info{") && strings.Contains(k, "heartbeat="+heartbeat+",") {
				n++
				if !strings.Contains(k, "release="+release+"}") && !strings.Contains(k, "release="+release+",") {
					t.Errorf("%s: %s, want release %s", heartbeat, k, release)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d heartbeat_release_info series, want 1", heartbeat, n)
		}
	}
	if m := e.metrics(); len(keysWith(m, "heartbeat_release_info")) != 0 {
		t.Errorf("a series before any release was reported: %v", keysWith(m, "heartbeat_release_info"))
	}
	e.ok("POST", "/heartbeat/job?release=r1")
	want("job", "r1")
	e.ok("POST", "/heartbeat/job") // no release: the last one stays
	want("job", "r1")
	if code, body := e.do("PUT", "/api/v1/heartbeats/celery-worker@w1", `{"interval": "1m", "labels": {"celery": "worker", "queues": "celery"}, "release": "r2", "expire_after": "1h"}`); code != 201 {
		t.Fatalf("registration: %d %s", code, body)
	}
	want("celery-worker@w1", "r2")
	e.ok("POST", "/heartbeat/celery-worker@w1")
	if n := len(keysWith(e.metrics(), "heartbeat=celery-worker@w1")); n > 6 {
		t.Errorf("a Celery worker in basic mode has %d series, want at most 6", n)
	}
	if code, body := e.do("POST", "/api/v1/heartbeats/job/pause?release=r3", `{"for": "10m"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	want("job", "r3")
	if code, body := e.do("DELETE", "/api/v1/heartbeats/job/pause?release=r4", ""); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	want("job", "r4")
	e.reopen(releaseConfig)
	e.basic = true
	e.apply(releaseConfig)
	want("job", "r4")
	want("celery-worker@w1", "r2")
	if code, body := e.do("GET", "/api/v1/heartbeats/job", ""); code != 200 || !strings.Contains(body, `"release": "r4"`) && !strings.Contains(body, `"release":"r4"`) {
		t.Errorf("the API does not show the release: %d %s", code, body)
	}
	for _, bad := range []string{"/heartbeat/job?release=" + strings.Repeat("x", 129), "/heartbeat/job?release=a%0Ab"} {
		if code, _ := e.do("POST", bad, ""); code != 400 {
			t.Errorf("%s: %d, want 400", bad[:40], code)
		}
	}
	if code, _ := e.do("PUT", "/api/v1/heartbeats/w2", `{"interval": "1m", "release": "a\u0007b"}`); code != 400 {
		t.Errorf("a registration with a control character in its release: %d, want 400", code)
	}
	want("job", "r4")
}

func keysWith(m map[string]float64, part string) []string {
	var out []string
	for k := range m {
		if strings.Contains(k, part) {
			out = append(out, k)
		}
	}
	return out
}
