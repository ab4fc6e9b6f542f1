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

import "time"

// HeartbeatView is one heartbeat as /api/v1/heartbeats and the status page
// show it. Times are zero when the event never happened.
type HeartbeatView struct {
	Name           string            `json:"name"`
	Labels         map[string]string `json:"labels,omitempty"`
	State          string            `json:"state"`
	StateClass     string            `json:"-"`
	Schedule       string            `json:"schedule,omitempty"`
	Timezone       string            `json:"timezone,omitempty"`
	Interval       float64           `json:"interval_seconds"`
	Grace          float64           `json:"grace_seconds"`
	MaxRuntime     float64           `json:"max_runtime_seconds,omitempty"`
	LastPing       time.Time         `json:"last_ping,omitzero"`
	LastPingKind   string            `json:"last_ping_kind,omitempty"`
	LastSuccess    time.Time         `json:"last_success,omitzero"`
	LastStart      time.Time         `json:"last_start,omitzero"`
	LastFailure    time.Time         `json:"last_failure,omitzero"`
	LastDuration   float64           `json:"last_duration_seconds"`
	LastExit       *int              `json:"last_exit_status,omitempty"`
	Expected       time.Time         `json:"expected"`
	Deadline       time.Time         `json:"deadline"`
	Running        int               `json:"running"`
	LastMessage    string            `json:"last_message"`
	AutoRegistered bool              `json:"auto_registered,omitempty"`
	Pings          map[string]uint64 `json:"pings"`
}
