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
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

// The rules shared by the configuration and the requests that name the
// same things: a heartbeat named in the file or in a ping, a target URL
// written in the file or given as ?target=, a label set in the file.

// heartbeatNameRE is what a heartbeat may be called, in the file, in a
// ping's path and in the registration API.
// '@' is in it for Celery's node names: celery-worker@w1@host.
var heartbeatNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$`)

// HeartbeatNameRule says what ValidHeartbeatName accepts, for error messages.
const HeartbeatNameRule = "use letters, digits, '.', '_', '-' and '@' (up to 128), starting with a letter or digit"

// ValidHeartbeatName reports whether name can name a heartbeat.
func ValidHeartbeatName(name string) bool { return heartbeatNameRE.MatchString(name) }

// ParseTargetURL reads a target URL: http or https, with a host. A URL
// given as ?target= may leave out the scheme (a bare host:port means
// http://, as in blackbox_exporter) and must not carry credentials, which
// belong in the module's basic_auth; a configured target may carry them
// (they are shown redacted).
func ParseTargetURL(raw string, fromRequest bool) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no URL")
	}
	if fromRequest && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("invalid URL: %w", unwrapURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("URL %q must start with http:// or https://", RedactURL(raw))
	case u.Hostname() == "":
		return nil, fmt.Errorf("URL %q has no host", RedactURL(raw))
	case fromRequest && u.User != nil:
		return nil, errors.New("credentials in the URL are not accepted; use the module's basic_auth")
	}
	return u, nil
}

func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// RedactURL hides the secrets of a URL, for anything a person or a log
// may see: the password of user:password@, and the values of query
// parameters whose names look secret (?token=, ?api_key=, ?password=,
// ?secret=, ?key=, ?sig=...). A string that is not a URL is returned as
// it is.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return RedactedURL(u)
}

// RedactedURL is RedactURL for a parsed URL; u is not changed.
func RedactedURL(u *url.URL) string {
	if u.RawQuery == "" && u.User == nil {
		return u.String()
	}
	c := *u
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			unescaped, err := url.QueryUnescape(name)
			if err != nil {
				unescaped = name
			}
			if hasValue && SensitiveQueryParam(unescaped) {
				parts[i] = name + "=" + Redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.Redacted()
}

// labelNameProblem says what is wrong with a label name set in the file,
// "" when nothing is. Names follow Prometheus's classic rules, which every
// Prometheus and every query accepts without quoting.
func labelNameProblem(name string, reserved map[string]bool) string {
	switch {
	case !model.LegacyValidation.IsValidLabelName(name):
		return fmt.Sprintf("invalid label name %q", name)
	case strings.HasPrefix(name, model.ReservedLabelPrefix):
		return "label names starting with __ are reserved"
	case reserved[name]:
		return fmt.Sprintf("label %q is set by the exporter (it would be on some series twice, and Prometheus would reject the scrape)", name)
	}
	return ""
}

// hostnameRE is a DNS name (letters, digits, hyphens, dots; a trailing
// dot allowed), optionally with a port.
var hostnameRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?(:[0-9]{1,5})?$`)

// ValidHostname reports whether s may be sent as a Host header and a TLS
// server name: a target's hostname, or &hostname= on /probe.
func ValidHostname(s string) bool { return len(s) <= 253 && hostnameRE.MatchString(s) }

// ReleaseRule says what a release (?release=, a registration's
// "release") may be: a label value of heartbeat_release_info and
// probe_django_release_info.
const ReleaseRule = "a release is at most 128 bytes of printable UTF-8"

// ValidRelease reports whether a release may be a label value; "" is
// none.
func ValidRelease(s string) bool {
	return len(s) <= 128 && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}
