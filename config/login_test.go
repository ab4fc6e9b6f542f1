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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The password is read from its file (relative to the config file) at
// each load, and the marshalled config (/config) names the file only.
func TestLoginPasswordReadAtEachLoad(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	p := filepath.Join(dir, "config.yml")
	yml := "modules:\n  m:\n    django:\n      login: {username: probe, password_file: pw, expect: Hello}\n"
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, password := range []string{"first-pass word", "second-pass word"} {
		if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l := c.Modules["m"].Django.Login
		if l.Password() != password {
			t.Errorf("password = %q, want %q (the file's, without its newline)", l.Password(), password)
		}
		if l.URL != "/admin/login/" || l.LogoutURL != "/admin/logout/" {
			t.Errorf("defaults: url %q, logout_url %q", l.URL, l.LogoutURL)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), password) || !strings.Contains(string(out), "password_file: pw") {
			t.Errorf("marshalled config shows the password or not its file:\n%s", out)
		}
	}
}
