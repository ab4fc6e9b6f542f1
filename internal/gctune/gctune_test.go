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

package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var keep [][]byte

// A small live heap gets the high GOGC, a large one the low, and the
// tuner follows the heap as it grows and shrinks.
func TestTunerFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tu := &Tuner{Headroom: 16 << 20, MinPercent: 100, MaxPercent: 400}
	stop := tu.Start()
	defer stop()
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond) // the finalizer runs after the cycle
			if tu.Percent() == want {
				return
			}
		}
		t.Fatalf("GOGC %d, want %d", tu.Percent(), want)
	}
	waitFor(400) // the test's heap is a few MiB
	for range 64 {
		keep = append(keep, make([]byte, 1<<20))
	}
	waitFor(100) // 64 MiB live: grow by the live heap, not 4 times it
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("the runtime's GOGC is %d", got)
	}
	keep = nil
	waitFor(400)
}
