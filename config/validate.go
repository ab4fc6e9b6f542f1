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
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/units"
	pconfig "github.com/prometheus/common/config"
	"golang.org/x/net/http/httpguts"
)

// MaxBodyLimit caps heartbeat_defaults.body_limit and a heartbeat's
// body_limit: the last message is kept on disk for every heartbeat.
const MaxBodyLimit = Size(units.MiB)

var (
	labelNameRE     = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	heartbeatNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	targetNameRE    = regexp.MustCompile(`^[^\s/?#]+$`)
)

// reservedHeartbeatLabels are set by the exporter itself.
var reservedHeartbeatLabels = map[string]bool{"heartbeat": true, "kind": true, "reason": true, "instance": true, "job": true}

func (c *Config) validate(v *validator) {
	if c.Modules == nil {
		c.Modules = map[string]*Module{}
	}
	names := sortedKeys(c.Modules)
	for _, name := range names {
		m := c.Modules[name]
		if m == nil || reflect.ValueOf(*m).IsZero() {
			d := DefaultModule
			m = &d
			c.Modules[name] = m
		}
		m.HTTP.HTTPClientConfig.SetDirectory(v.dir)
		m.validate(v, []any{"modules", name})
	}
	// The modules of the embedded default (django, django_health_check,
	// watchman, django_admin) are there unless the file defines its own of
	// the same name: ?module= may be left out, and common modules need no
	// configuration.
	for name, m := range v.builtins {
		if _, ok := c.Modules[name]; !ok {
			c.Modules[name] = m
		}
	}
	if _, ok := c.Modules[DefaultModuleName]; !ok {
		d := DefaultModule
		c.Modules[DefaultModuleName] = &d
	}

	c.validateTargets(v)

	allow, problems := NewAllowList(c.AllowTargets)
	for i, p := range problems {
		if p != "" {
			v.errorf([]any{"allow_targets", i}, "%s", p)
		}
	}
	c.allow = allow

	c.HeartbeatDefaults.validate(v, []any{"heartbeat_defaults"})
	c.validateHeartbeats(v)
}

func (m *Module) validate(v *validator, path []any) {
	if m.Timeout <= 0 {
		v.errorf(at(path, "timeout"), "must be greater than 0")
	}
	m.HTTP.validate(v, at(path, "http"))
	seen := map[string]int{}
	for i, c := range m.Checks {
		p := at(path, "checks", i)
		if c == nil {
			v.errorf(p, "empty check: give it one of keyword, forbid_keyword, regex, forbid_regex, json, sha256, max_latency, min_cert_validity, header")
			continue
		}
		c.validate(v, p)
		if c.Name == "" {
			continue
		}
		if j, dup := seen[c.Name]; dup {
			v.errorf(at(p, "name"), "check name %q is already used by checks[%d]; names must be unique within a module", c.Name, j)
		}
		seen[c.Name] = i
	}
	switch m.Django.HealthCheck {
	case HealthCheckAuto, HealthCheckDHC, HealthCheckWatchman, HealthCheckNone:
	case "":
		m.Django.HealthCheck = HealthCheckAuto
	default:
		v.errorf(at(path, "django", "health_check"), "unknown value %q: want auto, django-health-check, watchman or none", m.Django.HealthCheck)
	}
}

func (h *HTTPProbe) validate(v *validator, path []any) {
	if h.Method == "" {
		h.Method = http.MethodGet
	}
	if !httpguts.ValidHeaderFieldName(h.Method) {
		v.errorf(at(path, "method"), "invalid HTTP method %q", h.Method)
	}
	for _, k := range sortedKeys(h.Headers) {
		if !httpguts.ValidHeaderFieldName(k) {
			v.errorf(at(path, "headers", k), "invalid header name %q", k)
		} else if !httpguts.ValidHeaderFieldValue(h.Headers[k]) {
			v.errorf(at(path, "headers", k), "invalid header value")
		}
	}
	for i, code := range h.ValidStatusCodes {
		if code < 100 || code > 599 {
			v.errorf(at(path, "valid_status_codes", i), "%d is not an HTTP status code", code)
		}
	}
	switch strings.ToLower(h.Compression) {
	case "", "identity", "gzip", "deflate":
		h.Compression = strings.ToLower(h.Compression)
	default:
		v.errorf(at(path, "compression"), "unsupported compression %q: want gzip, deflate or identity", h.Compression)
	}
	if err := h.HTTPClientConfig.Validate(); err != nil {
		v.errorf(path, "%v", err)
	}
	// Secret references need a secret manager, which a file-configured
	// exporter does not have: say so at load time.
	hc := &h.HTTPClientConfig
	refs := []struct {
		set  bool
		path []any
	}{
		{hc.BasicAuth != nil && (hc.BasicAuth.UsernameRef != "" || hc.BasicAuth.PasswordRef != ""), at(path, "basic_auth")},
		{hc.Authorization != nil && hc.Authorization.CredentialsRef != "", at(path, "authorization", "credentials_ref")},
		{hc.OAuth2 != nil && (hc.OAuth2.ClientSecretRef != "" || hc.OAuth2.ClientCertificateKeyRef != ""), at(path, "oauth2")},
		{hc.TLSConfig.CARef != "" || hc.TLSConfig.CertRef != "" || hc.TLSConfig.KeyRef != "", at(path, "tls_config")},
	}
	for _, r := range refs {
		if r.set {
			v.errorf(r.path, "secret references (*_ref) are not supported: use the secret inline or from a file (*_file)")
		}
	}
}

func (c *Check) validate(v *validator, path []any) {
	c.SHA256 = strings.ToLower(strings.TrimSpace(c.SHA256))
	var kinds []string
	var detail string
	set := func(kind string, isSet bool, d string) {
		if isSet {
			kinds = append(kinds, kind)
			detail = d
		}
	}
	set(CheckKeyword, c.Keyword != "", c.Keyword)
	set(CheckForbidKeyword, c.ForbidKeyword != "", c.ForbidKeyword)
	set(CheckRegex, c.Regex != nil, regexSource(c.Regex))
	set(CheckForbidRegex, c.ForbidRegex != nil, regexSource(c.ForbidRegex))
	set(CheckJSON, c.JSON != nil, jsonDetail(c.JSON))
	set(CheckSHA256, c.SHA256 != "", shortHash(c.SHA256))
	set(CheckMaxLatency, c.MaxLatency != nil, durationString(c.MaxLatency))
	set(CheckMinCertValidity, c.MinCertValidity != nil, durationString(c.MinCertValidity))
	set(CheckHeader, c.Header != nil, headerName(c.Header))
	switch len(kinds) {
	case 0:
		v.errorf(path, "check has no kind: give it one of keyword, forbid_keyword, regex, forbid_regex, json, sha256, max_latency, min_cert_validity, header")
		return
	case 1:
		c.kind = kinds[0]
	default:
		v.errorf(path, "check has several kinds (%s): write one check per kind", strings.Join(kinds, ", "))
		return
	}
	if c.Name == "" {
		c.Name = defaultCheckName(c.kind, detail)
	}
	kp := at(path, c.kind)
	switch c.kind {
	case CheckRegex:
		compileRegexp(v, kp, c.Regex)
	case CheckForbidRegex:
		compileRegexp(v, kp, c.ForbidRegex)
	case CheckJSON:
		j := c.JSON
		if strings.TrimSpace(j.Path) == "" {
			v.errorf(at(kp, "path"), "a json check needs a path, such as status or checks.0.status")
		} else {
			j.segments = strings.Split(j.Path, ".")
			for _, s := range j.segments {
				if s == "" {
					v.errorf(at(kp, "path"), "empty key in path %q", j.Path)
					break
				}
			}
		}
		if j.Equals != nil && j.Matches != nil {
			v.errorf(kp, "give equals or matches, not both")
		}
		if j.Matches != nil {
			compileRegexp(v, at(kp, "matches"), j.Matches)
		}
	case CheckSHA256:
		if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
			v.errorf(kp, "want the 64 hex digits of a SHA-256 (sha256sum prints them)")
		}
	case CheckMaxLatency:
		if *c.MaxLatency <= 0 {
			v.errorf(kp, "must be greater than 0")
		}
	case CheckMinCertValidity:
		if *c.MinCertValidity <= 0 {
			v.errorf(kp, "must be greater than 0")
		}
	case CheckHeader:
		if !httpguts.ValidHeaderFieldName(c.Header.Name) {
			v.errorf(at(kp, "name"), "invalid or missing header name %q", c.Header.Name)
		}
		if c.Header.Regex != nil {
			compileRegexp(v, at(kp, "regex"), c.Header.Regex)
		}
	}
}

func compileRegexp(v *validator, path []any, r *Regexp) {
	re, err := regexp.Compile(r.original)
	if err != nil {
		v.errorf(path, "invalid regular expression %q: %v", r.original, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return
	}
	r.Regexp = re
}

func (c *Config) validateTargets(v *validator) {
	c.targetIndex = map[string]*Target{}
	for i, t := range c.Targets {
		p := []any{"targets", i}
		if t == nil {
			v.errorf(p, "empty target: give it a name and a url")
			continue
		}
		if !targetNameRE.MatchString(t.Name) {
			v.errorf(at(p, "name"), "a target needs a name without spaces, '/', '?' or '#'")
		} else if _, dup := c.targetIndex[t.Name]; dup {
			v.errorf(at(p, "name"), "target name %q is used twice", t.Name)
		}
		u, err := url.Parse(t.URL)
		switch {
		case t.URL == "":
			v.errorf(at(p, "url"), "a target needs a url")
		case err != nil:
			v.errorf(at(p, "url"), "invalid URL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			v.errorf(at(p, "url"), "URL %q must start with http:// or https://", t.URL)
		case u.Host == "":
			v.errorf(at(p, "url"), "URL %q has no host", t.URL)
		}
		if _, ok := c.Modules[t.ModuleName()]; !ok {
			v.errorf(at(p, "module"), "unknown module %q (known: %s)", t.Module, strings.Join(sortedKeys(c.Modules), ", "))
		}
		validateLabels(v, at(p, "labels"), t.Labels, nil)
		c.targetIndex[t.Name] = t
		if _, taken := c.targetIndex[t.URL]; !taken && t.URL != "" {
			c.targetIndex[t.URL] = t
		}
	}
}

func validateLabels(v *validator, path []any, labels map[string]string, reserved map[string]bool) {
	for _, k := range sortedKeys(labels) {
		switch {
		case !labelNameRE.MatchString(k):
			v.errorf(at(path, k), "invalid label name %q", k)
		case strings.HasPrefix(k, "__"):
			v.errorf(at(path, k), "label names starting with __ are reserved")
		case reserved[k]:
			v.errorf(at(path, k), "label %q is set by the exporter", k)
		}
	}
}

func (h *HeartbeatDefaults) validate(v *validator, path []any) {
	if h.Grace < 0 {
		v.errorf(at(path, "grace"), "must not be negative")
	}
	if h.BodyLimit <= 0 || h.BodyLimit > MaxBodyLimit {
		v.errorf(at(path, "body_limit"), "must be between 1 byte and %s", units.Base2Bytes(MaxBodyLimit))
	}
	if h.MaxHeartbeats <= 0 {
		v.errorf(at(path, "max_heartbeats"), "must be at least 1")
	}
	if h.Interval <= 0 {
		v.errorf(at(path, "interval"), "must be greater than 0")
	}
	h.token = readToken(v, path, string(h.Token), h.TokenFile)
}

func readToken(v *validator, path []any, inline, file string) string {
	switch {
	case inline != "" && file != "":
		v.errorf(at(path, "token_file"), "give token or token_file, not both")
	case file != "":
		file = pconfig.JoinDir(v.dir, file)
		b, err := os.ReadFile(file)
		if err != nil {
			v.errorf(at(path, "token_file"), "cannot read token file: %v", err)
			return ""
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			v.errorf(at(path, "token_file"), "token file %s is empty", file)
		}
		return t
	}
	return inline
}

func (c *Config) validateHeartbeats(v *validator) {
	d := &c.HeartbeatDefaults
	seen := map[string]int{}
	for i, h := range c.Heartbeats {
		p := []any{"heartbeats", i}
		if h == nil {
			v.errorf(p, "empty heartbeat: give it a name")
			continue
		}
		if !heartbeatNameRE.MatchString(h.Name) {
			v.errorf(at(p, "name"), "invalid heartbeat name %q: use letters, digits, '.', '_' and '-' (up to 128), starting with a letter or digit", h.Name)
		} else if j, dup := seen[h.Name]; dup {
			v.errorf(at(p, "name"), "heartbeat %q is already defined at heartbeats[%d]", h.Name, j)
		}
		seen[h.Name] = i
		if h.Timezone != "" {
			if h.Schedule == "" {
				v.errorf(at(p, "timezone"), "timezone only applies to a schedule")
			}
			loc, err := loadLocation(h.Timezone)
			if err != nil {
				v.errorf(at(p, "timezone"), "unknown time zone %q (want an IANA name such as Europe/Berlin)", h.Timezone)
			}
			h.location = loc
		}
		switch {
		case h.Schedule != "" && h.Interval != 0:
			v.errorf(at(p, "schedule"), "give interval or schedule, not both")
		case h.Schedule != "":
			if strings.HasPrefix(h.Schedule, "TZ=") || strings.HasPrefix(h.Schedule, "CRON_TZ=") {
				v.errorf(at(p, "schedule"), "put the time zone in the timezone key, not in the schedule")
			} else if sched, err := ParseSchedule(h.Schedule, h.location); err != nil {
				v.errorf(at(p, "schedule"), "invalid cron schedule %q: %v", h.Schedule, err)
			} else if sched.Next(time.Now()).IsZero() {
				v.errorf(at(p, "schedule"), "cron schedule %q never fires", h.Schedule)
			} else {
				h.schedule = sched
			}
		case h.Interval < 0:
			v.errorf(at(p, "interval"), "must be greater than 0")
		case h.Interval == 0:
			h.Interval = d.Interval
		}
		if h.Grace == nil {
			g := d.Grace
			h.Grace = &g
		} else if *h.Grace < 0 {
			v.errorf(at(p, "grace"), "must not be negative")
		}
		if h.MaxRuntime < 0 {
			v.errorf(at(p, "max_runtime"), "must not be negative")
		}
		if h.BodyLimit == nil {
			l := d.BodyLimit
			h.BodyLimit = &l
		} else if *h.BodyLimit <= 0 || *h.BodyLimit > MaxBodyLimit {
			v.errorf(at(p, "body_limit"), "must be between 1 byte and %s", units.Base2Bytes(MaxBodyLimit))
		}
		h.token = readToken(v, p, string(h.Token), h.TokenFile)
		if h.token == "" {
			h.token = d.token
		}
		validateLabels(v, at(p, "labels"), h.Labels, reservedHeartbeatLabels)
	}
	if len(c.Heartbeats) > d.MaxHeartbeats && d.MaxHeartbeats > 0 {
		v.errorf([]any{"heartbeat_defaults", "max_heartbeats"}, "%d heartbeats are configured but max_heartbeats is %d", len(c.Heartbeats), d.MaxHeartbeats)
	}
}

// locations caches time zones: each LoadLocation parses the zone anew, a
// few kilobytes per heartbeat that thousands of heartbeats share.
var locations sync.Map

func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	actual, _ := locations.LoadOrStore(name, loc)
	return actual.(*time.Location), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func regexSource(r *Regexp) string {
	if r == nil {
		return ""
	}
	return r.original
}

func jsonDetail(j *JSONCheck) string {
	if j == nil {
		return ""
	}
	return j.Path
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func durationString[D fmt.Stringer](d *D) string {
	if d == nil {
		return ""
	}
	return (*d).String()
}

func headerName(h *HeaderCheck) string {
	if h == nil {
		return ""
	}
	return h.Name
}
