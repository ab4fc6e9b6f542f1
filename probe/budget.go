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

import "sync/atomic"

// Budget bounds the memory the probes in flight may hold at once: the
// copies of bodies kept for regexes, JSON and health checks, and a fixed
// share for each probe's buffers (ProbeShare). 200 concurrent probes of
// 30 MB bodies once held 2 GB; with a budget they hold at most its size.
// What does not fit is refused, never queued: a /probe request that
// cannot get its share is answered 503 (probe_refused_total{reason=
// "memory"}), and a probe whose copy cannot grow stops copying and fails
// with reason "refused". A nil Budget is no limit.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// ProbeShare is what each probe holds besides its copy: the chunk the
// body is read in, TLS and HTTP buffers.
const ProbeShare = 64 << 10

// NewBudget makes a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Limit is the budget's size.
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// InUse is what the probes in flight hold now.
func (b *Budget) InUse() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// take reserves n bytes, or reports that they do not fit.
func (b *Budget) take(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *Budget) give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}
