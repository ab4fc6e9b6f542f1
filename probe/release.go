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

import (
	"strings"

	"github.com/django-health/django_health_exporter/config"
)

// readRelease reads which release answered (django.release): a header, a
// JSON field or a regex's first group. A value that cannot be a label
// (over 128 bytes, control characters) is logged and not exported; a
// release that cannot be read fails nothing: the probe says so.
func (m *module) readRelease(a *answer, r *Result, log *probeLog) {
	rc := m.cfg.Django.Release
	var release, why string
	switch {
	case rc.Header != "":
		release = strings.TrimSpace(a.header.Get(rc.Header))
		if release == "" {
			why = "no " + rc.Header + " header"
		}
	case rc.JSON != "":
		v, err := a.json()
		if err != nil {
			why = "body is not JSON: " + err.Error()
			break
		}
		v, why = jsonAt(v, rc.Segments())
		if why == "" {
			release = strings.TrimSpace(jsonText(v))
		}
	case m.releaseRE != nil:
		if !a.scan.copied {
			why = "the body was not kept whole"
			break
		}
		loc, err := m.releaseRE.find(a.ctx, a.scan.copy)
		if err != nil || loc == nil {
			why = "the regex did not match"
			break
		}
		if sub := m.releaseRE.FindSubmatch(a.scan.copy[loc[0]:loc[1]]); len(sub) > 1 {
			release = strings.TrimSpace(string(sub[1]))
		}
	}
	switch {
	case why != "":
		log.Warn("Release not read", "why", why)
	case !config.ValidRelease(release):
		log.Warn("Release not exported: it cannot be a label value", "rule", config.ReleaseRule)
	case release != "":
		r.Release = release
		log.Info("Release", "release", release)
	}
}
