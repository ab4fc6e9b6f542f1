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
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/config"
)

// The store's format belongs to this package: a record, and the
// registration it keeps, are types of their own, never a config type, so
// that renaming or retyping a key of the file cannot silently drop or
// misread what older releases stored. testdata/store-0.3.0 is a store
// written by release 0.3.0; TestStoreOfRelease030Loads reads it.

// recordFormat is the format of the records this release writes. Records
// without one (0) were written by 0.3.0 or earlier, in the same layout.
// A change of layout that an older release could not read bumps it, and
// decodeRecord converts what came before.
const recordFormat = 1

// lastStorableTime is the latest time a stored pause may end: 2200, far
// enough from Go's limit in 2262 for a deadline to be added to it.
var lastStorableTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// encodeRecord is a record as the store keeps it.
func encodeRecord(r *record) ([]byte, error) {
	r.Format = recordFormat
	return json.Marshal(r)
}

// decodeRecord reads a stored record, refusing one written by a newer
// release rather than misreading it.
func decodeRecord(b []byte, r *record) error {
	if err := json.Unmarshal(b, r); err != nil {
		return err
	}
	if r.Format > recordFormat {
		return fmt.Errorf("record format %d was written by a newer release; this one reads up to %d", r.Format, recordFormat)
	}
	r.upgrade()
	// Releases before the API bounded pauses stored ones until 9999, past
	// what Go's clock can add a deadline to: such a pause ends MaxPause
	// after it began. Long pauses that fit (until 2030) stay as stored.
	if p := r.Pause; p != nil && p.Until.After(lastStorableTime) {
		p.Until = p.Since.Add(config.MaxPause)
	}
	return nil
}

// storedRegistration is what a registration (PUT /api/v1/heartbeats/NAME)
// is kept as: the API's JSON keys, in types of this package's own.
type storedRegistration struct {
	Interval    model.Duration    `json:"interval,omitempty"`
	Schedule    []string          `json:"schedule,omitempty"`
	Timezone    string            `json:"timezone,omitempty"`
	Grace       *model.Duration   `json:"grace,omitempty"`
	MaxRuntime  model.Duration    `json:"max_runtime,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Exclusive   *bool             `json:"exclusive,omitempty"`
	ExpireAfter model.Duration    `json:"expire_after,omitempty"`
	// FailureThreshold: 0 takes the defaults'.
	FailureThreshold int `json:"failure_threshold,omitempty"`
}

func storeRegistration(r config.Registration) *storedRegistration {
	return &storedRegistration{
		Interval: r.Interval, Schedule: r.Schedule, Timezone: r.Timezone, Grace: r.Grace,
		MaxRuntime: r.MaxRuntime, Labels: r.Labels, Exclusive: r.Exclusive, ExpireAfter: r.ExpireAfter,
		FailureThreshold: r.FailureThreshold,
	}
}

// registration is the stored registration as the configuration checks it.
func (s *storedRegistration) registration() config.Registration {
	return config.Registration{
		Interval: s.Interval, Schedule: s.Schedule, Timezone: s.Timezone, Grace: s.Grace,
		MaxRuntime: s.MaxRuntime, Labels: s.Labels, Exclusive: s.Exclusive, ExpireAfter: s.ExpireAfter,
		FailureThreshold: s.FailureThreshold,
	}
}
