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
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/probe"
)

// State is what the exporter runs on: a configuration and the prober
// compiled from it. A reload swaps the two together, so that /probe, /sd,
// /config and the status page never see one without the other.
type State struct {
	Config *config.Config
	Prober *probe.Prober
	Loaded time.Time
}

// Reloader is the one holder of the running State, in the manner of
// blackbox_exporter's SafeConfig: the probes, the heartbeats and the pages
// all read the configuration from it, so they see one generation. It
// loads the configuration and compiles it; then the parts that keep state
// of their own (the heartbeats) switch to it, and the new State is
// published, in one step, while they do. A file that does not load or
// compile keeps the running State and sets config_last_reload_successful
// to 0.
type Reloader struct {
	load    func() (*config.Config, error)
	apply   func(cfg *config.Config, publish func())
	agent   string
	metrics *Metrics
	logger  *slog.Logger

	current atomic.Pointer[State]

	// Reloads are coalesced: while one runs, every request joins a single
	// pending one, which starts (and reads the file) after the running one
	// ends. A slow file never queues more than one reload behind it.
	mu      sync.Mutex
	running bool
	pending *reloadRound
	failure atomic.Pointer[ReloadFailure]
}

// ReloadFailure is the last failed reload, for the status page's banner.
type ReloadFailure struct {
	Err  error
	Time time.Time
}

type reloadRound struct {
	done chan struct{}
	err  error
}

// NewReloader wires a loader (the file, or the embedded default).
// userAgent is what the prober sends.
func NewReloader(load func() (*config.Config, error), userAgent string, metrics *Metrics, logger *slog.Logger) *Reloader {
	return &Reloader{
		load: load, agent: userAgent, metrics: metrics, logger: logger,
		apply: func(_ *config.Config, publish func()) { publish() },
	}
}

// OnReload sets the part that keeps state of its own derived from the
// configuration (collector.Heartbeats.Apply): it switches to each new
// configuration and calls publish at the moment it does, so that the two
// change in one step. It cannot refuse a configuration that compiled.
// Set it before the first Reload.
func (r *Reloader) OnReload(apply func(cfg *config.Config, publish func())) { r.apply = apply }

// State is the running configuration and prober; nil before the first
// successful load.
func (r *Reloader) State() *State { return r.current.Load() }

// Config is the running configuration, nil before the first load.
func (r *Reloader) Config() *config.Config {
	if st := r.current.Load(); st != nil {
		return st.Config
	}
	return nil
}

// Running is the running configuration and the prober compiled from it,
// read together.
func (r *Reloader) Running() (*config.Config, *probe.Prober) {
	st := r.current.Load()
	return st.Config, st.Prober
}

// LastFailure is the last reload that failed since the last one that
// worked, nil when the running configuration is the newest.
func (r *Reloader) LastFailure() *ReloadFailure { return r.failure.Load() }

// Reload loads and applies the configuration, and returns once a reload
// that started after the call has ended.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = &reloadRound{done: make(chan struct{})}
		if !r.running {
			r.running = true
			go r.loop()
		}
	}
	round := r.pending
	r.mu.Unlock()
	<-round.done
	return round.err
}

func (r *Reloader) loop() {
	for {
		r.mu.Lock()
		round := r.pending
		r.pending = nil
		if round == nil {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		round.err = r.reloadOnce()
		close(round.done)
	}
}

// Build compiles a configuration into a State without running it.
func Build(cfg *config.Config, userAgent string) (*State, error) {
	p, err := probe.NewProber(cfg, userAgent)
	if err != nil {
		return nil, err
	}
	return &State{Config: cfg, Prober: p, Loaded: time.Now()}, nil
}

func (r *Reloader) reloadOnce() error {
	cfg, err := r.load()
	var st *State
	if err == nil {
		st, err = Build(cfg, r.agent)
	}
	if err != nil {
		r.metrics.ConfigLoaded(false, time.Now())
		r.failure.Store(&ReloadFailure{Err: err, Time: time.Now()})
		if r.current.Load() == nil {
			r.logger.Error("Error loading config; the exporter did not start: fix the file (django_health_exporter --config.check says what is wrong)", "err", err)
		} else {
			r.logger.Error("Error loading config; keeping the running one", "err", err)
		}
		return err
	}
	r.apply(cfg, func() { r.current.Store(st) })
	r.failure.Store(nil)
	r.metrics.ConfigLoaded(true, st.Loaded)
	r.logger.Info("Loaded config", "modules", len(cfg.Modules), "targets", len(cfg.Targets), "heartbeats", len(cfg.Heartbeats))
	// Decoding a file of thousands of heartbeats leaves tens of MiB of
	// garbage that the runtime would give back to the system only slowly:
	// return it now (a reload is rare; this costs a few milliseconds).
	debug.FreeOSMemory()
	return nil
}

// Handler serves POST /-/reload.
func (r *Reloader) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
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
