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

package mixin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Every alert works on the heartbeats' metrics: basic. tests/alerts_test.yaml
// feeds the series metrics: detailed exports; this test rewrites its
// input as basic exports it (collector/metrics.go) and expects the same
// alerts, in promtool 2 and 3: detailed-only series are dropped, and
// those basic exports only when they say something are missing (promtool's
// "_") at the steps they would not be exported.
func TestAlertsOnBasicMetrics(t *testing.T) {
	doc := alertTests(t)
	changed := 0
	for _, test := range doc["tests"].([]any) {
		tc := test.(map[string]any)
		interval := time.Minute
		if s, ok := tc["interval"].(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				t.Fatalf("interval %q: %v", s, err)
			}
			interval = d
		}
		series, n := basicSeries(t, tc["input_series"].([]any), interval)
		tc["input_series"] = series
		changed += n
	}
	if changed < 20 {
		t.Fatalf("only %d input series changed: the test lost its cases", changed)
	}
	out, _ := yaml.Marshal(doc)
	file := filepath.Join(t.TempDir(), "basic_test.yaml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	for version, promtool := range promtools(t) {
		if out, err := exec.Command(promtool, "test", "rules", file).CombinedOutput(); err != nil {
			t.Errorf("promtool %s on metrics: basic: %v\n%s", version, err, out)
		}
	}
}

// detailedOnly are the heartbeat series metrics: basic never exports.
var detailedOnly = map[string]bool{
	"heartbeat_expected_timestamp_seconds": true, "heartbeat_failure_threshold": true,
	"heartbeat_grace_seconds": true, "heartbeat_interval_seconds": true, "heartbeat_last_exit_status": true,
	"heartbeat_last_ping_timestamp_seconds": true, "heartbeat_last_start_timestamp_seconds": true,
	"heartbeat_pings_total": true, "heartbeat_running": true,
}

// inputSeries is one input series, its values one a step ("_" missing).
type inputSeries struct {
	name, key string // key: the heartbeat's labels without the name
	values    []string
}

// basicSeries rewrites one test's input series as metrics: basic exports
// them; it also returns how many it changed.
func basicSeries(t *testing.T, in []any, interval time.Duration) ([]any, int) {
	var all []*inputSeries
	byName := map[string]map[string]*inputSeries{}
	for _, s := range in {
		m := s.(map[string]any)
		sm := seriesRE.FindStringSubmatch(m["series"].(string))
		is := &inputSeries{values: expandValues(t, m["values"].(string))}
		if sm != nil {
			is.name, is.key = sm[1], sm[2]
		}
		all = append(all, is)
		if byName[is.name] == nil {
			byName[is.name] = map[string]*inputSeries{}
		}
		byName[is.name][is.key] = is
	}
	at := func(name, key string, i int) (float64, bool) {
		s := byName[name][key]
		if s == nil || i >= len(s.values) || s.values[i] == "_" || s.values[i] == "stale" {
			return 0, false
		}
		v, err := strconv.ParseFloat(s.values[i], 64)
		return v, err == nil
	}
	var out []any
	changed := 0
	for k, s := range all {
		if !strings.HasPrefix(s.name, "heartbeat_") || s.name == "heartbeat_rejected_pings_total" {
			out = append(out, in[k])
			continue
		}
		if detailedOnly[s.name] {
			changed++
			continue
		}
		vals := make([]string, len(s.values))
		for i := range s.values {
			v, ok := at(s.name, s.key, i)
			keep := ok && exportedInBasic(s.name, v, func(name string) (float64, bool) { return at(name, s.key, i) }, float64(i)*interval.Seconds())
			vals[i] = "_"
			if keep {
				vals[i] = s.values[i]
			}
		}
		if strings.Join(vals, " ") != strings.Join(s.values, " ") {
			changed++
		}
		m := in[k].(map[string]any)
		out = append(out, map[string]any{"series": m["series"], "values": strings.Join(vals, " ")})
	}
	return out, changed
}

// exportedInBasic says whether metrics: basic exports a series of this
// value at time now (seconds), given the heartbeat's other series.
func exportedInBasic(name string, v float64, other func(string) (float64, bool), now float64) bool {
	switch name {
	case "heartbeat_consecutive_failures":
		threshold, ok := other("heartbeat_failure_threshold")
		if !ok {
			threshold = 1
		}
		return v >= threshold && v > 0
	case "heartbeat_last_duration_seconds", "heartbeat_last_failure_timestamp_seconds",
		"heartbeat_paused", "heartbeat_running_since_timestamp_seconds":
		return v > 0
	case "heartbeat_max_runtime_seconds":
		since, ok := other("heartbeat_running_since_timestamp_seconds")
		return ok && since > 0 && v > 0 && now-since > v
	case "heartbeat_runs_per_period", "heartbeat_sources":
		return v > 1
	}
	return true
}

// expandValues expands promtool's notation: "1 0x3 1+2x2 _x2 stale".
func expandValues(t *testing.T, s string) []string {
	var out []string
	for tok := range strings.FieldsSeq(s) {
		if tok == "_" || tok == "stale" {
			out = append(out, tok)
			continue
		}
		base, times, hasX := strings.Cut(tok, "x")
		if !hasX {
			out = append(out, tok)
			continue
		}
		n, err := strconv.Atoi(times)
		if err != nil {
			t.Fatalf("values %q: %v", s, err)
		}
		if base == "_" {
			for range n {
				out = append(out, "_")
			}
			continue
		}
		start, step := base, "0"
		if i := strings.LastIndexAny(base, "+-"); i > 0 && base[i-1] != 'e' {
			start, step = base[:i], base[i:]
		}
		a, err1 := strconv.ParseFloat(start, 64)
		b, err2 := strconv.ParseFloat(strings.TrimPrefix(step, "+"), 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("values %q: cannot read %q", s, tok)
		}
		for i := 0; i <= n; i++ {
			out = append(out, fmt.Sprint(a+float64(i)*b))
		}
	}
	return out
}
