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

// Package reliability lets the tests that try a fault or a hostile input
// record what they tried and what happened, so that docs/RELIABILITY.md is
// written from the tests' own output (make reliability) rather than by
// hand. A test records only when it passes.
package reliability

import (
	"encoding/json"
	"os"
	"sync"
	"testing"
)

// Env names the file the records are appended to; without it, Record
// does nothing.
const Env = "RELIABILITY_OUT"

// Entry is one fault or input tried, and what the exporter did.
type Entry struct {
	Area    string `json:"area"`
	Fault   string `json:"fault"`
	Outcome string `json:"outcome"`
	Test    string `json:"test"`
}

var mu sync.Mutex

// Record notes, when the test passes, that it tried fault (in area:
// probes, heartbeats, store, web, configuration) and saw outcome.
func Record(t testing.TB, area, fault, outcome string) {
	t.Helper()
	path := os.Getenv(Env)
	if path == "" {
		return
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		b, err := json.Marshal(Entry{Area: area, Fault: fault, Outcome: outcome, Test: t.Name()})
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("reliability record: %v", err)
			return
		}
		defer f.Close()
		_, _ = f.Write(append(b, '\n'))
	})
}
