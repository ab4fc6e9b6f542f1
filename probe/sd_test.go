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

package probe

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/django-health/django_health_exporter/config"
)

func TestSDHandler(t *testing.T) {
	cfg := mustConfig(t, `
targets:
  - {name: shop-home, url: "https://shop.example.com/", module: django_admin, labels: {team: web}}
  - {name: shop-plain, url: "https://shop.example.com/plain"}
`)
	rec := httptest.NewRecorder()
	SDHandler(func() *config.Config { return cfg }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sd", nil))
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
	var groups []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &groups); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 {
		t.Fatalf("groups: %+v", groups)
	}
	g := groups[0]
	if len(g.Targets) != 1 || g.Targets[0] != "shop-home" || g.Labels["__param_module"] != "django_admin" ||
		g.Labels["module"] != "django_admin" || g.Labels["team"] != "web" || g.Labels["__meta_django_url"] != "https://shop.example.com/" {
		t.Errorf("first group: %+v", g)
	}
	if groups[1].Labels["__param_module"] != "django" {
		t.Errorf("a target without a module is probed with django: %+v", groups[1])
	}
	// No targets: an empty list, not null.
	rec = httptest.NewRecorder()
	SDHandler(func() *config.Config { return config.LoadDefault() }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sd", nil))
	if got := rec.Body.String(); got != "[]\n" {
		t.Errorf("no targets: %q", got)
	}
}
