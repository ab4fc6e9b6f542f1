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
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// One holder: the heartbeats switch to a configuration and it is
// published in one step. Each reload adds a heartbeat (hb-1, hb-2, ...),
// so configurations only grow: a ping that a heartbeat of generation k
// answered 200 must find hb-k in the published configuration read after
// it. When the heartbeats switched before the State was published (the
// three holders this replaced), a ping to the newest heartbeat passed
// while /config, /sd and the probes still ran the generation before.
func TestReloadSwitchesHeartbeatsAndConfigInOneStep(t *testing.T) {
	var gen atomic.Int64
	s := newServer(t, func() (*config.Config, error) {
		n := gen.Add(1)
		var b strings.Builder
		b.WriteString("heartbeats:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: hb-%d, interval: 1h}\n", i+1)
		}
		return config.Load([]byte(b.String()))
	})
	// The exporter's wiring (main.go), with a publish that takes its time:
	// whatever happens during it must not show the new heartbeats with
	// the old configuration.
	s.reloader.OnReload(func(cfg *config.Config, publish func()) {
		s.hbs.Apply(cfg, func() { time.Sleep(2 * time.Millisecond); publish() })
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			_ = s.reloader.Reload()
		}
	})
	var answered, mismatched atomic.Int64
	for range 2 {
		wg.Go(func() {
			for range 2000 {
				k := gen.Load()
				name := fmt.Sprintf("hb-%d", k)
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/heartbeat/"+name, nil))
				if rec.Code != 200 {
					continue
				}
				answered.Add(1)
				if !slices.ContainsFunc(s.reloader.Config().Heartbeats, func(h *config.Heartbeat) bool { return h.Name == name }) {
					mismatched.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if answered.Load() == 0 {
		t.Fatal("no ping was answered: the test saw nothing")
	}
	if n := mismatched.Load(); n > 0 {
		t.Errorf("%d of %d pings were accepted by a heartbeat the published configuration did not have yet", n, answered.Load())
	}
}
