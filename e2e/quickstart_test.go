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
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's quick start on a new Django project: `django-admin
// startproject`, `runserver`, the exporter on its built-in configuration
// (make run), and the README's curl: the first probe is useful at once,
// it finds DEBUG = True. The time from startproject to the answer is
// logged (the README's figure adds the build).
func TestQuickStartFindsDebugOnANewProject(t *testing.T) {
	t.Parallel()
	requireProgram(t, "/usr/bin/django-admin", "python3-django")
	exp := startExporterWith(t, buildExporter(t), "", filepath.Join(t.TempDir(), "data"))
	dir := t.TempDir()
	began := time.Now()
	if out, err := exec.Command("/usr/bin/django-admin", "startproject", "mysite", dir).CombinedOutput(); err != nil {
		t.Fatalf("startproject: %v\n%s", err, out)
	}
	port := freePort(t)
	site := start(t, "runserver", dir, nil, "/usr/bin/python3", "manage.py", "runserver", "--noreload", fmt.Sprintf("127.0.0.1:%d", port))
	u := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitHTTP(t, site, u, 30*time.Second)
	code, account := get(t, exp.url+"/probe?"+url.Values{"target": {u}, "debug": {"true"}}.Encode())
	took := time.Since(began)
	if code != 200 || !strings.Contains(account, "Result: FAILED") || !strings.Contains(account, "[debug_page] DEBUG = True") {
		t.Errorf("the first probe of a new project: %d\n%s", code, account)
	}
	t.Logf("startproject to a useful probe: %s", took.Round(100*time.Millisecond))
}
