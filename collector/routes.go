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

package collector

import "net/http"

// Routes mounts the heartbeat HTTP contract on mux: the pings and the
// heartbeat API, each with its methods (Go's method and path patterns).
// The handlers read r.PathValue, so the patterns live here, beside them,
// and nowhere else: web.New mounts them, and the tests use the same call.
// A method a route does not take gets 405 from the mux (with Allow),
// except where a fallback says more or counts it.
func (h *Heartbeats) Routes(mux *http.ServeMux) {
	// Pings (GET also takes HEAD). Anything else under /heartbeat/ is an
	// invalid ping: counted, and answered 405 or 400.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		mux.HandleFunc(method+" /heartbeat/{name}", h.servePing)
		mux.HandleFunc(method+" /heartbeat/{name}/{action}", h.servePing)
	}
	mux.HandleFunc("/heartbeat/", h.serveBadPing)

	// The heartbeat API: the list, registration, pause and resume.
	mux.HandleFunc("GET /api/v1/heartbeats", h.serveList)
	mux.HandleFunc("GET /api/v1/heartbeats/{name}", h.serveHeartbeat)
	mux.HandleFunc("PUT /api/v1/heartbeats/{name}", h.serveRegister)
	mux.HandleFunc("DELETE /api/v1/heartbeats/{name}", h.serveUnregister)
	mux.HandleFunc("/api/v1/heartbeats/{name}", h.serveBadAPIMethod)
	mux.HandleFunc("POST /api/v1/heartbeats/{name}/pause", h.servePause)
	mux.HandleFunc("DELETE /api/v1/heartbeats/{name}/pause", h.serveResume)

	// Ad-hoc maintenance windows, from a deploy script (maintenance.go).
	mux.HandleFunc("GET /api/v1/maintenance", h.serveMaintenanceList)
	mux.HandleFunc("POST /api/v1/maintenance/{name}", h.serveMaintenanceStart)
	mux.HandleFunc("DELETE /api/v1/maintenance/{name}", h.serveMaintenanceEnd)
}
