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
	"crypto/x509"
	"log/slog"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// Phases of an HTTP request, as in blackbox_exporter's
// probe_http_duration_seconds{phase}.
var phaseNames = [...]string{"resolve", "connect", "tls", "processing", "transfer"}

const (
	phaseResolve = iota
	phaseConnect
	phaseTLS
	phaseProcessing
	phaseTransfer
)

// Reasons a probe fails: the reason label of probe_failed_due_to, a
// fixed set (at most 16 series) that alerts and the status page name.
const (
	ReasonDNS                     = "dns"
	ReasonConnect                 = "connect"
	ReasonTLS                     = "tls"
	ReasonTimeout                 = "timeout"
	ReasonStatus                  = "status"
	ReasonCheck                   = "check"
	ReasonDebugPage               = "debug_page"
	ReasonDisallowedHost          = "disallowed_host"
	ReasonAllowedHostsNotEnforced = "allowed_hosts_not_enforced"
	ReasonHealthCheck             = "health_check"
	ReasonBodyLimit               = "body_limit"
	ReasonRedirect                = "redirect"
	ReasonRefused                 = "refused"
	ReasonLogin                   = "login"
	ReasonStatic                  = "static"
)

// Reasons is every reason, in the order probe_failed_due_to lists them.
var Reasons = [...]string{
	ReasonAllowedHostsNotEnforced, ReasonBodyLimit, ReasonCheck, ReasonConnect, ReasonDebugPage,
	ReasonDisallowedHost, ReasonDNS, ReasonHealthCheck, ReasonLogin, ReasonRedirect, ReasonRefused,
	ReasonStatic, ReasonStatus, ReasonTimeout, ReasonTLS,
}

// CheckResult is the outcome of one configured check.
type CheckResult struct {
	Name     string
	Type     string
	Severity string // critical or warning
	OK       bool
	Reason   string // why it failed, or what it saw
	// TimedOut is set when the check ran out of the probe's time.
	TimedOut bool
}

// Backend is one django-health-check or django-watchman backend.
type Backend struct {
	Name    string
	Up      bool
	Message string
	// Timed is set when the answer gives the check's own response time
	// (django-health-check 4.x OpenMetrics), Seconds.
	Timed   bool
	Seconds float64
}

// Failure is one reason a probe failed: its reason (one of the Reason
// constants) and what happened, for people.
type Failure struct {
	Reason  string
	Message string
}

// Result is everything one probe learned. Its metrics are derived from it
// (metrics.go), and the debug page and the status page render it.
type Result struct {
	ID     uint64
	Target string
	Module string
	// Maintenance names the open maintenance window the target was in
	// ("" for none).
	Maintenance string
	// ModuleConfig is the module as it was when the probe ran: a reload
	// does not change what a kept result says it ran with.
	ModuleConfig *config.Module
	Start        time.Time
	Duration     time.Duration
	Success      bool
	// Failures are the reasons the probe failed, in the order they were
	// found; Warnings the warning-level checks that failed, which do not
	// fail it.
	Failures []Failure
	Warnings []string

	// Response holds false when no HTTP answer arrived at all.
	Response      bool
	StatusCode    int
	HTTPVersion   float64
	ContentLength int64
	BodyLength    int64
	Redirects     int
	Phases        [len(phaseNames)]float64
	DNSLookup     float64
	IPProtocol    int
	ContentHash   string // hex SHA-256 of the (decoded) body

	TLS *TLSInfo

	Checks         []CheckResult
	RegexFailed    bool
	DetectDebug    bool // the module looked for DEBUG pages
	DebugPage      bool
	DetectHost     bool // the module looked for ALLOWED_HOSTS rejections
	DisallowedHost bool
	HealthFormat   string // the health-check format that was read, "" for none
	HealthChecks   []Backend
	// Hostname is the Host header and TLS server name sent, when the
	// target or the request named one.
	Hostname string
	// Canary is what the debug canary (a path that cannot exist) got
	// back, nil when the module does not send it.
	Canary *SideAnswer
	// AllowedHosts is what the forged Host header got back, nil when the
	// module does not send it.
	AllowedHosts *SideAnswer
	// Login is what the module's login (django.login) found, nil when the
	// module has none.
	Login *LoginResult
	// Assets is what django.static_assets found, nil when the module does
	// not check them (or the page failed first).
	Assets *AssetsResult
	// Release is the release that answered (django.release), "" for none.
	Release string

	Log []slog.Record
}

// SideAnswer is what one of a probe's extra requests (the debug canary,
// the forged Host header) got back.
type SideAnswer struct {
	URL    string // redacted
	Host   string
	Status int
	// Passed: the canary showed no DEBUG page; the forged Host was refused.
	Passed bool
	Detail string
}

// TLSInfo describes the TLS connection of the final response, or the
// certificates a server sent before their verification failed (Version
// is then "").
type TLSInfo struct {
	Version         string
	EarliestExpiry  time.Time
	LastChainExpiry time.Time
	// Leaf is the server's certificate; its names are only formatted
	// when somebody reads the debug page, or the result is kept (then
	// Subject and Issuer hold them and Leaf is dropped).
	Leaf            *x509.Certificate
	Subject, Issuer string
}

// names are the subject and issuer of the server's certificate.
func (t *TLSInfo) names() (subject, issuer string) {
	if t.Leaf != nil {
		return t.Leaf.Subject.String(), t.Leaf.Issuer.String()
	}
	return t.Subject, t.Issuer
}

// fail records a reason the probe failed.
func (r *Result) fail(reason, message string) {
	r.Success = false
	r.Failures = append(r.Failures, Failure{Reason: reason, Message: message})
}

// Failure is every reason the probe failed, in one line.
func (r *Result) Failure() string {
	msgs := make([]string, len(r.Failures))
	for i, f := range r.Failures {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, "; ")
}

// FailedDueTo reports whether the probe failed for this reason.
func (r *Result) FailedDueTo(reason string) bool {
	for _, f := range r.Failures {
		if f.Reason == reason {
			return true
		}
	}
	return false
}
