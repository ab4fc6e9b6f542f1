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
	"log/slog"
	"net/http"
	"time"

	"github.com/django-health/django_health_exporter/collector"
)

// HeartbeatPage serves /heartbeats/NAME: one heartbeat for a person (its
// schedule, zone, grace, labels, senders, last pings and its whole last
// message), linked from the status page and from the alerts.
func HeartbeatPage(view func(name string) (collector.HeartbeatView, bool), logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		v, ok := view(name)
		if !ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_ = textPage.Execute(w, struct{ Title, Text string }{"No heartbeat " + name, "The configuration does not name it, and nothing registered it."})
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		data := struct {
			V   collector.HeartbeatView
			Now time.Time
		}{v, time.Now()}
		if err := heartbeatTemplate.Execute(w, data); err != nil {
			logger.Error("Error rendering a heartbeat's page", "heartbeat", name, "err", err)
		}
	})
}
