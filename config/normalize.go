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
	"reflect"
	"strings"

	"github.com/django-health/django_health_exporter/internal/text"
)

// normalize fills in what the file left out, from the defaults
// (defaults.go) and from heartbeat_defaults, and writes values in one
// form (lower-case hashes and compressions, absolute paths). It reports
// nothing: validate says what is wrong with the result.
func (c *Config) normalize(dir string, builtins map[string]*Module) {
	if c.Modules == nil {
		c.Modules = map[string]*Module{}
	}
	for name, m := range c.Modules {
		if m == nil || reflect.ValueOf(*m).IsZero() {
			d := DefaultModule
			m = &d
			c.Modules[name] = m
		}
		m.normalize(dir)
	}
	// The modules of the embedded default (django, django_health_check,
	// watchman, django_admin) are there unless the file defines its own of
	// the same name: ?module= may be left out, and common modules need no
	// configuration.
	for name, m := range builtins {
		if _, ok := c.Modules[name]; !ok {
			c.Modules[name] = m
		}
	}
	if _, ok := c.Modules[DefaultModuleName]; !ok {
		d := DefaultModule
		c.Modules[DefaultModuleName] = &d
	}
	for _, h := range c.Heartbeats {
		if h != nil {
			h.inherit(&c.HeartbeatDefaults)
		}
	}
}

func (m *Module) normalize(dir string) {
	h := &m.HTTP
	if h.Method == "" {
		h.Method = DefaultHTTPProbe.Method
	}
	h.Compression = strings.ToLower(h.Compression)
	h.HTTPClientConfig.SetDirectory(dir)
	// common's Validate also normalises (bearer_token becomes an
	// authorization); its errors are reported by validate, on a copy.
	_ = h.HTTPClientConfig.Validate()
	if m.Django.HealthCheck == "" {
		m.Django.HealthCheck = DefaultDjangoProbe.HealthCheck
	}
	if m.Django.Login != nil {
		m.Django.Login.normalize()
	}
	if m.Django.StaticAssets != nil {
		m.Django.StaticAssets.normalize()
	}
	for _, c := range m.Checks {
		if c != nil {
			c.normalize()
		}
	}
}

// normalize gives a check of exactly one kind its type and, without a
// name, a readable one: "keyword:Acme Shop".
func (c *Check) normalize() {
	c.SHA256 = strings.ToLower(strings.TrimSpace(c.SHA256))
	if c.Severity == "" {
		c.Severity = SeverityCritical
	}
	kinds := c.kinds()
	if len(kinds) != 1 {
		return
	}
	c.kind = kinds[0].kind
	if c.Name == "" {
		c.Name = defaultCheckName(kinds[0].kind, kinds[0].detail)
	}
}

// checkKind is one kind field set on a check, with what names it.
type checkKind struct{ kind, detail string }

// kinds lists the kind fields set on a check: exactly one is valid.
func (c *Check) kinds() []checkKind {
	var out []checkKind
	add := func(kind string, set bool, detail func() string) {
		if set {
			out = append(out, checkKind{kind, detail()})
		}
	}
	add(CheckKeyword, c.Keyword != "", func() string { return c.Keyword })
	add(CheckForbidKeyword, c.ForbidKeyword != "", func() string { return c.ForbidKeyword })
	add(CheckRegex, c.Regex != nil, func() string { return c.Regex.original })
	add(CheckForbidRegex, c.ForbidRegex != nil, func() string { return c.ForbidRegex.original })
	add(CheckJSON, c.JSON != nil, func() string { return c.JSON.Path })
	add(CheckSHA256, c.SHA256 != "", func() string { return shortHash(c.SHA256) })
	add(CheckMaxLatency, c.MaxLatency != nil, func() string { return c.MaxLatency.String() })
	add(CheckMinCertValidity, c.MinCertValidity != nil, func() string { return c.MinCertValidity.String() })
	add(CheckHeader, c.Header != nil, func() string { return c.Header.Name })
	return out
}

// defaultCheckName gives a check without a name a readable one: "keyword:Acme Shop".
func defaultCheckName(kind, detail string) string {
	detail = strings.TrimSpace(detail)
	detail = text.Cut(detail, 40)
	if detail == "" {
		return kind
	}
	return kind + ":" + detail
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
