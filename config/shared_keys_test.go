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

package config

import (
	"strings"
	"testing"
)

// The keys heartbeat_defaults and a heartbeat share are checked by one
// rule: the same bad value is refused in both places with the same words.
// The two copies this replaced had drifted.
func TestSharedHeartbeatKeysOneRule(t *testing.T) {
	for _, kv := range []string{
		"grace: -1m", "grace: 20y", "early_margin: -1s", "early_margin: 11y", "body_limit: 0", "body_limit: 1GiB",
		"failure_threshold: -1", "recovery_threshold: -2", "metrics: verbose",
		"success_keywords: ['']", "failure_keywords: ['']",
		"token: a, token_file: /b",
	} {
		_, dErr := Load([]byte("heartbeat_defaults: {" + kv + "}\n"))
		_, hErr := Load([]byte("heartbeats:\n  - {name: job, interval: 1m, " + kv + "}\n"))
		if dErr == nil || hErr == nil {
			t.Errorf("%s: defaults: %v; heartbeat: %v; want both refused", kv, dErr, hErr)
			continue
		}
		if d, h := reason(dErr.Error()), reason(hErr.Error()); d != h {
			t.Errorf("%s is refused in two ways:\n  heartbeat_defaults: %s\n  heartbeats[0]:      %s", kv, d, h)
		}
	}
}

// reason is an error without its line and key path.
func reason(err string) string {
	var out []string
	for line := range strings.SplitSeq(err, "\n") {
		if _, r, ok := strings.Cut(line, ": "); ok && strings.Contains(line, "line ") {
			for strings.Contains(r, ": ") && (strings.HasPrefix(r, "heartbeat") || strings.HasPrefix(r, "line")) {
				_, r, _ = strings.Cut(r, ": ")
			}
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
