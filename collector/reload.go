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
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// Reloader loads the configuration and hands it to the parts that use it.
// A file that does not load, or that a part refuses, keeps the running
// configuration and sets config_last_reload_successful to 0.
type Reloader struct {
	load    func() (*config.Config, error)
	apply   func(*config.Config) error
	metrics *ExporterMetrics
	logger  *slog.Logger

	mu      sync.Mutex
	current atomic.Pointer[config.Config]
}

// NewReloader wires a loader (the file, or the embedded default) to apply.
func NewReloader(load func() (*config.Config, error), apply func(*config.Config) error, metrics *ExporterMetrics, logger *slog.Logger) *Reloader {
	return &Reloader{load: load, apply: apply, metrics: metrics, logger: logger}
}

// Reload loads and applies the configuration; concurrent calls queue.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := r.load()
	if err == nil {
		err = r.apply(cfg)
	}
	if err != nil {
		r.metrics.ConfigLoaded(false, time.Now())
		r.logger.Error("Error loading config; keeping the running one", "err", err)
		return err
	}
	r.current.Store(cfg)
	r.metrics.ConfigLoaded(true, time.Now())
	r.logger.Info("Loaded config", "modules", len(cfg.Modules), "targets", len(cfg.Targets), "heartbeats", len(cfg.Heartbeats))
	return nil
}

// Config is the configuration in force.
func (r *Reloader) Config() *config.Config { return r.current.Load() }

// Handler serves POST /-/reload.
func (r *Reloader) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost && req.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := r.Reload(); err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("OK\n"))
	})
}
