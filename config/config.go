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

// Package config loads and validates the exporter's YAML configuration.
//
// Loading is strict and happens in four steps (load.go): decode (unknown
// keys are errors; every type starts from its defaults, defaults.go),
// normalise (fill in what the file left out, normalize.go), validate (pure
// rules, validate.go) and compile (regular expressions, cron schedules,
// time zones, tokens, compile.go). Every problem names the line and the
// key it is about, so that "line 14: modules.django.checks[2].regex: ..."
// points a tired operator straight at the mistake.
package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/alecthomas/units"
	pconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// DefaultModuleName is the module used when neither the request nor the
// target names one.
const DefaultModuleName = "django"

// Health-check parser choices for DjangoProbe.HealthCheck.
const (
	HealthCheckAuto     = "auto"
	HealthCheckDHC      = "django-health-check"
	HealthCheckWatchman = "watchman"
	HealthCheckNone     = "none"
)

// Check types, as exported in the type label of probe_check_success.
const (
	CheckKeyword         = "keyword"
	CheckForbidKeyword   = "forbid_keyword"
	CheckRegex           = "regex"
	CheckForbidRegex     = "forbid_regex"
	CheckJSON            = "json"
	CheckSHA256          = "sha256"
	CheckMaxLatency      = "max_latency"
	CheckMinCertValidity = "min_cert_validity"
	CheckHeader          = "header"
)

// Config is the whole configuration file.
type Config struct {
	Modules           map[string]*Module `yaml:"modules,omitempty"`
	Targets           []*Target          `yaml:"targets,omitempty"`
	AllowTargets      []string           `yaml:"allow_targets,omitempty"`
	HeartbeatDefaults HeartbeatDefaults  `yaml:"heartbeat_defaults"`
	Heartbeats        []*Heartbeat       `yaml:"heartbeats,omitempty"`
	// Maintenance are planned windows: heartbeats paused, probes marked.
	Maintenance []*MaintenanceWindow `yaml:"maintenance,omitempty"`

	allow       *AllowList
	targetIndex map[string]*Target
}

// Module is one way of probing: ?module=NAME.
type Module struct {
	Timeout model.Duration `yaml:"timeout,omitempty"`
	HTTP    HTTPProbe      `yaml:"http,omitempty"`
	Checks  []*Check       `yaml:"checks,omitempty"`
	Django  DjangoProbe    `yaml:"django,omitempty"`
}

// HTTPProbe is the request a module sends and what it accepts back.
type HTTPProbe struct {
	Method           string            `yaml:"method,omitempty"`
	Headers          map[string]string `yaml:"headers,omitempty"`
	Body             string            `yaml:"body,omitempty"`
	ValidStatusCodes []int             `yaml:"valid_status_codes,omitempty"`
	// BodySizeLimit caps the body after decompression; a larger body fails
	// the probe. 0 means no limit.
	BodySizeLimit Size `yaml:"body_size_limit,omitempty"`
	// Compression asks for a compressed answer (Accept-Encoding). A gzip or
	// deflate answer is decoded before the checks whether asked for or not.
	Compression string `yaml:"compression,omitempty"`

	HTTPClientConfig pconfig.HTTPClientConfig `yaml:",inline"`
}

// DjangoProbe configures the Django-specific detectors of a module.
type DjangoProbe struct {
	DetectDebug          bool   `yaml:"detect_debug"`
	DetectDisallowedHost bool   `yaml:"detect_disallowed_host"`
	HealthCheck          string `yaml:"health_check,omitempty"`
	// DebugCanary also asks for a random path that cannot exist and reads
	// DEBUG from Django's 404 page: a page answering 200 never shows it.
	DebugCanary bool `yaml:"debug_canary,omitempty"`
	// CheckAllowedHosts also sends a forged Host header and expects it to
	// be refused: ALLOWED_HOSTS = ['*'] answers it.
	CheckAllowedHosts bool `yaml:"check_allowed_hosts,omitempty"`
	// Login, when set, logs in after the probe's own request (login.go).
	Login *DjangoLogin `yaml:"login,omitempty"`
	// StaticAssets, when set, fetches the assets the page links once the
	// page passed (deploy.go).
	StaticAssets *StaticAssets `yaml:"static_assets,omitempty"`
	// Release, when set, reads which release answered (deploy.go).
	Release *DjangoRelease `yaml:"release,omitempty"`
}

// Severities of a check.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// Check is one named assertion about a probe's answer. Exactly one of the
// kind fields is set.
type Check struct {
	Name string `yaml:"name,omitempty"`
	// Severity is critical (the default: a failing check fails the probe)
	// or warning (it is reported in probe_check_success, and the probe
	// stays a success, so nothing pages for it).
	Severity        string          `yaml:"severity,omitempty"`
	Keyword         string          `yaml:"keyword,omitempty"`
	ForbidKeyword   string          `yaml:"forbid_keyword,omitempty"`
	Regex           *Regexp         `yaml:"regex,omitempty"`
	ForbidRegex     *Regexp         `yaml:"forbid_regex,omitempty"`
	JSON            *JSONCheck      `yaml:"json,omitempty"`
	SHA256          string          `yaml:"sha256,omitempty"`
	MaxLatency      *model.Duration `yaml:"max_latency,omitempty"`
	MinCertValidity *model.Duration `yaml:"min_cert_validity,omitempty"`
	Header          *HeaderCheck    `yaml:"header,omitempty"`

	kind string
}

// Type is the check's kind, one of the Check* constants.
func (c *Check) Type() string { return c.kind }

// JSONCheck looks at one field of a JSON body.
type JSONCheck struct {
	// Path is dot separated; a number indexes an array: "checks.0.status".
	Path    string  `yaml:"path"`
	Equals  *string `yaml:"equals,omitempty"`
	Matches *Regexp `yaml:"matches,omitempty"`

	segments []string
}

// Segments is Path split into its keys.
func (j *JSONCheck) Segments() []string { return j.segments }

// HeaderCheck requires a response header, optionally matching a regex.
type HeaderCheck struct {
	Name  string  `yaml:"name"`
	Regex *Regexp `yaml:"regex,omitempty"`
}

// Target is a site to probe by name.
type Target struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Hostname is sent as the Host header and, over TLS, as the server
	// name (SNI), for a site reached by address or through a load
	// balancer.
	Hostname string            `yaml:"hostname,omitempty"`
	Module   string            `yaml:"module,omitempty"`
	Labels   map[string]string `yaml:"labels,omitempty"`

	url *url.URL
}

// HeartbeatDefaults apply to every heartbeat that does not say otherwise,
// and to auto-registered ones.
type HeartbeatDefaults struct {
	Grace        model.Duration `yaml:"grace,omitempty"`
	BodyLimit    Size           `yaml:"body_limit,omitempty"`
	Token        pconfig.Secret `yaml:"token,omitempty"`
	TokenFile    string         `yaml:"token_file,omitempty"`
	AutoRegister bool           `yaml:"auto_register"`
	// AllowRegistration lets the registration API (the Python package's
	// Celery integration) create heartbeats while auto_register stays off:
	// a ping to a name nobody registered or configured (a typo) is then
	// refused, never a new heartbeat that goes late and pages.
	AllowRegistration bool           `yaml:"allow_registration,omitempty"`
	MaxHeartbeats     int            `yaml:"max_heartbeats,omitempty"`
	Interval          model.Duration `yaml:"interval,omitempty"`
	// EarlyMargin: a success this far before a scheduled time counts for
	// it. Unset: the smaller of the heartbeat's grace and a minute.
	EarlyMargin *model.Duration `yaml:"early_margin,omitempty"`
	// FailureThreshold is how many failed runs in a row make a heartbeat
	// failed: more than 1 for flaky jobs that succeed on retry.
	FailureThreshold int `yaml:"failure_threshold,omitempty"`
	// RecoveryThreshold is how many successes in a row a failed heartbeat
	// needs before it is up again (default 1).
	RecoveryThreshold int `yaml:"recovery_threshold,omitempty"`
	// SuccessKeywords and FailureKeywords decide a success ping by its
	// body: a failure keyword in it makes it a failure; with success
	// keywords, one of them must be in it. For wrappers that always exit 0.
	SuccessKeywords []string `yaml:"success_keywords,omitempty"`
	FailureKeywords []string `yaml:"failure_keywords,omitempty"`
	// Retention is how long the record of a heartbeat the configuration
	// no longer names is kept, to come back whole if the name returns.
	Retention model.Duration `yaml:"retention,omitempty"`
	// PostOnly refuses GET and HEAD pings: any web page a browser opens
	// can send a GET.
	PostOnly bool `yaml:"post_only,omitempty"`
	// ExpireAfter removes registered and auto-registered heartbeats that
	// have been silent this long (0: never): the workers of pods that are
	// gone.
	ExpireAfter model.Duration `yaml:"expire_after,omitempty"`
	// Metrics is basic (at most 6 series a heartbeat, what the mixin
	// needs) or detailed (every series: configuration values, counters by
	// kind, zeros).
	Metrics string `yaml:"metrics,omitempty"`

	token string
}

// Series sets of a heartbeat (metrics:).
const (
	MetricsBasic    = "basic"
	MetricsDetailed = "detailed"
)

// ExpireAfter is how long a registered or auto-registered heartbeat may
// stay silent before it is removed (0: never): its registration's own, or
// the defaults'.
func (h *Heartbeat) ExpireAfter(d *HeartbeatDefaults) time.Duration {
	if h.expireAfter > 0 {
		return h.expireAfter
	}
	return time.Duration(d.ExpireAfter)
}

// Detailed says whether the heartbeat exports every series (metrics:
// detailed) or the basic set.
func (h *Heartbeat) Detailed() bool { return h.Metrics == MetricsDetailed }

// BearerToken is the token pings must carry by default, "" for none.
func (h *HeartbeatDefaults) BearerToken() string { return h.token }

// Heartbeat is one expected signal from a job.
type Heartbeat struct {
	Name       string            `yaml:"name"`
	Interval   model.Duration    `yaml:"interval,omitempty"`
	Schedule   CronList          `yaml:"schedule,omitempty"`
	Timezone   string            `yaml:"timezone,omitempty"`
	Grace      *model.Duration   `yaml:"grace,omitempty"`
	MaxRuntime model.Duration    `yaml:"max_runtime,omitempty"`
	Token      pconfig.Secret    `yaml:"token,omitempty"`
	TokenFile  string            `yaml:"token_file,omitempty"`
	BodyLimit  *Size             `yaml:"body_limit,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`
	// EarlyMargin, FailureThreshold: as in HeartbeatDefaults.
	EarlyMargin      *model.Duration `yaml:"early_margin,omitempty"`
	FailureThreshold int             `yaml:"failure_threshold,omitempty"`
	// RecoveryThreshold, SuccessKeywords, FailureKeywords: as in
	// HeartbeatDefaults.
	RecoveryThreshold int      `yaml:"recovery_threshold,omitempty"`
	SuccessKeywords   []string `yaml:"success_keywords,omitempty"`
	FailureKeywords   []string `yaml:"failure_keywords,omitempty"`
	// Metrics: basic or detailed, as in heartbeat_defaults.
	Metrics string `yaml:"metrics,omitempty"`
	// MinRuntime: a run that ends sooner than this is a failure (a backup
	// that finished in two seconds did nothing).
	MinRuntime model.Duration `yaml:"min_runtime,omitempty"`
	// PostOnly: as in HeartbeatDefaults.
	PostOnly *bool `yaml:"post_only,omitempty"`
	// Exclusive: the job runs once per period, from one place, so a second
	// sender or a second run is a problem (two Celery beats): the
	// heartbeat_sources and heartbeat_runs_per_period series watch for it.
	// Default true for a schedule, false for an interval, which usually
	// bounds the gap between pings (a liveness ping every worker sends, a
	// deploy from any CI runner) rather than counting runs.
	Exclusive *bool `yaml:"exclusive,omitempty"`

	token       string
	location    *time.Location
	schedule    *Schedule
	shortestGap time.Duration // between two runs of the schedule
	// expireAfter is a registration's own expire_after (0: the defaults').
	expireAfter time.Duration
}

// CronSchedule is the parsed schedule, nil for an interval heartbeat.
func (h *Heartbeat) CronSchedule() *Schedule { return h.schedule }

// BearerToken is the token this heartbeat's pings must carry, "" for none.
func (h *Heartbeat) BearerToken() string { return h.token }

// Location is the time zone the schedule is read in (UTC by default).
func (h *Heartbeat) Location() *time.Location {
	if h.location == nil {
		return time.UTC
	}
	return h.location
}

// GraceDuration is the heartbeat's grace (the defaults already applied).
func (h *Heartbeat) GraceDuration() time.Duration {
	if h.Grace == nil {
		return 0
	}
	return time.Duration(*h.Grace)
}

// EarlyMarginDuration is how long before a scheduled time a success
// counts for it: early_margin, else the smallest of the grace, a minute
// and half the shortest time between two runs of the schedule.
func (h *Heartbeat) EarlyMarginDuration() time.Duration {
	if h.EarlyMargin != nil {
		return time.Duration(*h.EarlyMargin)
	}
	m := min(h.GraceDuration(), defaultEarlyMarginCap)
	if h.shortestGap > 0 {
		m = min(m, h.shortestGap/2)
	}
	return m
}

// ExclusiveRuns reports whether the heartbeat expects one run per period
// from one sender (see Exclusive).
func (h *Heartbeat) ExclusiveRuns() bool {
	if h.Exclusive != nil {
		return *h.Exclusive
	}
	return len(h.Schedule) > 0
}

// PostOnlyPings reports whether the heartbeat refuses GET and HEAD pings.
func (h *Heartbeat) PostOnlyPings() bool { return h.PostOnly != nil && *h.PostOnly }

// BodyLimitBytes is how much of a ping's body is kept.
func (h *Heartbeat) BodyLimitBytes() int64 {
	if h.BodyLimit == nil {
		return 0
	}
	return int64(*h.BodyLimit)
}

// Regexp is a regular expression kept with its source text. It is
// compiled by Load, so that a bad pattern is reported with its line.
type Regexp struct {
	*regexp.Regexp
	original string
}

// UnmarshalYAML keeps the source.
func (r *Regexp) UnmarshalYAML(unmarshal func(any) error) error {
	return unmarshal(&r.original)
}

// MarshalYAML writes the source back.
func (r Regexp) MarshalYAML() (any, error) { return r.original, nil }

// String is the source text.
func (r *Regexp) String() string { return r.original }

// Size is a number of bytes, written as 10KiB, 10MiB or a plain number.
type Size units.Base2Bytes

// UnmarshalYAML parses sizes such as "10MiB" or "512".
func (s *Size) UnmarshalYAML(unmarshal func(any) error) error {
	var text string
	if err := unmarshal(&text); err != nil {
		return err
	}
	v, err := units.ParseBase2Bytes(text)
	if err != nil {
		var n int64
		if _, scanErr := fmt.Sscanf(text, "%d", &n); scanErr != nil || fmt.Sprint(n) != text {
			return fmt.Errorf("invalid size %q: want a number of bytes or a size such as 10KiB or 10MiB", text)
		}
		v = units.Base2Bytes(n)
	}
	if v < 0 {
		return fmt.Errorf("invalid size %q: must not be negative", text)
	}
	*s = Size(v)
	return nil
}

// MarshalYAML writes the size in units.
func (s Size) MarshalYAML() (any, error) { return units.Base2Bytes(s).String(), nil }

// Module looks a module up by name.
func (c *Config) Module(name string) (*Module, bool) {
	m, ok := c.Modules[name]
	return m, ok
}

// Target looks a configured target up by name or by URL.
func (c *Config) Target(nameOrURL string) (*Target, bool) {
	t, ok := c.targetIndex[nameOrURL]
	return t, ok
}

// AllowList is the compiled allow_targets; nil when every target is allowed.
func (c *Config) AllowList() *AllowList { return c.allow }

// ModuleName is the module a target is probed with by default.
func (t *Target) ModuleName() string {
	if t.Module == "" {
		return DefaultModuleName
	}
	return t.Module
}

// ParsedURL is the target URL, as Load parsed it.
func (t *Target) ParsedURL() *url.URL { return t.url }
