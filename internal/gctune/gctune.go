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

// Package gctune sets the garbage collector's GOGC after every cycle from
// the live heap, so that the heap may grow by a fixed headroom or by the
// live heap, whichever is more.
//
// The exporter's two loads pull opposite ways. A probe allocates tens of
// kilobytes of TLS buffers while the live heap is a megabyte or two: with
// Go's default the collector runs every few dozen probes and costs more
// CPU than the probe's own work, so a small heap wants a high GOGC (400
// measured a fifth of the GC CPU of 100, make bench). Ten thousand
// heartbeats are a live heap of 20 MB or more, and 400 lets that heap
// grow to 100 MB: a large heap wants GOGC near 100. Go has no setting for
// "at least this much headroom", so this package keeps GOGC at
// headroom/live, between the two bounds.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Tuner holds the bounds; Start arms it.
type Tuner struct {
	Headroom   uint64 // bytes the heap may always grow by
	MinPercent int
	MaxPercent int

	current atomic.Int64
	stopped atomic.Bool
	sample  []metrics.Sample
}

// Start sets GOGC now and after every garbage collection. It returns a
// function that stops it.
func (t *Tuner) Start() func() {
	t.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t.tune()
	t.arm()
	return func() { t.stopped.Store(true) }
}

// Percent is the GOGC the tuner set last.
func (t *Tuner) Percent() int { return int(t.current.Load()) }

// cycle is garbage the collector finds at the end of each cycle: its
// finalizer tunes and makes the next one.
type cycle struct{ t *Tuner }

func (t *Tuner) arm() {
	c := &cycle{t: t}
	runtime.SetFinalizer(c, func(c *cycle) {
		if c.t.stopped.Load() {
			return
		}
		c.t.tune()
		c.t.arm()
	})
}

func (t *Tuner) tune() {
	metrics.Read(t.sample)
	live := uint64(0)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	pct := t.MaxPercent
	if live > 0 {
		pct = int(t.Headroom * 100 / live)
	}
	pct = max(t.MinPercent, min(t.MaxPercent, pct))
	if int64(pct) != t.current.Load() {
		t.current.Store(int64(pct))
		debug.SetGCPercent(pct)
	}
}
