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
	"slices"
	"sort"
	"strings"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"golang.org/x/net/http/httpguts"
)

// validate checks the rules of a normalised configuration and reports
// every problem with its line and key. It changes nothing: what needs
// parsing (regular expressions, schedules, zones, tokens) is compile's.

// ReservedLabels are the label names the exporter itself puts on a
// series (heartbeat_last_value{metric}, probe_check_success{check,type},
// probe_http_duration_seconds{phase}, probe_django_login_duration_seconds{step}, ...), the ones Prometheus adds
// (instance, job, le), and the ones the third round adds (window): a
// user label of one of these names would write a series with the label
// twice, and Prometheus rejects the whole scrape. Heartbeat and target
// labels may not use them. The mixin's celery and queues are not here:
// the Celery helper sets them as registration labels, and the exporter
// never adds them itself.
var ReservedLabels = map[string]bool{
	"heartbeat": true, "metric": true, "kind": true, "reason": true, "check": true,
	"severity": true, "phase": true, "step": true, "type": true, "le": true, "quantile": true,
	"version": true, "module": true, "result": true, "window": true, "target": true,
	"instance": true, "job": true, "release": true,
}

// Bounds of user labels, in the file and in registrations alike: each is
// on every series of its heartbeat.
const (
	MaxLabels          = 16
	MaxLabelNameBytes  = 64
	MaxLabelValueBytes = 256
)

const checkKindsList = "keyword, forbid_keyword, regex, forbid_regex, json, sha256, max_latency, min_cert_validity, header"

func (c *Config) validate(v *validator) {
	for _, name := range sortedKeys(c.Modules) {
		c.Modules[name].validate(v, []any{"modules", name})
	}
	c.validateTargets(v)
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
			v.errorf(p, "empty check: give it one of %s", checkKindsList)
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
	default:
		v.errorf(at(path, "django", "health_check"), "unknown value %q: want auto, django-health-check, watchman or none", m.Django.HealthCheck)
	}
	if m.Django.Login != nil {
		m.Django.Login.validate(v, at(path, "django", "login"))
	}
	if m.Django.StaticAssets != nil {
		m.Django.StaticAssets.validate(v, at(path, "django", "static_assets"))
	}
	if m.Django.Release != nil {
		m.Django.Release.validate(v, at(path, "django", "release"))
	}
}

func (h *HTTPProbe) validate(v *validator, path []any) {
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
	switch h.Compression {
	case "", "identity", "gzip", "deflate":
	default:
		v.errorf(at(path, "compression"), "unsupported compression %q: want gzip, deflate or identity", h.Compression)
	}
	// common's Validate normalises as it checks: give it a copy.
	hc := h.HTTPClientConfig
	if hc.Authorization != nil {
		a := *hc.Authorization
		hc.Authorization = &a
	}
	if err := hc.Validate(); err != nil {
		v.errorf(path, "%v", err)
	}
	// Secret references need a secret manager, which a file-configured
	// exporter does not have: say so at load time.
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
	kinds := c.kinds()
	switch len(kinds) {
	case 0:
		v.errorf(path, "check has no kind: give it one of %s", checkKindsList)
		return
	case 1:
	default:
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = k.kind
		}
		v.errorf(path, "check has several kinds (%s): write one check per kind", strings.Join(names, ", "))
		return
	}
	if c.Severity != SeverityCritical && c.Severity != SeverityWarning {
		v.errorf(at(path, "severity"), "unknown severity %q: want critical or warning", c.Severity)
	}
	kp := at(path, kinds[0].kind)
	switch kinds[0].kind {
	case CheckJSON:
		j := c.JSON
		if strings.TrimSpace(j.Path) == "" {
			v.errorf(at(kp, "path"), "a json check needs a path, such as status or checks.0.status")
		} else if strings.Contains("."+j.Path+".", "..") {
			v.errorf(at(kp, "path"), "empty key in path %q", j.Path)
		}
		if j.Equals != nil && j.Matches != nil {
			v.errorf(kp, "give equals or matches, not both")
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
	}
}

func (c *Config) validateTargets(v *validator) {
	seen := map[string]bool{}
	for i, t := range c.Targets {
		p := []any{"targets", i}
		if t == nil {
			v.errorf(p, "empty target: give it a name and a url")
			continue
		}
		if t.Name == "" || strings.ContainsAny(t.Name, " \t\r\n\v\f/?#") {
			v.errorf(at(p, "name"), "a target needs a name without spaces, '/', '?' or '#'")
		} else if seen[t.Name] {
			v.errorf(at(p, "name"), "target name %q is used twice", t.Name)
		}
		seen[t.Name] = true
		if t.Hostname != "" && !ValidHostname(t.Hostname) {
			v.errorf(at(p, "hostname"), "invalid host name %q: want a DNS name, optionally with a port", t.Hostname)
		}
		if t.URL == "" {
			v.errorf(at(p, "url"), "a target needs a url")
		} else if _, err := ParseTargetURL(t.URL, false); err != nil {
			v.errorf(at(p, "url"), "%v", err)
		}
		if _, ok := c.Modules[t.ModuleName()]; !ok {
			v.errorf(at(p, "module"), "unknown module %q (known: %s)", t.Module, strings.Join(sortedKeys(c.Modules), ", "))
		}
		validateLabels(v, at(p, "labels"), t.Labels, ReservedLabels)
	}
}

func validateLabels(v *validator, path []any, labels map[string]string, reserved map[string]bool) {
	if len(labels) > MaxLabels {
		v.errorf(path, "%d labels: at most %d", len(labels), MaxLabels)
	}
	for _, k := range sortedKeys(labels) {
		switch problem := labelNameProblem(k, reserved); {
		case problem != "":
			v.errorf(at(path, k), "%s", problem)
		case len(k) > MaxLabelNameBytes:
			v.errorf(at(path, k), "label name of %d bytes: at most %d", len(k), MaxLabelNameBytes)
		case len(labels[k]) > MaxLabelValueBytes:
			v.errorf(at(path, k), "label value of %d bytes: at most %d", len(labels[k]), MaxLabelValueBytes)
		}
	}
}

func (h *HeartbeatDefaults) validate(v *validator, path []any) {
	grace, limit := h.Grace, h.BodyLimit
	heartbeatKeys{
		grace: &grace, earlyMargin: h.EarlyMargin, bodyLimit: &limit,
		failureThreshold: h.FailureThreshold, recoveryThreshold: h.RecoveryThreshold,
		metrics: h.Metrics, success: h.SuccessKeywords, failure: h.FailureKeywords,
		token: string(h.Token), tokenFile: h.TokenFile,
	}.validate(v, path, false)
	if h.MaxHeartbeats <= 0 {
		v.errorf(at(path, "max_heartbeats"), "must be at least 1")
	}
	if h.Interval <= 0 {
		v.errorf(at(path, "interval"), "must be greater than 0")
	}
	if h.ExpireAfter < 0 {
		v.errorf(at(path, "expire_after"), "must not be negative (0 never expires)")
	}
	boundDurations(v, path, map[string]model.Duration{"interval": h.Interval, "expire_after": h.ExpireAfter, "retention": h.Retention})
	if h.Retention < 0 {
		v.errorf(at(path, "retention"), "must not be negative (0 drops the record as soon as the name leaves the configuration)")
	}
}

// heartbeatKeys are the keys a heartbeat and heartbeat_defaults share,
// checked by one set of rules; nil is a key left out.
type heartbeatKeys struct {
	grace, earlyMargin                  *model.Duration
	bodyLimit                           *Size
	failureThreshold, recoveryThreshold int
	metrics                             string
	success, failure                    []string
	token, tokenFile                    string
}

// validate checks the shared keys. inherits: a heartbeat's 0 takes the
// defaults' failure_threshold, so only a negative one is wrong there.
func (k heartbeatKeys) validate(v *validator, p []any, inherits bool) {
	for _, d := range []struct {
		key string
		val *model.Duration
	}{{"grace", k.grace}, {"early_margin", k.earlyMargin}} {
		if d.val != nil && *d.val < 0 {
			v.errorf(at(p, d.key), "must not be negative")
		}
		if d.val != nil {
			boundDurations(v, p, map[string]model.Duration{d.key: *d.val})
		}
	}
	if k.bodyLimit != nil && (*k.bodyLimit <= 0 || *k.bodyLimit > MaxBodyLimit) {
		v.errorf(at(p, "body_limit"), "must be between 1 byte and %s", units.Base2Bytes(MaxBodyLimit))
	}
	if k.failureThreshold < 0 || (k.failureThreshold == 0 && !inherits) {
		v.errorf(at(p, "failure_threshold"), "must be at least 1")
	}
	if k.recoveryThreshold < 0 {
		v.errorf(at(p, "recovery_threshold"), "must be at least 1")
	}
	validateMetrics(v, p, k.metrics)
	validateKeywords(v, p, k.success, k.failure)
	if k.token != "" && k.tokenFile != "" {
		v.errorf(at(p, "token_file"), "give token or token_file, not both")
	}
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
		if !ValidHeartbeatName(h.Name) {
			v.errorf(at(p, "name"), "invalid heartbeat name %q: %s", h.Name, HeartbeatNameRule)
		} else if j, dup := seen[h.Name]; dup {
			v.errorf(at(p, "name"), "heartbeat %q is already defined at heartbeats[%d]", h.Name, j)
		}
		seen[h.Name] = i
		h.validate(v, p)
	}
	if len(c.Heartbeats) > d.MaxHeartbeats && d.MaxHeartbeats > 0 {
		v.errorf([]any{"heartbeat_defaults", "max_heartbeats"}, "%d heartbeats are configured but max_heartbeats is %d", len(c.Heartbeats), d.MaxHeartbeats)
	}
}

// validate checks one heartbeat's keys but its name.
func (h *Heartbeat) validate(v *validator, p []any) {
	if h.Timezone != "" && len(h.Schedule) == 0 {
		v.errorf(at(p, "timezone"), "timezone only applies to a schedule")
	}
	switch {
	case len(h.Schedule) > 0 && h.Interval != 0:
		v.errorf(at(p, "schedule"), "give interval or schedule, not both")
	case slices.ContainsFunc(h.Schedule, func(s string) bool { return strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") }):
		v.errorf(at(p, "schedule"), "put the time zone in the timezone key, not in the schedule")
	case len(h.Schedule) > maxScheduleLines:
		v.errorf(at(p, "schedule"), "%d cron lines: at most %d", len(h.Schedule), maxScheduleLines)
	case len(h.Schedule) == 0 && h.Interval < 0: // 0 takes heartbeat_defaults.interval
		v.errorf(at(p, "interval"), "must be greater than 0")
	}
	for _, d := range []struct {
		key string
		bad bool
	}{{"max_runtime", h.MaxRuntime < 0}, {"min_runtime", h.MinRuntime < 0}} {
		if d.bad {
			v.errorf(at(p, d.key), "must not be negative")
		}
	}
	boundDurations(v, p, map[string]model.Duration{"interval": h.Interval, "max_runtime": h.MaxRuntime, "min_runtime": h.MinRuntime})
	if h.MaxRuntime > 0 && h.MinRuntime >= h.MaxRuntime {
		v.errorf(at(p, "min_runtime"), "must be shorter than max_runtime (%s)", h.MaxRuntime)
	}
	heartbeatKeys{
		grace: h.Grace, earlyMargin: h.EarlyMargin, bodyLimit: h.BodyLimit,
		failureThreshold: h.FailureThreshold, recoveryThreshold: h.RecoveryThreshold,
		metrics: h.Metrics, success: h.SuccessKeywords, failure: h.FailureKeywords,
		token: string(h.Token), tokenFile: h.TokenFile,
	}.validate(v, p, true)
	validateLabels(v, at(p, "labels"), h.Labels, ReservedLabels)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxScheduleLines bounds a schedule's cron lines.
const maxScheduleLines = 10

// Bounds of the keywords that decide a ping by its body.
const (
	maxKeywords     = 20
	maxKeywordBytes = 200
)

func validateKeywords(v *validator, p []any, success, failure []string) {
	for key, words := range map[string][]string{"success_keywords": success, "failure_keywords": failure} {
		if len(words) > maxKeywords {
			v.errorf(at(p, key), "%d keywords: at most %d", len(words), maxKeywords)
		}
		for i, w := range words {
			if w == "" || len(w) > maxKeywordBytes {
				v.errorf(at(p, key, i), "a keyword must be 1 to %d bytes", maxKeywordBytes)
			}
		}
	}
}

func validateMetrics(v *validator, path []any, metrics string) {
	switch metrics {
	case "", MetricsBasic, MetricsDetailed:
	default:
		v.errorf(at(path, "metrics"), "unknown value %q: want basic (at most 6 series a heartbeat) or detailed (every series)", metrics)
	}
}

// boundDurations refuses a duration over MaxDuration, naming the bound.
func boundDurations(v *validator, p []any, durations map[string]model.Duration) {
	for _, key := range sortedKeys(durations) {
		if durations[key] > MaxDuration {
			v.errorf(at(p, key), "%s is too long: at most %s", durations[key], MaxDuration)
		}
	}
}
