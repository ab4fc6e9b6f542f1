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

package config

import (
	"time"

	"github.com/prometheus/common/model"
)

// Registration is a heartbeat registered through the API
// (PUT /api/v1/heartbeats/{name}), by the Celery helper for each entry of
// the beat schedule and for each worker: the keys of a heartbeat in the
// file that a program can know.
type Registration struct {
	Interval   model.Duration    `json:"interval,omitempty"`
	Schedule   CronList          `json:"schedule,omitempty"`
	Timezone   string            `json:"timezone,omitempty"`
	Grace      *model.Duration   `json:"grace,omitempty"`
	MaxRuntime model.Duration    `json:"max_runtime,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	// Exclusive: as in the file (the helper sets it for beat entries).
	Exclusive *bool `json:"exclusive,omitempty"`
	// ExpireAfter removes this heartbeat once it has been silent so long,
	// whatever heartbeat_defaults.expire_after says: the helper sets it
	// for the heartbeat of each worker, so that workers killed without a
	// goodbye (OOM, kill -9, a node lost) do not stay for ever.
	ExpireAfter model.Duration `json:"expire_after,omitempty"`
	// FailureThreshold: as in the file (the Celery integration sets it
	// from a beat entry's options); 0 takes the defaults'.
	FailureThreshold int `json:"failure_threshold,omitempty"`
	// Release is the release the registering process runs: not a key of
	// the heartbeat, it is kept with its record (heartbeat_release_info).
	Release string `json:"release,omitempty"`
}

// RegisteredHeartbeat is the heartbeat a registration makes, with the
// defaults for what it leaves out, checked by the rules of the file. The
// error lists every problem, each with its key.
func (c *Config) RegisteredHeartbeat(name string, r Registration) (*Heartbeat, error) {
	h := &Heartbeat{
		Name: name, Interval: r.Interval, Schedule: r.Schedule, Timezone: r.Timezone,
		Grace: r.Grace, MaxRuntime: r.MaxRuntime, Labels: r.Labels, Exclusive: r.Exclusive,
		FailureThreshold: r.FailureThreshold,
	}
	h.inherit(&c.HeartbeatDefaults)
	h.expireAfter = time.Duration(r.ExpireAfter)
	v := &validator{}
	if r.ExpireAfter < 0 {
		v.errorf([]any{"expire_after"}, "must not be negative (0: heartbeat_defaults.expire_after)")
	}
	boundDurations(v, nil, map[string]model.Duration{"expire_after": r.ExpireAfter})
	if !ValidRelease(r.Release) {
		v.errorf([]any{"release"}, "%s", ReleaseRule)
	}
	if !ValidHeartbeatName(name) {
		v.errorf([]any{"name"}, "invalid heartbeat name %q: %s", name, HeartbeatNameRule)
	}
	h.validate(v, nil)
	h.compile(v, nil, &c.HeartbeatDefaults)
	if err := v.problems.err(); err != nil {
		return nil, err
	}
	return h, nil
}
