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

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// Ad-hoc maintenance windows: a deploy script holds every page of what it
// restarts in one call (POST /api/v1/maintenance/NAME, or the CLI's
// maintenance start), with the effects of a window of the file: the
// heartbeats it names are paused, its targets' probes say
// probe_maintenance 1, django_health_exporter_maintenance_active{window}
// is 1. They are kept on disk (a restart mid-deploy keeps them), and an
// ended one is kept a week, so a heartbeat is due a full period after it
// ended, never at once.

// endedKept is how long an ended window is kept.
const endedKept = 7 * 24 * time.Hour

// adHocWindows are the ad-hoc windows, open and recently ended.
type adHocWindows struct {
	store  Storage
	logger *slog.Logger
	mu     sync.Mutex // serialises changes
	list   atomic.Pointer[[]*config.MaintenanceWindow]
}

// storedWindow is an ad-hoc window as the store keeps it.
type storedWindow struct {
	Format     int               `json:"format"`
	Start      time.Time         `json:"start"`
	Until      time.Time         `json:"until"`
	Targets    []string          `json:"targets,omitempty"`
	Heartbeats []string          `json:"heartbeats,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// windows are the ad-hoc windows now.
func (a *adHocWindows) windows() []*config.MaintenanceWindow {
	if l := a.list.Load(); l != nil {
		return *l
	}
	return nil
}

// applying are the ad-hoc windows that name a heartbeat.
func (a *adHocWindows) applying(hc *config.Heartbeat) []*config.MaintenanceWindow {
	var out []*config.MaintenanceWindow
	for _, w := range a.windows() {
		if w.AppliesToHeartbeat(hc.Name, hc.Labels) {
			out = append(out, w)
		}
	}
	return out
}

// load reads the stored windows, checked by cfg's rules; those that no
// longer fit (a target gone) are dropped, and those ended a week ago.
func (a *adHocWindows) load(cfg *config.Config, now time.Time) {
	raw, err := a.store.LoadWindows()
	if err != nil {
		a.logger.Warn("Could not read the ad-hoc maintenance windows", "err", err)
		return
	}
	var list []*config.MaintenanceWindow
	for name, b := range raw {
		var s storedWindow
		err := json.Unmarshal(b, &s)
		var w *config.MaintenanceWindow
		if err == nil {
			w, err = cfg.NewAdHocWindow(name, s.Start, s.Until, s.Targets, s.Heartbeats, s.Labels)
		}
		if err != nil || now.Sub(s.Until) > endedKept {
			if err != nil {
				a.logger.Warn("Dropping an ad-hoc maintenance window that no longer fits the configuration", "window", name, "err", err)
			}
			a.store.PutWindow(name, nil)
			continue
		}
		list = append(list, w)
	}
	sortWindows(list)
	a.list.Store(&list)
}

func sortWindows(list []*config.MaintenanceWindow) {
	slices.SortFunc(list, func(x, y *config.MaintenanceWindow) int { return strings.Compare(x.Name, y.Name) })
}

// set replaces (or adds) a window, on disk first.
func (a *adHocWindows) set(w *config.MaintenanceWindow) error {
	start, until := w.Bounds()
	b, err := json.Marshal(storedWindow{Format: 1, Start: start, Until: until, Targets: w.Targets, Heartbeats: w.Heartbeats, Labels: w.Labels})
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := <-a.store.PutWindow(w.Name, b); err != nil {
		return &apiError{http.StatusServiceUnavailable, "the window could not be stored: " + err.Error()}
	}
	list := slices.DeleteFunc(slices.Clone(a.windows()), func(x *config.MaintenanceWindow) bool { return x.Name == w.Name })
	list = append(list, w)
	sortWindows(list)
	a.list.Store(&list)
	return nil
}

// serveMaintenanceStart opens an ad-hoc window (POST
// /api/v1/maintenance/{name}) with {"for": "30m"} or {"until": "RFC 3339"},
// and targets, heartbeats (names or globs) and labels (values may be
// globs, "*" = present). Opening it again replaces it.
func (h *Heartbeats) serveMaintenanceStart(w http.ResponseWriter, r *http.Request) {
	var req struct {
		For        string            `json:"for"`
		Until      string            `json:"until"`
		Targets    []string          `json:"targets"`
		Heartbeats []string          `json:"heartbeats"`
		Labels     map[string]string `json:"labels"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRegistrationBody))
	dec.DisallowUnknownFields()
	if err := decodeOne(dec, &req); err != nil {
		writeAPIError(w, &apiError{http.StatusBadRequest, "invalid window: " + err.Error() + `; want {"for": "30m", "heartbeats": ["celery-*"], "labels": {"celery": "*"}, "targets": ["shop-home"]}`})
		return
	}
	cfg, err := h.maintainer(requestToken(r))
	if err != nil {
		writeAPIError(w, err)
		return
	}
	now := h.now()
	until, err := endOf(req.For, req.Until, now) // a window always ends
	if err != nil {
		writeAPIError(w, err)
		return
	}
	win, err := cfg.NewAdHocWindow(r.PathValue("name"), now, until, req.Targets, req.Heartbeats, req.Labels)
	if err != nil {
		writeAPIError(w, &apiError{http.StatusBadRequest, err.Error()})
		return
	}
	if err := h.adhoc.set(win); err != nil {
		writeAPIError(w, err)
		return
	}
	h.logger.Info("Maintenance window opened", "window", win.Name, "until", until.UTC().Format(time.RFC3339))
	writeWindow(w, win, now)
}

// serveMaintenanceEnd ends an ad-hoc window now (DELETE
// /api/v1/maintenance/{name}); what it held is due a full period from now.
func (h *Heartbeats) serveMaintenanceEnd(w http.ResponseWriter, r *http.Request) {
	if _, err := h.maintainer(requestToken(r)); err != nil {
		writeAPIError(w, err)
		return
	}
	name, now := r.PathValue("name"), h.now()
	i := slices.IndexFunc(h.adhoc.windows(), func(x *config.MaintenanceWindow) bool { return x.Name == name })
	if i < 0 {
		writeAPIError(w, &apiError{http.StatusNotFound, fmt.Sprintf("no maintenance window %q was opened through the API", name)})
		return
	}
	old := h.adhoc.windows()[i]
	if open, _ := old.Open(now); !open {
		writeWindow(w, old, now) // ended already
		return
	}
	start, _ := old.Bounds()
	ended, err := h.current().NewAdHocWindow(name, start, now, old.Targets, old.Heartbeats, old.Labels)
	if err == nil {
		err = h.adhoc.set(ended)
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	h.logger.Info("Maintenance window ended", "window", name)
	writeWindow(w, ended, now)
}

// serveMaintenanceList lists the ad-hoc windows (GET /api/v1/maintenance).
func (h *Heartbeats) serveMaintenanceList(w http.ResponseWriter, _ *http.Request) {
	now := h.now()
	out := []windowView{}
	for _, win := range h.adhoc.windows() {
		out = append(out, viewWindow(win, now))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"windows": out})
}

// maintainer checks that a request may open or end a window: the
// defaults' token, when one is set.
func (h *Heartbeats) maintainer(token string) (*config.Config, error) {
	cfg := h.current()
	switch {
	case cfg == nil:
		return nil, &apiError{http.StatusServiceUnavailable, "no configuration loaded"}
	case !tokenOK(cfg.HeartbeatDefaults.BearerToken(), token):
		return nil, &apiError{http.StatusUnauthorized, errUnauthorized.msg}
	}
	return cfg, nil
}

// windowView is an ad-hoc window as the API shows it.
type windowView struct {
	Name       string            `json:"name"`
	Open       bool              `json:"open"`
	Start      time.Time         `json:"start"`
	Until      time.Time         `json:"until"`
	Targets    []string          `json:"targets,omitempty"`
	Heartbeats []string          `json:"heartbeats,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

func viewWindow(win *config.MaintenanceWindow, now time.Time) windowView {
	open, until := win.Open(now)
	start, _ := win.Bounds()
	return windowView{Name: win.Name, Open: open, Start: start, Until: until, Targets: win.Targets, Heartbeats: win.Heartbeats, Labels: win.Labels}
}

func writeWindow(w http.ResponseWriter, win *config.MaintenanceWindow, now time.Time) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(viewWindow(win, now))
}

// MaintenanceWindows are the ad-hoc windows, open and recently ended: the
// probes, the status page and django_health_exporter_maintenance_active
// take them beside the file's.
func (h *Heartbeats) MaintenanceWindows() []*config.MaintenanceWindow { return h.adhoc.windows() }
