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
	_ "embed"
	"net/http"
	"time"

	"github.com/alecthomas/units"
	pconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// The defaults are defined here and nowhere else: each type's
// UnmarshalYAML starts from them before the file's keys apply, the
// normaliser fills in from them what a file left out, and /config shows
// the result. default.yml only holds what differs from them.

// MaxBodyLimit caps heartbeat_defaults.body_limit and a heartbeat's
// body_limit: the last message is kept on disk for every heartbeat.
const MaxBodyLimit = Size(units.MiB)

// MaxPause bounds a pause (and an ad-hoc maintenance window): for at
// most a year, until at most a year from now. A longer one is a
// forgotten one, and a time past 2262 overflows Go's clock.
const MaxPause = 366 * 24 * time.Hour

// MaxDuration bounds every duration of a heartbeat (interval, grace,
// max_runtime, expire_after, ...): ten years. A deadline is the sum of
// several of them from now, and must stay a time Go's clock can hold
// (an interval of 292y made the deadline wrap to the past).
const MaxDuration = model.Duration(10 * 365 * 24 * time.Hour)

//go:embed default.yml
var defaultYAML []byte

var (
	// DefaultModule is what every module starts from before its keys apply.
	DefaultModule = Module{
		Timeout: model.Duration(10 * time.Second),
		HTTP:    DefaultHTTPProbe,
		Django:  DefaultDjangoProbe,
	}

	// DefaultHTTPProbe holds the HTTP defaults of a module.
	DefaultHTTPProbe = HTTPProbe{
		Method:           http.MethodGet,
		BodySizeLimit:    10 * Size(units.MiB),
		HTTPClientConfig: pconfig.DefaultHTTPClientConfig,
	}

	// DefaultDjangoProbe turns every Django detector on.
	DefaultDjangoProbe = DjangoProbe{
		DetectDebug:          true,
		DetectDisallowedHost: true,
		HealthCheck:          HealthCheckAuto,
	}

	// DefaultHeartbeatDefaults are the heartbeat_defaults when the file has none.
	DefaultHeartbeatDefaults = HeartbeatDefaults{
		Grace:             model.Duration(time.Minute),
		BodyLimit:         10 * Size(units.KiB),
		MaxHeartbeats:     1000,
		Interval:          model.Duration(5 * time.Minute),
		FailureThreshold:  1,
		RecoveryThreshold: 1,
		Metrics:           MetricsBasic,
		Retention:         model.Duration(30 * 24 * time.Hour),
	}

	// defaultEarlyMarginCap is the early margin of a heartbeat whose grace
	// is longer: a success a minute before its time counts for it.
	defaultEarlyMarginCap = time.Minute
)

// UnmarshalYAML applies the defaults before the file's keys.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	*c = Config{HeartbeatDefaults: DefaultHeartbeatDefaults}
	type plain Config
	return unmarshal((*plain)(c))
}

// UnmarshalYAML applies the defaults before the file's keys.
func (m *Module) UnmarshalYAML(unmarshal func(any) error) error {
	*m = DefaultModule
	type plain Module
	return unmarshal((*plain)(m))
}

// UnmarshalYAML applies the defaults before the file's keys.
func (p *HTTPProbe) UnmarshalYAML(unmarshal func(any) error) error {
	*p = DefaultHTTPProbe
	type plain HTTPProbe
	return unmarshal((*plain)(p))
}

// UnmarshalYAML applies the defaults before the file's keys.
func (d *DjangoProbe) UnmarshalYAML(unmarshal func(any) error) error {
	*d = DefaultDjangoProbe
	type plain DjangoProbe
	return unmarshal((*plain)(d))
}

// UnmarshalYAML applies the defaults before the file's keys.
func (h *HeartbeatDefaults) UnmarshalYAML(unmarshal func(any) error) error {
	*h = DefaultHeartbeatDefaults
	type plain HeartbeatDefaults
	return unmarshal((*plain)(h))
}

// NewAutoHeartbeat is the heartbeat an unknown name becomes when
// auto_register is on: the defaults, and nothing else.
func (c *Config) NewAutoHeartbeat(name string) *Heartbeat {
	h := &Heartbeat{Name: name, token: c.HeartbeatDefaults.token}
	h.inherit(&c.HeartbeatDefaults)
	return h
}

// inherit fills in from heartbeat_defaults the values the heartbeat
// leaves out (the token is inherited when it is read, in compile).
func (h *Heartbeat) inherit(d *HeartbeatDefaults) {
	if h.Interval == 0 && len(h.Schedule) == 0 {
		h.Interval = d.Interval
	}
	if h.Grace == nil {
		g := d.Grace
		h.Grace = &g
	}
	if h.BodyLimit == nil {
		l := d.BodyLimit
		h.BodyLimit = &l
	}
	if h.EarlyMargin == nil && d.EarlyMargin != nil {
		m := *d.EarlyMargin
		h.EarlyMargin = &m
	}
	if h.FailureThreshold == 0 {
		h.FailureThreshold = d.FailureThreshold
	}
	if h.RecoveryThreshold == 0 {
		h.RecoveryThreshold = max(d.RecoveryThreshold, 1)
	}
	if h.Metrics == "" {
		h.Metrics = d.Metrics
	}
	if h.SuccessKeywords == nil {
		h.SuccessKeywords = d.SuccessKeywords
	}
	if h.FailureKeywords == nil {
		h.FailureKeywords = d.FailureKeywords
	}
	if h.PostOnly == nil {
		p := d.PostOnly
		h.PostOnly = &p
	}
}
