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
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// testdata/store-0.3.0 was written by the 0.3.0 binary, run on its
// config.yml: a failed cron run with a traceback, an interval heartbeat
// with values, three sources and an open run, a registration with two
// cron lines, grace, labels, exclusive and expire_after, a registered
// worker paused until 2030, and an auto-registered name. api.json is what
// that binary answered on /api/v1/heartbeats just before it stopped. This
// release must read the store to the same answer, and again after it has
// rewritten every record in its own format: a change to the record, or to
// a config type it once held, cannot break old stores unseen.
func TestStoreOfRelease030Loads(t *testing.T) {
	dir := filepath.Join("testdata", "store-0.3.0")
	cfg, err := os.ReadFile(filepath.Join(dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := heartbeatsOf(t, mustRead(t, filepath.Join(dir, "api.json")))

	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 12, 7, 9, 37, 15, 0, time.UTC)}, logs: &syncBuffer{}, basic: true}
	if err := os.WriteFile(filepath.Join(e.dir, "heartbeats.db"), mustRead(t, filepath.Join(dir, "heartbeats.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	e.open()
	e.apply(string(cfg))
	compareHeartbeats(t, "as 0.3.0 stored it", want, e)

	// Every record written again in this release's format, then read back.
	e.hbs.mu.RLock()
	for name, hb := range e.hbs.byName {
		e.hbs.persistAsync(name, &hb.rec)
	}
	e.hbs.mu.RUnlock()
	e.reopen(string(cfg))
	compareHeartbeats(t, "rewritten by this release", want, e)
	if strings.Contains(e.logs.String(), "unreadable") {
		t.Errorf("a record was unreadable:\n%s", e.logs.String())
	}
}

// A record from a newer release is refused, not misread.
func TestRecordOfANewerFormatIsRefused(t *testing.T) {
	var r record
	err := decodeRecord([]byte(`{"format": 99, "created": "2026-12-07T00:00:00Z"}`), &r)
	if err == nil || !strings.Contains(err.Error(), "newer release") {
		t.Fatalf("got %v, want a refusal naming a newer release", err)
	}
}

func compareHeartbeats(t *testing.T, when string, want map[string]map[string]any, e *env) {
	t.Helper()
	code, body := e.do("GET", "/api/v1/heartbeats", "")
	if code != 200 {
		t.Fatalf("%s: /api/v1/heartbeats: %d %s", when, code, body)
	}
	got := heartbeatsOf(t, []byte(body))
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s is missing", when, name)
			continue
		}
		for key, wv := range w {
			if !reflect.DeepEqual(g[key], wv) {
				t.Errorf("%s: %s.%s = %v, 0.3.0 said %v", when, name, key, g[key], wv)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d heartbeats, 0.3.0 had %d", when, len(got), len(want))
	}
}

// heartbeatsOf reads /api/v1/heartbeats by name, without "why": its
// wording counts from now ("running 0.04s").
func heartbeatsOf(t *testing.T, b []byte) map[string]map[string]any {
	t.Helper()
	var list struct {
		Heartbeats []map[string]any `json:"heartbeats"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, h := range list.Heartbeats {
		delete(h, "why")
		out[h["name"].(string)] = h
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A pause until 9999 that an older release stored ends a year after it
// began: the list stays valid JSON after the restart.
func TestStoredEndlessPauseIsBounded(t *testing.T) {
	var r record
	if err := decodeRecord([]byte(`{"created": "2026-12-07T00:00:00Z", "pause": {"since": "2026-12-07T00:00:00Z", "until": "9999-12-31T00:00:00Z"}}`), &r); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC).Add(config.MaxPause); !r.Pause.Until.Equal(want) {
		t.Errorf("the stored pause ends %s, want %s", r.Pause.Until, want)
	}
}
