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

// DefaultHistoryBytes bounds what the history holds, whatever the targets
// answer.
const DefaultHistoryBytes = 16 << 20

// History keeps the last probes for the status page and /logs, as bounded
// copies (probe.Result.Compact) within a byte budget. Failures have a list
// of their own, so that a burst of successes does not push the failure
// somebody is looking for out of sight, and the last failure of each
// target is kept besides (pinned), so that an alert's link to it still
// works after the target recovered and others failed; when the budget is
// spent the oldest successes go first, then the oldest failures, then the
// oldest pins.
type History struct {
	mu     sync.Mutex
	limit  int // results in each list
	budget int // bytes in all
	bytes  int
	recent []uint64 // oldest first
	failed []uint64
	// pins are the last failure of each target (by stateKey), at most
	// maxPins of them.
	pins map[string]uint64
	byID map[uint64]*kept
}

// maxPins bounds the targets whose last failure is pinned: ad-hoc
// targets are any URL somebody asks for.
const maxPins = 1000

type kept struct {
	res  *probe.Result
	size int
	refs int
}

// NewHistory keeps the last n probes and the last n failed probes, in at
// most budget bytes (DefaultHistoryBytes when 0).
func NewHistory(n, budget int) *History {
	if n < 1 {
		n = 1
	}
	if budget <= 0 {
		budget = DefaultHistoryBytes
	}
	return &History{limit: n, budget: budget, byID: map[uint64]*kept{}, pins: map[string]uint64{}}
}

// Add keeps a bounded copy of a finished probe.
func (h *History) Add(r *probe.Result) {
	c := r.Compact()
	k := &kept{res: c, size: c.Size()}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byID[c.ID] = k
	h.bytes += k.size
	h.recent = h.push(h.recent, k, c.ID)
	if !c.Success {
		h.failed = h.push(h.failed, k, c.ID)
		h.pin(stateKey(c.Target, c.Module, c.Hostname), k, c.ID)
	}
	for h.bytes > h.budget && len(h.byID) > 1 {
		switch {
		case len(h.recent) > 1:
			h.recent = h.drop(h.recent)
		case len(h.failed) > 0:
			h.failed = h.drop(h.failed)
		default:
			h.unpinOldest()
		}
	}
}

// pin keeps a failure as its target's last, in place of the one before.
func (h *History) pin(key string, k *kept, id uint64) {
	if old, ok := h.pins[key]; ok {
		h.release(old)
	} else if len(h.pins) >= maxPins {
		h.unpinOldest()
	}
	k.refs++
	h.pins[key] = id
}

// unpinOldest lets go of the oldest pinned failure.
func (h *History) unpinOldest() {
	oldestKey, oldest := "", uint64(0)
	for key, id := range h.pins {
		if oldestKey == "" || id < oldest {
			oldestKey, oldest = key, id
		}
	}
	if oldestKey == "" {
		return
	}
	delete(h.pins, oldestKey)
	h.release(oldest)
}

// release drops a reference to a kept result, and the result when it was
// the last.
func (h *History) release(id uint64) {
	if k := h.byID[id]; k != nil {
		if k.refs--; k.refs <= 0 {
			delete(h.byID, id)
			h.bytes -= k.size
		}
	}
}

// push appends an id to a list, dropping the oldest past the limit.
func (h *History) push(list []uint64, k *kept, id uint64) []uint64 {
	k.refs++
	list = append(list, id)
	if len(list) > h.limit {
		list = h.drop(list)
	}
	return list
}

// drop removes the oldest id of a list, and the result when no list
// holds it any more.
func (h *History) drop(list []uint64) []uint64 {
	if len(list) == 0 {
		return list
	}
	h.release(list[0])
	return append(list[:0:0], list[1:]...)
}

// Bytes is what the kept results hold, by the history's estimate.
func (h *History) Bytes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bytes
}

// List returns the kept probes, newest first.
func (h *History) List() []*probe.Result {
	h.mu.Lock()
	out := make([]*probe.Result, 0, len(h.byID))
	for _, k := range h.byID {
		out = append(out, k.res)
	}
	h.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

// Get finds a kept probe by id.
func (h *History) Get(id uint64) *probe.Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	if k := h.byID[id]; k != nil {
		return k.res
	}
	return nil
}
