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

// Package mixin holds the tests of the monitoring mixin (jsonnet): the
// generated files match their sources, promtool accepts and passes the
// rules, every metric the mixin uses is one the exporter exposes, and the
// dashboards follow the conventions.
package mixin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/django-health/django_health_exporter/internal/testutil"
)

func requirePromtool(t *testing.T) string {
	t.Helper()
	testutil.NeedsPrograms(t)
	const p = "/usr/bin/promtool"
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: install Debian's prometheus package (make deps does it)", p)
	}
	return p
}

// The committed alerts, rules and dashboards are what the jsonnet makes.
func TestGeneratedFilesUpToDate(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("./build.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	for _, f := range []string{"prometheus_alerts.yaml", "prometheus_rules.yaml", "tests/quorum_alerts.yaml",
		"dashboards_out/django-probes.json", "dashboards_out/django-heartbeats.json", "prometheus-rule.yaml"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		committed := f
		if f == "prometheus-rule.yaml" {
			committed = "../examples/kubernetes/prometheus-rule.yaml"
		}
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Fatalf("%s: %v (run make mixin)", f, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the jsonnet generates: run make mixin", f)
		}
	}
	generated, _ := filepath.Glob(filepath.Join(out, "dashboards_out", "*.json"))
	committed, _ := filepath.Glob("dashboards_out/*.json")
	if len(generated) != len(committed) {
		t.Errorf("dashboards_out has %d files, the jsonnet makes %d: run make mixin", len(committed), len(generated))
	}
}

func TestJsonnetFormatted(t *testing.T) {
	var files []string
	_ = filepath.Walk(".", func(p string, info os.FileInfo, err error) error {
		if err == nil && (strings.HasSuffix(p, ".libsonnet") || strings.HasSuffix(p, ".jsonnet")) {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		out, err := exec.Command("go", "tool", "jsonnetfmt", "--test", f).CombinedOutput()
		if err != nil {
			t.Errorf("%s is not formatted (go tool jsonnetfmt -i %s): %s", f, f, out)
		}
	}
}

// promtools are Debian stable's promtool (2.x) and sid's (3.x, which
// make deps unpacks into .build/debian): the rules must pass both.
func promtools(t *testing.T) map[string]string {
	t.Helper()
	testutil.NeedsPrograms(t)
	newer := filepath.Join("..", ".build", "debian", "sid", "usr", "bin", "promtool")
	if _, err := os.Stat(newer); err != nil {
		t.Fatalf("%s is missing: run make deps (.ci/debian-newer fetches Prometheus 3 from Debian sid)", newer)
	}
	return map[string]string{"2.x": requirePromtool(t), "3.x": newer}
}

func TestPromtool(t *testing.T) {
	tests, _ := filepath.Glob("tests/*_test.yaml")
	if len(tests) == 0 {
		t.Fatal("no rule tests")
	}
	for version, promtool := range promtools(t) {
		t.Run(version, func(t *testing.T) {
			// Its lint (two rules of one name, say) prints FAILED and
			// still exits 0: the words count, not only the status.
			out, err := exec.Command(promtool, "check", "rules", "prometheus_alerts.yaml", "prometheus_rules.yaml", "tests/quorum_alerts.yaml").CombinedOutput()
			if err != nil || strings.Contains(string(out), "FAILED") || strings.Count(string(out), "SUCCESS") != 3 {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
			out, err = exec.Command(promtool, append([]string{"test", "rules"}, tests...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool test rules: %v\n%s", err, out)
			}
		})
	}
}

// Every alert of the contract has a test case that fires it and one where
// it stays quiet.
func TestEveryAlertIsTested(t *testing.T) {
	alerts := ruleFile(t, "prometheus_alerts.yaml")
	var tested struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
			InputSeries []struct {
				Series string `yaml:"series"`
			} `yaml:"input_series"`
		} `yaml:"tests"`
	}
	b, err := os.ReadFile("tests/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &tested); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tested.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	contract := []string{"DjangoProbeFailed", "DjangoCheckFailed", "DjangoDebugPageExposed", "DjangoDisallowedHost",
		"DjangoHealthCheckBackendDown", "DjangoContentChanged", "DjangoSlowResponse", "DjangoTLSCertificateExpiringSoon",
		"DjangoTLSCertificateExpiringVerySoon", "HeartbeatLate", "HeartbeatFailed", "HeartbeatRunningTooLong",
		"DjangoHealthExporterConfigReloadFailed",
		// Second round.
		"HeartbeatRanTooOften", "HeartbeatMultipleSources", "CeleryQueueBacklog", "CeleryWorkerDown", "HeartbeatPingsRejected"}
	defined := map[string]bool{}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			defined[r.Alert] = true
			if !fires[r.Alert] {
				t.Errorf("no test makes %s fire", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("no test expects %s to stay quiet", r.Alert)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" || r.Annotations["runbook_url"] == "" {
				t.Errorf("%s lacks summary, description or runbook_url", r.Alert)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s has severity %q", r.Alert, r.Labels["severity"])
			}
		}
	}
	for _, a := range contract {
		if !defined[a] {
			t.Errorf("alert %s of the contract is missing", a)
		}
	}
	// Every alert points at a runbook section that exists.
	runbook, err := os.ReadFile("../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (\S+)`).FindAllStringSubmatch(string(runbook), -1) {
		anchors[strings.ToLower(m[1])] = true
	}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			u := r.Annotations["runbook_url"]
			if anchor := u[strings.LastIndex(u, "#")+1:]; !anchors[anchor] {
				t.Errorf("%s: runbook section #%s not found in docs/runbook.md", r.Alert, anchor)
			}
		}
	}
}

// Every alert's severity comes from a _config knob (...Severity): set
// them all to one value and no alert keeps another.
func TestEverySeverityIsAKnob(t *testing.T) {
	expr := `local m = import "mixin.libsonnet";
std.manifestJson((m + { _config+:: {
  [k]: "knob-severity" for k in std.objectFields(m._config) if std.endsWith(k, "Severity")
} }).prometheusAlerts)`
	out, err := exec.Command("go", "tool", "jsonnet", "-J", ".", "-e", expr).CombinedOutput()
	if err != nil {
		t.Fatalf("jsonnet: %v\n%s", err, out)
	}
	var decoded string
	if err := json.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	var r rules
	if err := json.Unmarshal([]byte(decoded), &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" {
				continue
			}
			n++
			if rule.Labels["severity"] != "knob-severity" {
				t.Errorf("%s: severity %q is not a _config knob", rule.Alert, rule.Labels["severity"])
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts rendered")
	}
}

// Alerts and recording rules keep every label of a target or heartbeat
// (team, url, cluster: what Alertmanager routes on): they aggregate only
// with "without" the replica labels, never "by" a fixed list. The one
// exception compares a whole deployment: DjangoReleaseDrift counts the
// releases of every target and heartbeat of a group
// (_config.releaseGroupLabels, which it keeps), and names them in its
// description.
func TestAlertsKeepLabels(t *testing.T) {
	by := regexp.MustCompile(`\b(sum|min|max|avg|count|group)\s+by\s*\(`)
	for _, f := range []string{"prometheus_alerts.yaml", "prometheus_rules.yaml", "tests/quorum_alerts.yaml"} {
		for _, g := range ruleFile(t, f).Groups {
			for _, r := range g.Rules {
				if r.Alert == "DjangoReleaseDrift" {
					continue
				}
				if m := by.FindString(r.Expr); m != "" {
					t.Errorf("%s %s%s aggregates %q: labels such as team would be lost", f, r.Alert, r.Record, m)
				}
			}
		}
	}
}

type rules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func ruleFile(t *testing.T, path string) rules {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r rules
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID          int    `json:"id"`
		Type        string `json:"type"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Datasource  struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
		GridPos struct {
			X, Y, W, H int
		} `json:"gridPos"`
	} `json:"panels"`
}

func dashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, _ := filepath.Glob("dashboards_out/*.json")
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	if len(out) != 2 {
		t.Fatalf("want the Probes and Heartbeats dashboards, have %d", len(out))
	}
	return out
}

// The dashboards follow the conventions: a datasource variable, job and
// instance variables, and no panel without a query, a unit or a
// description.
func TestDashboardsLint(t *testing.T) {
	titles := map[string]bool{}
	for f, d := range dashboards(t) {
		titles[d.Title] = true
		if d.SchemaVersion != 39 || d.UID == "" {
			t.Errorf("%s: schemaVersion %d, uid %q", f, d.SchemaVersion, d.UID)
		}
		vars := map[string]string{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v.Type
		}
		if vars["datasource"] != "datasource" || vars["job"] != "query" || vars["instance"] != "query" {
			t.Errorf("%s: variables %v (want datasource, job, instance)", f, vars)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", f, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
				t.Errorf("%s: panel %q at %+v does not fit the 24-column grid", f, p.Title, p.GridPos)
			}
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", f, p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q has an empty query", f, p.Title)
				}
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: panel %q has no unit", f, p.Title)
			}
			if p.Description == "" {
				t.Errorf("%s: panel %q has no description", f, p.Title)
			}
			if p.Datasource.UID != "${datasource}" {
				t.Errorf("%s: panel %q does not use the datasource variable", f, p.Title)
			}
		}
	}
	if !titles["Django / Probes"] || !titles["Django / Heartbeats"] {
		t.Errorf("dashboard titles: %v", titles)
	}
}

// buildExporter builds the exporter from this tree into dir.
func buildExporter(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "django_health_exporter")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exposedMetrics runs the exporter against a local HTTPS page with a
// health check, with heartbeats, and returns every metric name it exposes
// on /probe and /metrics.
func exposedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	bin := buildExporter(t, dir)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ht/" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"DatabaseBackend": "working", "CeleryPingHealthCheck": "unavailable: no workers"}`)
			return
		}
		if r.URL.Path == "/static/site.css" {
			w.Header().Set("Content-Type", "text/css")
			_, _ = io.WriteString(w, "h1 {}")
			return
		}
		w.Header().Set("X-Release", "r1")
		_, _ = io.WriteString(w, `<link rel="stylesheet" href="/static/site.css"><h1>Acme Shop</h1>`)
	})
	addLoginSite(mux)
	site := httptest.NewTLSServer(mux)
	defer site.Close()
	cfg := fmt.Sprintf(`
modules:
  all:
    http: {tls_config: {insecure_skip_verify: true}, valid_status_codes: [200]}
    django: {check_allowed_hosts: true, static_assets: {}, release: {header: X-Release}}
    checks:
      - {keyword: Acme Shop}
      - {min_cert_validity: 1d}
%[2]stargets:
  - {name: shop, url: "%[1]s/", module: all}
  - {name: health, url: "%[1]s/ht/", module: all}
  - {name: health-om, url: "%[1]s/ht/om/", module: all}
  - {name: login, url: "%[1]s/", module: login}
heartbeats:
  - {name: nightly, schedule: "30 2 * * *", max_runtime: 1h, metrics: detailed}
maintenance:
  - {name: always, schedule: "* * * * *", duration: 2m, targets: [login]}
`, site.URL, loginModule("login", passwordFile(t, dir, loginPassword), "http: {tls_config: {insecure_skip_verify: true}}"))
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--config.file", cfgPath, "--storage.path", filepath.Join(dir, "data"), "--web.listen-address", addr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("exporter did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Post(base+"/heartbeat/nightly/start?metric=rows:1&release=r1", "text/plain", nil); err == nil {
		resp.Body.Close()
	}
	names := map[string]bool{}
	for _, path := range []string{"/probe?target=shop", "/probe?target=health", "/probe?target=health-om", "/probe?target=login", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, "# TYPE ") {
				names[strings.Fields(line)[2]] = true
			}
		}
	}
	return names
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	nameRE   = regexp.MustCompile(`__name__=~?"([^"]+)"`)
	identRE  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// Every metric an alert, a rule or a panel uses is one the exporter
// really exposes (read from a running exporter, not a list kept by hand),
// or a recording rule of the mixin.
func TestMetricNamesExist(t *testing.T) {
	exposed := exposedMetrics(t)
	for _, must := range []string{"probe_success", "probe_ssl_earliest_cert_expiry", "probe_django_health_check_up", "heartbeat_up", "heartbeat_pings_total", "django_health_exporter_build_info"} {
		if !exposed[must] {
			t.Fatalf("the running exporter does not expose %s: the test setup is wrong", must)
		}
	}
	recorded := map[string]bool{}
	var exprs []string
	for _, f := range []string{"prometheus_alerts.yaml", "prometheus_rules.yaml"} {
		for _, g := range ruleFile(t, f).Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded[r.Record] = true
				}
				exprs = append(exprs, r.Expr)
			}
		}
	}
	for _, d := range dashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
		for _, v := range d.Templating.List {
			exprs = append(exprs, v.Definition)
		}
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, m := range nameRE.FindAllStringSubmatch(e, -1) {
			re := regexp.MustCompile("^(?:" + m[1] + ")$")
			matched := 0
			for n := range exposed {
				if re.MatchString(n) {
					matched++
				}
			}
			if matched == 0 {
				t.Errorf("__name__ matcher %q matches no exposed metric", m[1])
			}
		}
		bare := quotedRE.ReplaceAllString(e, `""`)
		for _, id := range identRE.FindAllString(bare, -1) {
			switch {
			case strings.Contains(id, ":"):
				if !recorded[id] {
					t.Errorf("recording rule %s is used but not defined", id)
				}
			case strings.HasPrefix(id, "probe_"), strings.HasPrefix(id, "heartbeat_"), strings.HasPrefix(id, "django_health_exporter_"):
				used[id] = true
				if !exposed[id] {
					t.Errorf("metric %s is used but the exporter does not expose it", id)
				}
			}
		}
	}
	if len(used) < 20 {
		t.Errorf("only %d metric names found in the mixin: the extraction is broken", len(used))
	}
	// And the other way round, for the record: what the mixin leaves out.
	var unused []string
	for n := range exposed {
		if (strings.HasPrefix(n, "probe_") || strings.HasPrefix(n, "heartbeat_")) && !used[n] {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	t.Logf("exposed but not used by the mixin: %s", strings.Join(unused, ", "))
}

// With showMultiCluster promtool accepts the rules, and the dashboards get
// a cluster variable (the alerts keep the cluster label anyway: see
// TestAlertsKeepLabels).
func TestMultiCluster(t *testing.T) {
	promtool := requirePromtool(t)
	dir := t.TempDir()
	render := func(expr, out string) []byte {
		cmd := exec.Command("go", "tool", "jsonnet", "-J", ".", "-e", expr)
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("jsonnet: %v", err)
		}
		if out != "" {
			if err := os.WriteFile(filepath.Join(dir, out), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	mixin := `((import "mixin.libsonnet") + { _config+:: { showMultiCluster: true } })`
	render(mixin+".prometheusAlerts", "alerts.json")
	render(mixin+".prometheusRules", "rules.json")
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(dir, "alerts.json"), filepath.Join(dir, "rules.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	var dash dashboard
	if err := json.Unmarshal(render(mixin+`.grafanaDashboards["django-probes.json"]`, ""), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.Templating.List[1].Name != "cluster" {
		t.Errorf("no cluster variable: %+v", dash.Templating.List)
	}
}
