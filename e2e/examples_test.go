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

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The files users copy from examples/ are valid for the programs that
// read them.
func TestExamples(t *testing.T) {
	bin := buildExporter(t)
	ex := func(p string) string { return filepath.Join(repoRoot, "examples", p) }
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("t0ken"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(name, cfg string) {
		t.Helper()
		f := filepath.Join(t.TempDir(), "config.yml")
		cfg = strings.ReplaceAll(cfg, "/etc/django-health-exporter/heartbeat-token", token)
		cfg = strings.ReplaceAll(cfg, "/etc/django-health-exporter/token/token", token)
		if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(bin, "--config.check", "--config.file", f); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	// The example loads as it is, before any secret exists: a quick start
	// must not stop at a missing token file.
	if out, err := runCmd(bin, "--config.check", "--config.file", ex("config/django_health_exporter.yml")); err != nil {
		t.Errorf("examples/config as shipped: %v\n%s", err, out)
	}
	b, err := os.ReadFile(ex("config/django_health_exporter.yml"))
	if err != nil {
		t.Fatal(err)
	}
	check("examples/config, with the token file", strings.ReplaceAll(string(b), "# token_file:", "token_file:"))

	checkKubernetes(t, bin, check)

	requireProgram(t, "/usr/bin/promtool", "prometheus")
	cmd := exec.Command("/usr/bin/promtool", "check", "config", "prometheus.yml")
	cmd.Dir = ex("prometheus")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
	requireProgram(t, "/usr/bin/amtool", "prometheus-alertmanager")
	if out, err := runCmd("/usr/bin/amtool", "check-config", ex("alertmanager/alertmanager.yml")); err != nil {
		t.Errorf("amtool check-config: %v\n%s", err, out)
	}

	// The example Django project passes Django's system checks, with the
	// installed django-health-exporter package.
	requirePython(t, "django", "python3-django")
	manage := exec.Command(venvPython(t), "manage.py", "check")
	manage.Dir = ex("django")
	manage.Env = append(os.Environ(), "DJANGO_DB_PATH="+filepath.Join(t.TempDir(), "db.sqlite3"), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := manage.CombinedOutput(); err != nil {
		t.Errorf("manage.py check: %v\n%s", err, out)
	}
}

// checkKubernetes: every object is well-formed, the ConfigMap's config
// loads, the container arguments are flags the binary has, the
// PrometheusRule passes promtool, every Secret a Pod mounts is created in
// the Pod's namespace by the README's commands, and the ScrapeConfig
// relabels as examples/prometheus does.
func checkKubernetes(t *testing.T, bin string, check func(name, cfg string)) {
	ex := func(p string) string { return filepath.Join(repoRoot, "examples", p) }
	help, _ := runCmd(bin, "serve", "--help")
	readme, err := os.ReadFile(ex("kubernetes/README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(ex("kubernetes/*.yaml"))
	if len(files) < 4 {
		t.Fatalf("examples/kubernetes has %d YAML files", len(files))
	}
	kinds := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var obj map[string]any
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			meta, _ := obj["metadata"].(map[string]any)
			if obj["apiVersion"] == nil || obj["kind"] == nil || meta["name"] == nil || meta["namespace"] == nil {
				t.Errorf("%s: object without apiVersion, kind, name or namespace: %v", f, obj)
				continue
			}
			kind := obj["kind"].(string)
			kinds[kind] = true
			switch kind {
			case "ConfigMap":
				data := obj["data"].(map[string]any)
				check(filepath.Base(f)+" ConfigMap", data["config.yml"].(string))
			case "PrometheusRule":
				spec, _ := json.Marshal(obj["spec"])
				rules := filepath.Join(t.TempDir(), "rules.json")
				if err := os.WriteFile(rules, spec, 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err := runCmd("/usr/bin/promtool", "check", "rules", rules); err != nil {
					t.Errorf("%s: promtool check rules: %v\n%s", f, err, out)
				}
			}
			// Secrets mounted by a Pod: created in its namespace.
			for _, m := range regexp.MustCompile(`secretName: ([a-z0-9-]+)`).FindAllStringSubmatch(string(mustYAML(t, obj)), -1) {
				cmd := fmt.Sprintf("kubectl -n %s create secret generic %s", meta["namespace"], m[1])
				if !strings.Contains(string(readme), cmd) {
					t.Errorf("%s: %s %s mounts Secret %s, but the README never runs %q", filepath.Base(f), kind, meta["name"], m[1], cmd)
				}
			}
		}
		for _, flag := range regexp.MustCompile(`- (--[a-z][a-z.-]+)=`).FindAllStringSubmatch(string(raw), -1) {
			if flag[1] == "--url" || flag[1] == "--token-file" {
				continue // flags of the run command
			}
			if !strings.Contains(help, flag[1]) {
				t.Errorf("%s: %s is not a flag of the exporter", f, flag[1])
			}
		}
	}
	for _, k := range []string{"StatefulSet", "CronJob", "ServiceMonitor", "ScrapeConfig", "PrometheusRule"} {
		if !kinds[k] {
			t.Errorf("examples/kubernetes has no %s", k)
		}
	}
	// The ScrapeConfig keeps the example Prometheus configuration's labels.
	op, _ := os.ReadFile(ex("kubernetes/prometheus-operator.yaml"))
	for _, want := range []string{"sourceLabels: [__meta_django_url]", "targetLabel: url", "jobName: django-probe", "jobLabel: app.kubernetes.io/name"} {
		if !strings.Contains(string(op), want) {
			t.Errorf("prometheus-operator.yaml lacks %q", want)
		}
	}
}

func mustYAML(t *testing.T, v any) []byte {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Dockerfile's volume is writable by the image's non-root user: the
// directory exists in the image, owned by that user (a VOLUME Docker has to
// create is root's, and the exporter could not store a ping). No Docker
// engine here to build it: the Dockerfile is read.
func TestDockerfileVolumeWritable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(df)
	volume := regexp.MustCompile(`(?m)^VOLUME \["([^"]+)"\]$`).FindStringSubmatch(df)
	if user == nil || volume == nil {
		t.Fatalf("Dockerfile lacks a numeric USER uid:gid or a VOLUME:\n%s", df)
	}
	chown := fmt.Sprintf(`(?m)^COPY --from=\w+ --chown=%s:%s \S+ %s/?$`, user[1], user[2], regexp.QuoteMeta(volume[1]))
	if !regexp.MustCompile(chown).MatchString(df) {
		t.Errorf("no COPY --chown=%s:%s creating %s before it becomes a VOLUME:\n%s", user[1], user[2], volume[1], df)
	}
	if !strings.Contains(df, "--storage.path="+volume[1]) {
		t.Errorf("the exporter's --storage.path is not the volume %s", volume[1])
	}
}

// The example Alertmanager configuration routes on the labels the mixin's
// alerts keep (team) and inhibits as its comments say, in a real
// Alertmanager fed through its API.
func TestAlertmanagerExample(t *testing.T) {
	requireProgram(t, "/usr/bin/amtool", "prometheus-alertmanager")
	if out, err := runCmd("/usr/bin/amtool", "check-config", filepath.Join(repoRoot, "examples/alertmanager/alertmanager.yml")); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	am := startAlertmanager(t)
	now := time.Now().UTC().Format(time.RFC3339)
	alert := func(labels string) string {
		return `{"labels": {` + labels + `}, "startsAt": "` + now + `"}`
	}
	alerts := []string{
		alert(`"alertname": "DjangoDebugPageExposed", "severity": "critical", "job": "django-probe", "instance": "shop-home", "team": "web"`),
		alert(`"alertname": "DjangoProbeFailed", "severity": "critical", "job": "django-probe", "instance": "shop-home", "team": "web"`),
		alert(`"alertname": "DjangoProbeFailed", "severity": "critical", "job": "django-probe", "instance": "shop-api", "team": "web"`),
		alert(`"alertname": "HeartbeatLate", "severity": "critical", "job": "django-health-exporter", "heartbeat": "nightly-report", "team": "data"`),
		alert(`"alertname": "HeartbeatFailed", "severity": "warning", "job": "django-health-exporter", "heartbeat": "import", "team": "data"`),
		alert(`"alertname": "HeartbeatLate", "severity": "critical", "job": "django-health-exporter", "heartbeat": "celery-worker", "team": "web"`),
		alert(`"alertname": "CeleryWorkerDown", "severity": "warning", "job": "django-health-exporter", "heartbeat": "celery-worker@w1@host", "celery": "worker", "queues": "default", "team": "web"`),
		alert(`"alertname": "DjangoContentChanged", "severity": "info", "job": "django-probe", "instance": "shop-robots"`),
	}
	if code, body := post(t, am+"/api/v2/alerts", "["+strings.Join(alerts, ",")+"]", "Content-Type", "application/json"); code != 200 {
		t.Fatalf("posting alerts: %d %s", code, body)
	}
	type amAlert struct {
		Labels    map[string]string `json:"labels"`
		Receivers []struct {
			Name string `json:"name"`
		} `json:"receivers"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	want := map[string]string{ // alertname/instance-or-heartbeat -> receiver, or "inhibited"
		"DjangoDebugPageExposed/shop-home":       "pager",
		"DjangoProbeFailed/shop-home":            "inhibited",
		"DjangoProbeFailed/shop-api":             "pager",
		"HeartbeatLate/nightly-report":           "data-pager",
		"HeartbeatFailed/import":                 "data-chat",
		"HeartbeatLate/celery-worker":            "pager",
		"CeleryWorkerDown/celery-worker@w1@host": "inhibited",
		"DjangoContentChanged/shop-robots":       "chat",
	}
	eventually(t, 30*time.Second, func() string {
		_, body := get(t, am+"/api/v2/alerts")
		var got []amAlert
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			return err.Error()
		}
		seen := map[string]string{}
		for _, a := range got {
			key := a.Labels["alertname"] + "/" + a.Labels["instance"] + a.Labels["heartbeat"]
			switch {
			case a.Status.State == "suppressed":
				seen[key] = "inhibited"
			case len(a.Receivers) == 1:
				seen[key] = a.Receivers[0].Name
			default:
				seen[key] = fmt.Sprint(a.Receivers)
			}
		}
		for k, v := range want {
			if seen[k] != v {
				return fmt.Sprintf("%s: got %q, want %q (all: %v)", k, seen[k], v, seen)
			}
		}
		return ""
	})
}

// The README's quick start writes the token where the example config
// reads it.
func TestReadmeAndExampleAgreeOnTheTokenFile(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(repoRoot, "examples", "config", "django_health_exporter.yml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`token_file: (\S+)`).FindSubmatch(cfg)
	if m == nil {
		t.Fatal("the example config has no token_file")
	}
	if !strings.Contains(string(readme), "openssl rand -hex 24 > "+string(m[1])) {
		t.Errorf("the README's quick start does not write the token to %s, where the example config reads it", m[1])
	}
}
