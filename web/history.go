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
	"sort"
	"sync"

	"github.com/django-health/django_health_exporter/probe"
)

// History keeps the last probes for the status page and /logs. Failures
// have a ring of their own, so that a burst of successes does not push the
// failure somebody is looking for out of sight.
type History struct {
	mu     sync.Mutex
	recent ring
	failed ring
}

type ring struct {
	items []*probe.Result
	next  int
}

func (r *ring) add(res *probe.Result) {
	if len(r.items) < cap(r.items) {
		r.items = append(r.items, res)
		return
	}
	r.items[r.next] = res
	r.next = (r.next + 1) % len(r.items)
}

// NewHistory keeps the last n probes and the last n failed probes.
func NewHistory(n int) *History {
	if n < 1 {
		n = 1
	}
	return &History{recent: ring{items: make([]*probe.Result, 0, n)}, failed: ring{items: make([]*probe.Result, 0, n)}}
}

// Add records a finished probe.
func (h *History) Add(r *probe.Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recent.add(r)
	if !r.Success {
		h.failed.add(r)
	}
}

// List returns the kept probes, newest first.
func (h *History) List() []*probe.Result {
	h.mu.Lock()
	seen := make(map[uint64]bool, len(h.recent.items)+len(h.failed.items))
	out := make([]*probe.Result, 0, len(h.recent.items)+len(h.failed.items))
	for _, rg := range []*ring{&h.recent, &h.failed} {
		for _, r := range rg.items {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	h.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

// Get finds a kept probe by id.
func (h *History) Get(id uint64) *probe.Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, rg := range []*ring{&h.recent, &h.failed} {
		for _, r := range rg.items {
			if r.ID == id {
				return r
			}
		}
	}
	return nil
}
