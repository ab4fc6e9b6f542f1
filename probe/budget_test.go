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
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// A probe whose kept copy does not fit the budget stops copying and
// fails with reason refused; a probe that cannot get its share is
// refused with 503; every byte taken is given back.
func TestMemoryBudget(t *testing.T) {
	big := staticServer(t, http.StatusOK, "text/html", strings.Repeat("x", 4<<20)+" Acme Shop")
	small := staticServer(t, http.StatusOK, "text/html", "Acme Shop")
	cfg := mustConfig(t, `
modules:
  shop:
    checks: [{name: brand, regex: "Acme Shop"}]
`)
	h := newHarness(t, cfg)
	h.handler.Budget = NewBudget(1 << 20)

	s := h.probeURL(t, big.URL, "shop")
	s.want(t, map[string]float64{"probe_success": 0, `probe_failed_due_to{reason=refused}`: 1})
	if h.handler.Budget.InUse() != 0 {
		t.Errorf("%d bytes still held after the probe", h.handler.Budget.InUse())
	}
	// A page that fits is probed as ever.
	h.probeURL(t, small.URL, "shop").want(t, map[string]float64{"probe_success": 1})

	// No room for a probe's share: 503, counted.
	full := NewBudget(ProbeShare - 1)
	h.handler.Budget = full
	if s := h.probeURL(t, small.URL, "shop"); s.code != http.StatusServiceUnavailable || !strings.Contains(s.body, "memory-budget") {
		t.Errorf("no room: %d %s", s.code, s.body)
	}
	if h.obs.refused[RefusedMemory] != 1 {
		t.Errorf("refusals: %v", h.obs.refused)
	}

	// Many at once never hold more than the budget, and give it all back.
	h.handler.Budget = NewBudget(8 << 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { h.probeURL(t, big.URL, "shop") })
	}
	wg.Wait()
	if h.handler.Budget.InUse() != 0 {
		t.Errorf("%d bytes still held after 20 probes", h.handler.Budget.InUse())
	}
	reliability.Record(t, "probe", "kept bodies larger than --probe.memory-budget, and probes past it", "the copy stops, the probe fails with reason refused; no share left: 503; every byte given back")
}
