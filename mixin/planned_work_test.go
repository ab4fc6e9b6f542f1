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
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// loudAlerts are not about one target or one heartbeat: planned work
// does not hold them.
var loudAlerts = map[string]bool{
	"HeartbeatPingsRejected":                 true,
	"DjangoHealthExporterConfigReloadFailed": true,
	"DjangoHealthExporterDown":               true,
}

var (
	seriesRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$`)
	labelRE  = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// Every probe and heartbeat alert is quiet for targets in maintenance and
// paused heartbeats, and only for them. tests/alerts_test.yaml shows each
// alert firing; this test runs the same tests twice more: with
// probe_maintenance 0 and heartbeat_paused 0 for every target and
// heartbeat in them (every alert still fires as expected), and with 1
// (none of those alerts fires).
func TestPlannedWorkQuietsEveryAlert(t *testing.T) {
	for _, value := range []string{"0", "1"} {
		file := plannedWorkTests(t, value)
		for version, promtool := range promtools(t) {
			if out, err := exec.Command(promtool, "test", "rules", file).CombinedOutput(); err != nil {
				t.Errorf("promtool %s, every target in maintenance and every heartbeat paused = %s: %v\n%s", version, value, err, out)
			}
		}
	}
}

// plannedWorkTests writes tests/alerts_test.yaml with probe_maintenance
// and heartbeat_paused at value for every target and heartbeat; at 1 it
// expects none of the alerts that planned work holds.
func plannedWorkTests(t *testing.T, value string) string {
	t.Helper()
	doc := alertTests(t)
	quieted := 0
	for _, test := range doc["tests"].([]any) {
		tc := test.(map[string]any)
		tc["input_series"] = append(tc["input_series"].([]any), plannedWork(tc["input_series"].([]any), value)...)
		rules, _ := tc["alert_rule_test"].([]any)
		for _, r := range rules {
			rule := r.(map[string]any)
			if value == "1" && !loudAlerts[rule["alertname"].(string)] {
				rule["exp_alerts"] = []any{}
				quieted++
			}
		}
	}
	if value == "1" && quieted < 20 {
		t.Fatalf("only %d alert expectations quieted: the test lost its cases", quieted)
	}
	out, _ := yaml.Marshal(doc)
	file := filepath.Join(t.TempDir(), "planned_work_test.yaml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// alertTests is tests/alerts_test.yaml, its rule files made absolute, for
// a test to rewrite into a file of its own.
func alertTests(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("tests/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(".")
	doc["rule_files"] = []any{filepath.Join(abs, "prometheus_alerts.yaml"), filepath.Join(abs, "prometheus_rules.yaml")}
	return doc
}

// plannedWork are probe_maintenance and heartbeat_paused at value for
// every target and heartbeat of these input series, for the whole test.
func plannedWork(series []any, value string) []any {
	seen := map[string]bool{}
	var out []any
	for _, s := range series {
		m := seriesRE.FindStringSubmatch(s.(map[string]any)["series"].(string))
		if m == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range labelRE.FindAllStringSubmatch(m[2], -1) {
			labels[l[1]] = l[2]
		}
		var add string
		switch {
		case labels["heartbeat"] != "":
			add = fmt.Sprintf(`heartbeat_paused{job=%q, heartbeat=%q}`, labels["job"], labels["heartbeat"])
		case labels["instance"] != "" && labels["job"] == "django-probe":
			add = fmt.Sprintf(`probe_maintenance{job=%q, instance=%q}`, labels["job"], labels["instance"])
		}
		if add != "" && !seen[add] {
			seen[add] = true
			out = append(out, map[string]any{"series": add, "values": value + "x90"})
		}
	}
	return out
}

// No shipped alert, rule or dashboard links to localhost: a link must
// work where the page lands. With grafanaURL set, every alert links its
// dashboard; with exporterURL set, the links use it.
func TestLinksWorkWherePagesLand(t *testing.T) {
	files, _ := filepath.Glob("dashboards_out/*.json")
	files = append(files, "prometheus_alerts.yaml", "prometheus_rules.yaml", "../examples/kubernetes/prometheus-rule.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "localhost") {
			t.Errorf("%s links to localhost", f)
		}
	}
	// The example Prometheus gives the links an address to replace, not
	// the one it scrapes (localhost).
	b, err := os.ReadFile("../examples/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			RelabelConfigs []struct {
				SourceLabels []string `yaml:"source_labels"`
				TargetLabel  string   `yaml:"target_label"`
				Replacement  string   `yaml:"replacement"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, job := range prom.ScrapeConfigs {
		for _, r := range job.RelabelConfigs {
			if r.TargetLabel != "exporter" {
				continue
			}
			found = true
			if len(r.SourceLabels) > 0 || r.Replacement == "" || strings.Contains(r.Replacement, "localhost") {
				t.Errorf("job %s: the exporter label is %+v, want a fixed address to replace", job.JobName, r)
			}
		}
	}
	if !found {
		t.Error("the example Prometheus sets no exporter label")
	}
	out, err := exec.Command("go", "tool", "jsonnet", "-J", ".", "-e",
		`local m = (import "mixin.libsonnet") + { _config+:: { grafanaURL: "https://grafana.example.com", exporterURL: "https://exporter.example.com" } };
[r.annotations for g in m.prometheusAlerts.groups for r in g.rules]`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var annotations []map[string]string
	if err := json.Unmarshal(out, &annotations); err != nil {
		t.Fatal(err)
	}
	for _, a := range annotations {
		if !strings.HasPrefix(a["dashboard_url"], "https://grafana.example.com/d/") {
			t.Errorf("with grafanaURL set, an alert lacks dashboard_url: %v", a)
		}
		if strings.Contains(a["description"], "http://{{") {
			t.Errorf("with exporterURL set, a link still reads the series: %s", a["description"])
		}
	}
}
