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

// write changes a heartbeat's record and returns once the change is on
// disk: a ping is acknowledged only then, and a write that failed (a full
// disk) is not kept, so the client's retry does not count twice.
//
// The change is made under the heartbeat's lock, on the latest record
// (with the writes still on their way to disk), and queued to the store
// in that order; the wait for the disk happens without the lock. Pings to
// one heartbeat (a liveness heartbeat every worker process pings) then
// reach the store together and are committed in one transaction, as pings
// to different heartbeats are. Readers see rec: what is on disk.
//
// A write that fails while later ones of the same heartbeat are already
// queued cannot be taken out of them: they are written with its change.
// The store commits what it has queued in one transaction, so they most
// often fail with it.
func (h *Heartbeats) write(hb *heartbeat, name string, message []byte, change func(*record) error) error {
	hb.mu.Lock()
	base := &hb.rec
	if hb.pending != nil {
		base = hb.pending
	}
	next := base.clone()
	if err := change(&next); err != nil {
		hb.mu.Unlock()
		return err
	}
	hb.noteTransitions(base, &next, h.now())
	b, err := encodeRecord(&next)
	if err != nil {
		hb.mu.Unlock()
		return err
	}
	hb.seq++
	seq := hb.seq
	hb.pending = &next
	done := h.store.Put(name, b, message)
	hb.mu.Unlock()

	err = <-done

	hb.mu.Lock()
	defer hb.mu.Unlock()
	if err == nil && seq > hb.committed {
		hb.rec, hb.committed = next, seq
	}
	if hb.seq == seq {
		hb.pending = nil // nothing queued after it: the next builds on rec
	}
	return err
}
