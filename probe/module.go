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
	"sync"

	"github.com/django-health/django_health_exporter/config"
)

// module is a config.Module compiled for probing, once per configuration:
// its round tripper, the literals its body scan looks for, its checkers
// and its Django detector.
type module struct {
	cfg *config.Module
	rt  *moduleTransport
	// literals are matched while the body streams; checkers and the
	// detector hold their handles.
	literals literalSet
	checks   []checker
	django   *djangoDetector // nil when both detectors are off
	keepBody bool            // a regex or json check, static_assets or release needs the whole body
	// releaseRE reads django.release's regex within the probe's deadline.
	releaseRE *boundedRegexp
	accept    string // Accept header sent unless the module sets one
	// canaries keeps each site's debug canary answer for a minute.
	canaries canaryCache
	agent    string
	scanners sync.Pool
}

func newModule(mc *config.Module, userAgent string) (*module, error) {
	// One round tripper per module, keep-alives off: every probe opens a
	// new connection and measures connect and TLS, but the TLS settings,
	// CA pool and auth wrappers are built once, not once a probe.
	rt, err := newModuleTransport(mc.HTTP.HTTPClientConfig)
	if err != nil {
		return nil, err
	}
	m := &module{cfg: mc, rt: rt, agent: userAgent}
	if mc.Django.DetectDebug || mc.Django.DetectDisallowedHost {
		m.django = newDjangoDetector(m, mc.Django)
	}
	for _, c := range mc.Checks {
		m.checks = append(m.checks, compileCheck(m, c))
	}
	if mc.Django.StaticAssets != nil || mc.Django.Release != nil && mc.Django.Release.NeedsBody() {
		m.keepBody = true // the page's HTML, or the body the release is read from
	}
	if r := mc.Django.Release; r != nil && r.Regex != nil {
		m.releaseRE = newBoundedRegexp(r.Regex.Regexp)
	}
	if mc.Django.HealthCheck != config.HealthCheckNone {
		m.accept = healthAccept
	}
	return m, nil
}

// literal adds a string for the body scan to look for and returns its
// handle.
func (m *module) literal(s string) match { return m.literals.add(s) }

// scanner returns a scanner with the module's literals, reset.
func (m *module) scanner() *scanner {
	if s, ok := m.scanners.Get().(*scanner); ok {
		return s
	}
	return m.literals.scanner()
}

func (m *module) releaseScanner(s *scanner) {
	s.keep, s.limit, s.sizeHint, s.budget = 0, 0, 0, nil
	for _, l := range s.literals {
		l.off = false
	}
	m.scanners.Put(s)
}
