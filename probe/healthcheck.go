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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// Formats a health-check answer was read as (Result.HealthFormat).
const (
	formatDHCJSON        = "django-health-check JSON"
	formatDHCOpenMetrics = "django-health-check OpenMetrics"
	formatWatchman       = "django-watchman JSON"
)

// A hostile or broken target must not explode the cardinality of a probe
// or put invalid UTF-8 in a label: at most maxBackends backends are kept,
// their names cut at maxBackendName bytes and messages at maxBackendMsg.
const (
	maxBackends    = 200
	maxBackendName = 200
	maxBackendMsg  = 500
)

// errNotHealthCheck says the answer is not in the format the module asked for.
var errNotHealthCheck = errors.New("the answer is not a health-check report")

// healthAccept is the Accept header sent when a module reads health checks
// and sets none itself: django-health-check answers JSON to it (3.x sorts
// by q and takes the first type it knows), while Django's own error pages
// still render as HTML, since they only ask whether HTML is accepted.
const healthAccept = "application/json, text/html;q=0.9, */*;q=0.8"

// mayBeHealthAnswer decides from the Content-Type, before the body is read,
// whether to keep a copy of it for the parser.
func mayBeHealthAnswer(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.Contains(ct, "json") || strings.Contains(ct, "openmetrics") || strings.HasPrefix(ct, "text/plain")
}

// parseHealthCheck reads django-health-check (3.x and 4.x JSON, 4.x
// OpenMetrics) and django-watchman answers. In auto mode an answer in no
// known format gives format "" and no error.
func parseHealthCheck(mode, contentType string, body []byte, jsonBody func() (any, error)) (string, []Backend, error) {
	trimmed := bytes.TrimSpace(body)
	isJSON := len(trimmed) > 0 && trimmed[0] == '{'
	isMetrics := bytes.Contains(body, []byte("django_health_check_"))

	switch {
	case isJSON && mode != config.HealthCheckNone:
		v, err := jsonBody()
		if err != nil {
			if mode == config.HealthCheckAuto {
				return "", nil, nil
			}
			return "", nil, fmt.Errorf("%w: invalid JSON: %w", errNotHealthCheck, err)
		}
		obj, _ := v.(map[string]any)
		if mode != config.HealthCheckWatchman {
			if b, ok := readDHCJSON(obj, mode == config.HealthCheckDHC); ok {
				return formatDHCJSON, b, nil
			}
		}
		if mode != config.HealthCheckDHC {
			if b, ok := readWatchman(obj); ok {
				return formatWatchman, b, nil
			}
		}
	case isMetrics && mode != config.HealthCheckWatchman && mode != config.HealthCheckNone:
		if b, ok := readDHCOpenMetrics(body); ok {
			return formatDHCOpenMetrics, b, nil
		}
	}
	if mode == config.HealthCheckAuto || mode == config.HealthCheckNone {
		return "", nil, nil
	}
	ct := contentType
	if ct == "" {
		ct = "no Content-Type"
	}
	return "", nil, fmt.Errorf("%w in %s format (%s, %d bytes)", errNotHealthCheck, mode, ct, len(body))
}

// django-health-check 3.x identifiers (DatabaseBackend, "Cache backend:
// default", DiskUsage, CeleryPingHealthCheck) and 4.x reprs
// ("Cache(alias='default')").
var dhcKeyRE = regexp.MustCompile(`(?:Backend|HealthCheck|Check|Usage)$|^Cache backend: |^[A-Za-z_][\w.]*\(.*\)$`)

// Error types of django-health-check 3.x (exceptions.py) and 4.x, and the
// status of its minimal 4.x view.
var dhcErrorWords = map[string]bool{
	"unavailable": true, "warning": true, "unexpected result": true, "unknown error": true,
	"error": true, "unhealthy": true,
}

// readyzRelease is the key of /readyz (the django-health-exporter Python
// package) that carries the release beside the checks; django.release
// {json: release} reads it.
const readyzRelease = "release"

// readDHCJSON reads {"identifier": "status"}. 3.x says "working", 4.x says
// "OK"; failures are "<type>: <message>" and may be translated, so a value
// is "up" when it is working/OK or, translated, has no ": " message part.
// Unless the module asked for this format, every entry must look like a
// health-check entry (a known identifier or a status value), so that an
// API answering {"name": "shop", "status": "ok"} is not taken for one.
func readDHCJSON(obj map[string]any, explicit bool) ([]Backend, bool) {
	if len(obj) == 0 {
		return nil, false
	}
	backends := make([]Backend, 0, len(obj))
	for name, raw := range obj {
		if name == readyzRelease {
			continue // django-health-exporter's /readyz: the release, not a check
		}
		s, ok := raw.(string)
		if !ok {
			return nil, false
		}
		kind, _, hasMsg := strings.Cut(s, ": ")
		isError := dhcErrorWords[strings.ToLower(strings.TrimSpace(kind))]
		up := strings.EqualFold(s, "working") || strings.EqualFold(s, "ok")
		if !explicit && !up && !isError && !dhcKeyRE.MatchString(name) {
			return nil, false
		}
		if !up {
			up = !hasMsg && !isError
		}
		backends = append(backends, Backend{Name: stripAddresses(name), Up: up, Message: s})
	}
	sortBackends(backends)
	return backends, true
}

// objectAddress is the " at 0x7f0e06c67c90" of a Python object's default
// repr: django-health-check 4.x's Celery check is
// Ping(app=<Celery shop at 0x7f0e06c67c90>), a new name in every process.
var objectAddress = regexp.MustCompile(` at 0x[0-9a-fA-F]+>`)

// stripAddresses takes the object addresses out of a backend name, so that
// its check label stays the same across the site's processes and restarts.
func stripAddresses(name string) string {
	if !strings.Contains(name, " at 0x") {
		return name
	}
	return objectAddress.ReplaceAllString(name, ">")
}

// readWatchman reads {"databases": [{"default": {"ok": true}}], "storage": {"ok": true}}.
func readWatchman(obj map[string]any) ([]Backend, bool) {
	var backends []Backend
	for kind, raw := range obj {
		switch v := raw.(type) {
		case map[string]any:
			b, ok := watchmanEntry(kind, v)
			if !ok {
				return nil, false
			}
			backends = append(backends, b)
		case []any:
			for _, item := range v {
				named, ok := item.(map[string]any)
				if !ok {
					return nil, false
				}
				for name, inner := range named {
					m, ok := inner.(map[string]any)
					if !ok {
						return nil, false
					}
					b, ok := watchmanEntry(kind+"/"+name, m)
					if !ok {
						return nil, false
					}
					backends = append(backends, b)
				}
			}
		default:
			return nil, false
		}
	}
	if len(backends) == 0 {
		return nil, false
	}
	sortBackends(backends)
	return backends, true
}

func watchmanEntry(name string, m map[string]any) (Backend, bool) {
	ok, isBool := m["ok"].(bool)
	if !isBool {
		return Backend{}, false
	}
	msg := "ok"
	if !ok {
		msg, _ = m["error"].(string)
		if msg == "" {
			msg = "not ok"
		}
	}
	return Backend{Name: name, Up: ok, Message: msg}, true
}

// maxOpenMetricsBody bounds what is handed to the OpenMetrics parser,
// which builds an object per series: a real answer with 200 backends is
// about 30 KB.
const maxOpenMetricsBody = 1 << 20

// readDHCOpenMetrics reads the django_health_check_status series of a
// django-health-check 4.x OpenMetrics answer with prometheus/common's
// parser. Releases label the series either check="Cache(alias='default')"
// or check="Cache",alias="default"; both become the JSON key,
// Cache(alias='default'), so a backend keeps its series whichever format
// is probed.
func readDHCOpenMetrics(body []byte) ([]Backend, bool) {
	if len(body) > maxOpenMetricsBody {
		return nil, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	var backends []Backend
	seconds := map[string]float64{}
	if mf := mfs["django_health_check_response_time_seconds"]; mf != nil {
		for _, m := range mf.GetMetric() {
			if v := sampleValue(m); v >= 0 && !math.IsInf(v, 0) {
				seconds[openMetricsCheckName(m.GetLabel())] = v
			}
		}
	}
	if mf := mfs["django_health_check_status"]; mf != nil {
		for _, m := range mf.GetMetric() {
			up := sampleValue(m) == 1
			name := openMetricsCheckName(m.GetLabel())
			v, timed := seconds[name]
			backends = append(backends, Backend{Name: name, Up: up, Message: statusWord(up), Timed: timed, Seconds: v})
		}
	}
	if mf := mfs["django_health_check_overall_status"]; len(backends) == 0 && mf != nil && len(mf.GetMetric()) > 0 {
		// The minimal view lists no backends, only the overall status.
		up := sampleValue(mf.GetMetric()[0]) == 1
		backends = append(backends, Backend{Name: "overall", Up: up, Message: statusWord(up)})
	}
	if len(backends) == 0 {
		return nil, false
	}
	sortBackends(backends)
	return backends, true
}

// sampleValue is a gauge's or an untyped sample's value.
func sampleValue(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetUntyped().GetValue()
}

func statusWord(up bool) string {
	if up {
		return "working"
	}
	return "failing"
}

// openMetricsCheckName writes a backend's labels as its JSON key: the
// check label, followed by the other labels (the check's dataclass
// fields, in the order django-health-check wrote them) as its repr does,
// Cache(alias='default'), Payments(). The labels hold str() of each
// field where the repr has repr(): a string is quoted back, an object
// (<Celery shop at 0x...>, the same either way) is not, and numbers and
// True/False/None stay bare. A check label that is already a repr is
// kept.
func openMetricsCheckName(labels []*dto.LabelPair) string {
	check := ""
	var extra []string
	for _, l := range labels {
		if l.GetName() == "check" {
			check = l.GetValue()
			continue
		}
		extra = append(extra, l.GetName()+"="+reprOfStr(l.GetValue()))
	}
	if strings.HasSuffix(check, ")") && len(extra) == 0 {
		return stripAddresses(check)
	}
	return stripAddresses(check + "(" + strings.Join(extra, ", ") + ")")
}

// bareRepr are label values whose repr is the value itself.
var bareRepr = regexp.MustCompile(`^(?:-?\d+(?:\.\d+)?|True|False|None|<.*>)$`)

func reprOfStr(v string) string {
	if bareRepr.MatchString(v) {
		return v
	}
	return "'" + v + "'"
}

// sortBackends sorts and sanitises backends; see maxBackends.
func sortBackends(b []Backend) {
	for i := range b {
		b[i].Name = text.Cut(b[i].Name, maxBackendName)
		b[i].Message = text.Cut(b[i].Message, maxBackendMsg)
	}
	sort.Slice(b, func(i, j int) bool { return b[i].Name < b[j].Name })
}

// limitBackends keeps the first maxBackends (by name) and says how many
// were dropped.
func limitBackends(b []Backend) ([]Backend, int) {
	if len(b) <= maxBackends {
		return b, 0
	}
	return b[:maxBackends], len(b) - maxBackends
}

// decodeJSON decodes a body keeping numbers exact.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}
