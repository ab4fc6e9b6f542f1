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
	"sync"
	"time"
)

// (a flood of made-up names cannot grow it).
type limiter struct {
	mu     sync.Mutex
	every  time.Duration
	size   int
	last   map[string]time.Time
	missed map[string]int
}

func newLimiter(every time.Duration, size int) *limiter {
	return &limiter{every: every, size: size, last: map[string]time.Time{}, missed: map[string]int{}}
}

// allow reports whether an event for key may be logged now, and how many
// were held back since the last one that was.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.every {
		l.missed[key]++
		return false, 0
	}
	if _, ok := l.last[key]; !ok && len(l.last) >= l.size {
		for k, t := range l.last {
			if now.Sub(t) >= l.every {
				delete(l.last, k)
				delete(l.missed, k)
			}
		}
		if len(l.last) >= l.size {
			return false, 0
		}
	}
	l.last[key] = now
	n := l.missed[key]
	delete(l.missed, key)
	return true, n
}
