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
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
// the module as it was when the probe ran; and /logs?target=NAME: the
// last failed probe of a target (its name, or the URL asked for), which
// is where an alert links: the failure that fired it, not a fresh probe
// that may succeed by the time somebody reads it.
func LogsHandler(h *History, current *Current) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if target := r.URL.Query().Get("target"); target != "" && r.URL.Query().Get("id") == "" {
			lastFailed(w, r, h, current, target)
			return
		}
		id, err := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
		if err != nil {
			http.Error(w, "id or target parameter is missing, or id is not a number", http.StatusBadRequest)
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

// lastFailed answers /logs?target=: the account of the target's last
// failed probe with what happened since on top; when the history no
// longer keeps it, what the status page kept of it (when, why).
func lastFailed(w http.ResponseWriter, r *http.Request, h *History, current *Current, target string) {
	st, ok := current.LastFailed(target)
	fresh := "probe?" + url.Values{"target": {target}, "debug": {"true"}}.Encode()
	if !ok || st.LastFailed.ID == 0 {
		w.WriteHeader(http.StatusNotFound)
		msg := "No probe of " + target + " has failed since the exporter started."
		if ok && st.Probed {
			msg += fmt.Sprintf("\nThe last probe succeeded at %s: logs?id=%d", st.Start.UTC().Format(time.RFC3339), st.ID)
		}
		writeText(w, r, "No failed probe of "+target, msg+"\nA fresh probe: "+fresh+"\n")
		return
	}
	f := st.LastFailed
	head := fmt.Sprintf("The last failed probe of %s ran at %s.\n", target, f.At.UTC().Format(time.RFC3339))
	if st.Success {
		head += fmt.Sprintf("The target has succeeded since %s (the last probe, at %s: logs?id=%d).\n", st.UpSince.UTC().Format(time.RFC3339), st.Start.UTC().Format(time.RFC3339), st.ID)
	} else {
		head += fmt.Sprintf("The target has been failing since %s.\n", st.FailingSince.UTC().Format(time.RFC3339))
	}
	title := "Last failed probe of " + target
	res := h.Get(f.ID)
	if res == nil {
		writeText(w, r, title, head+"Its whole account is no longer kept (the history keeps the last --history.limit probes and failures, and the last failure of each target, within a byte budget). Why it failed:\n\n"+f.Failure+"\n\nA fresh probe: "+fresh+"\n")
		return
	}
	writeText(w, r, title, head+"\n"+probe.DebugOutput(res))
}
