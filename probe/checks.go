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
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

// answer is what the checks look at: the final response and its body as
// it was scanned.
type answer struct {
	header   http.Header
	scan     bodyScan
	found    []bool // literal matches, by the module's literal index
	elapsed  time.Duration
	tls      *TLSInfo
	now      time.Time
	jsonVal  any
	jsonErr  error
	jsonDone bool
}

// json decodes the kept body once for every json check and the
// health-check parser.
func (a *answer) json() (any, error) {
	if !a.jsonDone {
		a.jsonDone = true
		switch {
		case a.scan.copy == nil:
			a.jsonErr = fmt.Errorf("no body to read")
		case !a.scan.copied:
			a.jsonErr = fmt.Errorf("body was cut at body_size_limit")
		default:
			a.jsonVal, a.jsonErr = decodeJSON(a.scan.copy)
		}
	}
	return a.jsonVal, a.jsonErr
}

// evaluate runs one check. lit is the check's literal index, -1 for none.
func (a *answer) evaluate(c *config.Check, lit int) CheckResult {
	r := CheckResult{Name: c.Name, Type: c.Type()}
	switch c.Type() {
	case config.CheckKeyword:
		r.OK = a.found[lit]
		r.Reason = foundWord(r.OK, "body contains", "body does not contain", c.Keyword)
	case config.CheckForbidKeyword:
		r.OK = !a.found[lit]
		r.Reason = foundWord(!r.OK, "body contains forbidden", "body does not contain", c.ForbidKeyword)
	case config.CheckRegex, config.CheckForbidRegex:
		re, forbid := c.Regex, false
		if c.Type() == config.CheckForbidRegex {
			re, forbid = c.ForbidRegex, true
		}
		if !a.scan.copied {
			r.Reason = "body not read in full, cannot match " + strconv.Quote(re.String())
			break
		}
		loc := re.FindIndex(a.scan.copy)
		r.OK = (loc != nil) != forbid
		switch {
		case loc != nil && forbid:
			r.Reason = fmt.Sprintf("body matches forbidden regex %q at byte %d: %q", re.String(), loc[0], excerpt(a.scan.copy[loc[0]:loc[1]]))
		case loc != nil:
			r.Reason = fmt.Sprintf("body matches regex %q: %q", re.String(), excerpt(a.scan.copy[loc[0]:loc[1]]))
		default:
			r.Reason = fmt.Sprintf("body does not match regex %q", re.String())
		}
	case config.CheckJSON:
		r.OK, r.Reason = a.checkJSON(c.JSON)
	case config.CheckSHA256:
		r.OK = a.scan.err == nil && a.scan.sum == c.SHA256
		r.Reason = "body SHA-256 is " + a.scan.sum
		if !r.OK {
			r.Reason += ", want " + c.SHA256
		}
	case config.CheckMaxLatency:
		limit := time.Duration(*c.MaxLatency)
		r.OK = a.elapsed <= limit
		r.Reason = fmt.Sprintf("answer took %s, limit %s", a.elapsed.Round(time.Millisecond), limit)
	case config.CheckMinCertValidity:
		want := time.Duration(*c.MinCertValidity)
		if a.tls == nil {
			r.Reason = "no TLS connection, so no certificate to check"
			break
		}
		left := a.tls.EarliestExpiry.Sub(a.now)
		r.OK = left >= want
		r.Reason = fmt.Sprintf("certificate expires in %s (%s), want at least %s", humanDuration(left), a.tls.EarliestExpiry.UTC().Format(time.RFC3339), humanDuration(want))
	case config.CheckHeader:
		values := a.header.Values(c.Header.Name)
		switch {
		case len(values) == 0:
			r.Reason = "header " + c.Header.Name + " is missing"
		case c.Header.Regex == nil:
			r.OK, r.Reason = true, "header "+c.Header.Name+" is present"
		default:
			for _, v := range values {
				if c.Header.Regex.MatchString(v) {
					r.OK = true
					break
				}
			}
			r.Reason = fmt.Sprintf("header %s: %q %s %q", c.Header.Name, strings.Join(values, ", "), foundWord(r.OK, "matches", "does not match", ""), c.Header.Regex.String())
		}
	}
	return r
}

func (a *answer) checkJSON(j *config.JSONCheck) (bool, string) {
	v, err := a.json()
	if err != nil {
		return false, "body is not JSON: " + err.Error()
	}
	for i, seg := range j.Segments() {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[seg]
			if !ok {
				return false, fmt.Sprintf("no key %q at %s", seg, strings.Join(j.Segments()[:i], "."))
			}
			v = next
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(node) {
				return false, fmt.Sprintf("no element %q in a list of %d", seg, len(node))
			}
			v = node[idx]
		default:
			return false, fmt.Sprintf("%s is not an object or a list", strings.Join(j.Segments()[:i], "."))
		}
	}
	got := jsonText(v)
	switch {
	case j.Equals != nil:
		ok := got == *j.Equals || numericEqual(got, *j.Equals)
		return ok, fmt.Sprintf("%s is %s, want %q", j.Path, excerpt([]byte(got)), *j.Equals)
	case j.Matches != nil:
		ok := j.Matches.MatchString(got)
		return ok, fmt.Sprintf("%s is %s, %s %q", j.Path, excerpt([]byte(got)), foundWord(ok, "matches", "does not match", ""), j.Matches.String())
	}
	return true, fmt.Sprintf("%s is present: %s", j.Path, excerpt([]byte(got)))
}

// jsonText is how a JSON value compares with equals and matches: strings
// as they are, everything else as JSON.
func jsonText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func numericEqual(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

func foundWord(cond bool, yes, no, what string) string {
	w := no
	if cond {
		w = yes
	}
	if what == "" {
		return w
	}
	return w + " " + strconv.Quote(what)
}

func excerpt(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// humanDuration writes 14d3h rather than 339h0m0s.
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	days := d / (24 * time.Hour)
	rest := (d % (24 * time.Hour)).Round(time.Minute)
	s := ""
	switch {
	case days > 0 && rest >= time.Hour:
		s = fmt.Sprintf("%dd%dh", days, rest/time.Hour)
	case days > 0:
		s = fmt.Sprintf("%dd", days)
	default:
		s = d.Round(time.Second).String()
	}
	if neg {
		return "-" + s
	}
	return s
}
