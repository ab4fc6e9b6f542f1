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

package web

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/probe"
)

// ConfigHandler serves /config: the configuration in force as YAML, with
// every secret (passwords, tokens, sensitive headers, credentials in URLs)
// hidden.
func ConfigHandler(cfg func() *config.Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := config.MarshalRedacted(cfg())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeText(w, r, "Configuration in force (secrets hidden)", string(out))
	})
}

// writeText answers a plain-text page: as text for curl and scripts, and
// wrapped in HTML, with a link back to the status page, for a browser
// (which asks for text/html first).
func writeText(w http.ResponseWriter, r *http.Request, title, text string) {
	w.Header().Add("Vary", "Accept")
	if !strings.HasPrefix(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(text))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = textPage.Execute(w, struct{ Title, Text string }{title, text})
}

// sdGroup is one entry of Prometheus's http_sd_configs format.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// SDHandler serves /sd: every configured target as an http_sd_configs
// group. The target is its name (so /probe finds its URL and module), and
// __param_module makes Prometheus pass the module along; with the usual
// blackbox relabelling (__address__ -> __param_target, the exporter as
// __address__) a scrape job needs nothing else.
func SDHandler(cfg func() *config.Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cfg()
		groups := make([]sdGroup, 0, len(c.Targets))
		for _, t := range c.Targets {
			labels := map[string]string{
				"__param_module":       t.ModuleName(),
				"__meta_django_url":    config.RedactURL(t.URL),
				"__meta_django_target": t.Name,
				"module":               t.ModuleName(),
			}
			maps.Copy(labels, t.Labels)
			groups = append(groups, sdGroup{Targets: []string{t.Name}, Labels: labels})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(groups)
	})
}

// LogsHandler serves /logs?id=N: the debug account of a kept probe, with
// the module as it was when the probe ran.
func LogsHandler(h *History) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
		if err != nil {
			http.Error(w, "id parameter is missing or not a number", http.StatusBadRequest)
			return
		}
		res := h.Get(id)
		if res == nil {
			http.Error(w, "probe "+strconv.FormatUint(id, 10)+" is no longer kept", http.StatusNotFound)
			return
		}
		writeText(w, r, "Probe "+strconv.FormatUint(id, 10)+" of "+res.Target, probe.DebugOutput(res))
	})
}
