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
	"maps"
	"slices"
	"time"
)

// sources are who sent pings, with when each was last heard from: a few
// at most, so a slice (a record of a fleet's 100,000 has one each, where
// a map cost 400 bytes), stored as a JSON object as the map was.
type sources []sourceSeen

type sourceSeen struct {
	Name string
	At   time.Time
}

// set notes name at t, forgetting the least recently heard past limit.
func (s sources) set(name string, t time.Time, limit int) sources {
	if i := slices.IndexFunc(s, func(x sourceSeen) bool { return x.Name == name }); i >= 0 {
		s[i].At = t
		return s
	}
	s = append(s, sourceSeen{name, t})
	for len(s) > limit {
		oldest := 0
		for i := range s {
			if s[i].At.Before(s[oldest].At) {
				oldest = i
			}
		}
		s = slices.Delete(s, oldest, oldest+1)
	}
	return s
}

// Map is the sources by name, for the API.
func (s sources) Map() map[string]time.Time {
	if len(s) == 0 {
		return nil
	}
	m := make(map[string]time.Time, len(s))
	for _, x := range s {
		m[x.Name] = x.At
	}
	return m
}

func (s sources) MarshalJSON() ([]byte, error) { return json.Marshal(s.Map()) }

func (s *sources) UnmarshalJSON(b []byte) error {
	var m map[string]time.Time
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = (*s)[:0]
	for _, name := range slices.Sorted(maps.Keys(m)) {
		*s = append(*s, sourceSeen{name, m[name]})
	}
	if len(*s) == 0 {
		*s = nil
	}
	return nil
}
