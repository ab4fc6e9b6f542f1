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
	"slices"
	"sync"
	"time"

	"github.com/django-health/django_health_exporter/internal/text"
)

// The names whose pings were refused as unknown: a typo in a cron line or
// a job nobody configured. The status page lists them with the closest
// configured name, so that HeartbeatPingsRejected leads somewhere.

// maxRefusedNames bounds the names kept; the least recently seen goes.
const maxRefusedNames = 100

// RefusedName is a name whose pings were refused as unknown.
type RefusedName struct {
	Name     string
	Count    int
	LastSeen time.Time
	// Closest is the configured or registered name it is closest to, ""
	// when none is near.
	Closest string
}

type refusedNames struct {
	mu     sync.Mutex
	byName map[string]*RefusedName
}

func (r *refusedNames) note(name, closest string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byName == nil {
		r.byName = map[string]*RefusedName{}
	}
	n, ok := r.byName[name]
	if !ok {
		if len(r.byName) >= maxRefusedNames {
			var oldest *RefusedName
			for _, x := range r.byName {
				if oldest == nil || x.LastSeen.Before(oldest.LastSeen) {
					oldest = x
				}
			}
			delete(r.byName, oldest.Name)
		}
		n = &RefusedName{Name: name}
		r.byName[name] = n
	}
	n.Count++
	n.LastSeen, n.Closest = now, closest
}

// RefusedNames are the names refused as unknown, the last seen first.
func (h *Heartbeats) RefusedNames() []RefusedName {
	h.refused.mu.Lock()
	out := make([]RefusedName, 0, len(h.refused.byName))
	for _, n := range h.refused.byName {
		out = append(out, *n)
	}
	h.refused.mu.Unlock()
	slices.SortFunc(out, func(a, b RefusedName) int { return b.LastSeen.Compare(a.LastSeen) })
	return out
}

// closestName is the heartbeat name nearest to an unknown one (within
// three edits), "" for none.
func (h *Heartbeats) closestName(name string) string {
	h.mu.RLock()
	names := make([]string, 0, len(h.byName))
	for n := range h.byName {
		names = append(names, n)
	}
	h.mu.RUnlock()
	slices.Sort(names)
	if near := text.Closest(name, names, 3); len(near) > 0 {
		return near[0]
	}
	return ""
}
