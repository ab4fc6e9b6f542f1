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
	"net"
	"strings"
)

// What a deploy leaves behind, read by a probe: whether the page's static
// files load (django.static_assets), and which release answered
// (django.release).

// StaticAssets makes the probe fetch the stylesheets, scripts, icons and
// images the page links, on the page's own host and on Hosts only.
type StaticAssets struct {
	// Max is how many assets a probe fetches at most (default 20).
	Max int `yaml:"max,omitempty"`
	// Hosts are other hosts (a CDN, a bucket) whose assets are fetched
	// too: host or host:port. allow_targets still applies.
	Hosts []string `yaml:"hosts,omitempty"`
}

// Bounds of static_assets.
const (
	DefaultStaticAssetsMax = 20
	MaxStaticAssets        = 100
	maxStaticAssetHosts    = 20
)

func (s *StaticAssets) normalize() {
	if s.Max == 0 {
		s.Max = DefaultStaticAssetsMax
	}
	for i, h := range s.Hosts {
		s.Hosts[i] = strings.ToLower(strings.TrimSpace(h))
	}
}

func (s *StaticAssets) validate(v *validator, path []any) {
	if s.Max < 1 || s.Max > MaxStaticAssets {
		v.errorf(at(path, "max"), "must be between 1 and %d", MaxStaticAssets)
	}
	if len(s.Hosts) > maxStaticAssetHosts {
		v.errorf(at(path, "hosts"), "%d hosts: at most %d", len(s.Hosts), maxStaticAssetHosts)
	}
	for i, h := range s.Hosts {
		if !validAssetHost(h) {
			v.errorf(at(path, "hosts", i), "%q: want a host or host:port (cdn.example.com, 10.0.0.5:8080), no scheme or path", h)
		}
	}
}

func validAssetHost(h string) bool {
	if h == "" || strings.ContainsAny(h, "/?#@ ") {
		return false
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		return host != "" && port != ""
	}
	return !strings.Contains(h, ":") || net.ParseIP(h) != nil
}

// AllowsHost reports whether an asset on host (host or host:port, lower
// case) is fetched: listed as it is, or by its name alone.
func (s *StaticAssets) AllowsHost(hostport string) bool {
	name := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		name = h
	}
	for _, h := range s.Hosts {
		if h == hostport || h == name {
			return true
		}
	}
	return false
}

// DjangoRelease reads the release that answered the probe: from a header,
// a JSON field of the body, or the first group of a regex on the body.
type DjangoRelease struct {
	Header string  `yaml:"header,omitempty"`
	JSON   string  `yaml:"json,omitempty"`
	Regex  *Regexp `yaml:"regex,omitempty"`

	segments []string
}

// Segments is JSON split into its keys.
func (r *DjangoRelease) Segments() []string { return r.segments }

// NeedsBody reports whether the release is read from the body.
func (r *DjangoRelease) NeedsBody() bool { return r.JSON != "" || r.Regex != nil }

func (r *DjangoRelease) validate(v *validator, path []any) {
	n := 0
	for _, set := range []bool{r.Header != "", r.JSON != "", r.Regex != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.errorf(path, "give one of header, json or regex")
	}
}

func (r *DjangoRelease) compile(v *validator, path []any) {
	if r.JSON != "" {
		r.segments = strings.Split(r.JSON, ".")
	}
	if r.Regex != nil {
		compileRegexp(v, at(path, "regex"), r.Regex)
		if r.Regex.Regexp != nil && r.Regex.NumSubexp() < 1 {
			v.errorf(at(path, "regex"), "%q has no group: the release is the first group's text, as in \"release ([0-9a-f]+)\"", r.Regex.original)
		}
	}
}
