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
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
		cfg = strings.ReplaceAll(cfg, "/run/secrets/heartbeat-token", token)
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

	// Kubernetes: well-formed objects, the ConfigMap's config loads, and
	// the container arguments are flags the binary has.
	help, _ := runCmd(bin, "serve", "--help")
	for _, f := range []string{"kubernetes/exporter.yaml", "kubernetes/cronjob.yaml"} {
		raw, err := os.ReadFile(ex(f))
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
			if obj["apiVersion"] == nil || obj["kind"] == nil || meta["name"] == nil {
				t.Errorf("%s: object without apiVersion, kind or name: %v", f, obj)
			}
			if obj["kind"] == "ConfigMap" {
				data := obj["data"].(map[string]any)
				check(f+" ConfigMap", data["config.yml"].(string))
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

	// The example Django project passes Django's system checks, and the
	// heartbeat helper compiles with Debian's Python.
	requirePython(t, "django", "python3-django")
	manage := exec.Command("/usr/bin/python3", "manage.py", "check")
	manage.Dir = ex("django")
	manage.Env = append(os.Environ(), "DJANGO_DB_PATH="+filepath.Join(t.TempDir(), "db.sqlite3"), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := manage.CombinedOutput(); err != nil {
		t.Errorf("manage.py check: %v\n%s", err, out)
	}
	if out, err := runCmd("/usr/bin/python3", "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", ex("celery/django_health_heartbeat.py")); err != nil {
		t.Errorf("django_health_heartbeat.py: %v\n%s", err, out)
	}
}
