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
	"time"
)

const adHocConfig = `
heartbeat_defaults: {auto_register: true, token: tok}
targets:
  - {name: shop-home, url: "http://127.0.0.1:1/"}
heartbeats:
  - {name: celery-beat, interval: 1m, labels: {celery: beat}}
  - {name: celery-worker, interval: 1m, labels: {celery: worker}}
  - {name: nightly, interval: 1h}
`

// A deploy script holds every heartbeat the Celery integration made in
// one call (labels celery=*), the file's and the registered alike; the
// window outlives a restart, and its end makes them due a full period
// later, never at once.
func TestAdHocMaintenanceHoldsWhatItNames(t *testing.T) {
	e := newEnv(t, adHocConfig)
	auth := []string{"Authorization", "Bearer tok"}
	if code, body := e.do("PUT", "/api/v1/heartbeats/refresh-prices", `{"interval": "5m", "labels": {"celery": "entry"}}`, auth...); code != 201 {
		t.Fatalf("registration: %d %s", code, body)
	}
	paused := func() map[string]float64 {
		t.Helper()
		m := e.metrics()
		out := map[string]float64{}
		for _, n := range []string{"celery-beat", "celery-worker", "refresh-prices", "nightly"} {
			out[n] = m[`heartbeat_paused{`+labelOf(n)+`heartbeat=`+n+`}`]
		}
		return out
	}
	code, body := e.do("POST", "/api/v1/maintenance/deploy", `{"for": "30m", "labels": {"celery": "*"}}`, auth...)
	if code != 200 || !strings.Contains(body, `"open":true`) {
		t.Fatalf("opening the window: %d %s", code, body)
	}
	want := map[string]float64{"celery-beat": 1, "celery-worker": 1, "refresh-prices": 1, "nightly": 0}
	if got := paused(); !mapsEqual(got, want) {
		t.Errorf("paused %v, want %v", got, want)
	}
	e.reopen(adHocConfig)
	if got := paused(); !mapsEqual(got, want) {
		t.Errorf("after a restart, paused %v, want %v", got, want)
	}
	e.clock.advance(20 * time.Minute) // past the beat's deadline, inside the window
	if code, body := e.do("DELETE", "/api/v1/maintenance/deploy", "", auth...); code != 200 || !strings.Contains(body, `"open":false`) {
		t.Fatalf("ending the window: %d %s", code, body)
	}
	m := e.metrics()
	if m[`heartbeat_up{celery=beat,heartbeat=celery-beat}`] != 1 {
		t.Errorf("celery-beat is down the moment the window ended: %v", m)
	}
	if code, body := e.do("GET", "/api/v1/maintenance", ""); code != 200 || !strings.Contains(body, `"name":"deploy"`) {
		t.Errorf("the list: %d %s", code, body)
	}
}

func TestAdHocMaintenanceRefusesBadWindows(t *testing.T) {
	e := newEnv(t, adHocConfig)
	auth := []string{"Authorization", "Bearer tok"}
	for _, c := range []struct {
		body string
		code int
		says string
	}{
		{`{"heartbeats": ["celery-*"]}`, 400, `give "for" or "until"`},
		{`{"for": "0s", "heartbeats": ["celery-*"]}`, 400, "above 0"},
		{`{"for": "400d", "heartbeats": ["celery-*"]}`, 400, "at most 366d"},
		{`{"for": "10m"}`, 400, "applies to nothing"},
		{`{"for": "10m", "targets": ["nope"]}`, 400, `no target is named "nope"`},
		{`{"for": "10m", "heartbeats": ["["]}`, 400, "invalid glob"},
		{`{"for": "10m", "heartbeats": ["x"]} trailing`, 400, "after the JSON"},
	} {
		if code, body := e.do("POST", "/api/v1/maintenance/deploy", c.body, auth...); code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.body, code, body, c.code, c.says)
		}
	}
	if code, _ := e.do("POST", "/api/v1/maintenance/deploy", `{"for": "10m", "targets": ["shop-home"]}`); code != 401 {
		t.Errorf("without the token: %d, want 401", code)
	}
	if code, _ := e.do("DELETE", "/api/v1/maintenance/never-opened", "", auth...); code != 404 {
		t.Errorf("ending a window never opened: %d, want 404", code)
	}
}

func labelOf(name string) string {
	switch name {
	case "celery-beat":
		return "celery=beat,"
	case "celery-worker":
		return "celery=worker,"
	case "refresh-prices":
		return "celery=entry,"
	}
	return ""
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
