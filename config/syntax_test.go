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

// A YAML syntax error names the line it is on, not the line where the
// enclosing block began (yaml.v3 says line 1 for these).
func TestSyntaxErrorNamesItsLine(t *testing.T) {
	for yml, want := range map[string]string{
		"heartbeats:\n  - name: a\n    interval: 1m\n  - name: b\n   interval: 1m\n": "line 5: did not find expected '-' indicator",
		"modules:\n  django:\n    timeout: 5s\n   http: {}\nheartbeats: []\n":        "line 4: did not find expected key",
		"heartbeats:\n  - {name: a, interval: 1m}\n  - name: b\n     interval: 5m\n": "line 4: mapping values are not allowed in this context",
	} {
		if _, err := Load([]byte(yml)); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: %v, want %s", yml, err, want)
		}
	}
}
