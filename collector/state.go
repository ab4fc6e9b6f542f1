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

// State is what a heartbeat is at a moment, for the status page and the
// API. Its severity (the order the status page lists heartbeats in) and
// its class (the colour) are defined here once.
type State string

// The states, worst first.
const (
	StateDown    State = "down"    // past its deadline, or running past max_runtime
	StateFailed  State = "failed"  // failure_threshold runs in a row failed
	StateLate    State = "late"    // due, within its grace
	StateRunning State = "running" // started, not yet ended
	StateNew     State = "new"     // never pinged, not yet due
	StatePaused  State = "paused"  // paused by the API or a maintenance window
	StateUp      State = "up"      // the last run succeeded and the next is not due
)

// States lists every state, worst first.
var States = []State{StateDown, StateFailed, StateLate, StateRunning, StateNew, StatePaused, StateUp}

// Severity orders states: 0 is the worst.
func (s State) Severity() int {
	for i, st := range States {
		if st == s {
			return i
		}
	}
	return len(States)
}
