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

import "testing"

const registrationOnly = `
heartbeat_defaults: {allow_registration: true}
heartbeats:
  - {name: nightly-reports, interval: 1d}
`

// A typo never pages: with allow_registration and auto_register off, the
// Celery integration's registrations work and last across restarts, and a
// ping to a name nobody has is refused (404) and kept for the status page
// with the name it is closest to, instead of a new heartbeat that goes
// late.
func TestATypoIsRefusedAndShown(t *testing.T) {
	e := newEnv(t, registrationOnly)
	if code, body := e.do("PUT", "/api/v1/heartbeats/refresh-prices", `{"interval": "5m", "labels": {"celery": "entry"}}`); code != 201 {
		t.Fatalf("registration with allow_registration: %d %s", code, body)
	}
	e.ok("POST", "/heartbeat/refresh-prices")
	for range 3 {
		if code, _ := e.do("POST", "/heartbeat/nightly-reports-v2", ""); code != 404 {
			t.Fatalf("a ping to an unknown name: %d, want 404", code)
		}
	}
	if code, _ := e.do("POST", "/heartbeat/zzz", ""); code != 404 {
		t.Fatalf("a ping to an unknown name: %d, want 404", code)
	}
	refused := e.hbs.RefusedNames()
	if len(refused) != 2 {
		t.Fatalf("refused names: %+v, want 2", refused)
	}
	byName := map[string]RefusedName{}
	for _, r := range refused {
		byName[r.Name] = r
	}
	if r := byName["nightly-reports-v2"]; r.Count != 3 || r.Closest != "nightly-reports" {
		t.Errorf("nightly-reports-v2: %+v, want 3 refusals, closest nightly-reports", r)
	}
	if r := byName["zzz"]; r.Count != 1 || r.Closest != "" {
		t.Errorf("zzz: %+v, want 1 refusal, no name near", r)
	}
	e.reopen(registrationOnly)
	if names := e.hbs.names(); len(names) != 2 || names[1] != "refresh-prices" {
		t.Errorf("after a restart: %v, want nightly-reports and refresh-prices", names)
	}
	e.apply("heartbeats:\n  - {name: nightly-reports, interval: 1d}\n")
	if code, _ := e.do("PUT", "/api/v1/heartbeats/other", `{"interval": "5m"}`); code != 403 {
		t.Errorf("a registration with neither allow_registration nor auto_register: %d, want 403", code)
	}
}
