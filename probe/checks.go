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
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// A checker is one configured check, compiled when its module is built:
// a keyword gets its place among the literals the body scan looks for, a
// regex its bounds, and judging a probe is one call per check.
type checker interface {
	check(a *answer) CheckResult
}

// compileCheck builds the checker of a configured check; m is the module
// being built, whose body scan the check may need.
func compileCheck(m *module, c *config.Check) checker {
	base := CheckResult{Name: c.Name, Type: c.Type(), Severity: c.Severity}
	switch c.Type() {
	case config.CheckKeyword:
		return keywordCheck{base: base, word: c.Keyword, lit: m.literal(c.Keyword)}
	case config.CheckForbidKeyword:
		return keywordCheck{base: base, word: c.ForbidKeyword, lit: m.literal(c.ForbidKeyword), forbid: true}
	case config.CheckRegex:
		m.keepBody = true
		return regexCheck{base: base, re: newBoundedRegexp(c.Regex.Regexp)}
	case config.CheckForbidRegex:
		m.keepBody = true
		return regexCheck{base: base, re: newBoundedRegexp(c.ForbidRegex.Regexp), forbid: true}
	case config.CheckJSON:
		m.keepBody = true
		jc := jsonCheck{base: base, cfg: c.JSON}
		if c.JSON.Matches != nil {
			jc.matches = newBoundedRegexp(c.JSON.Matches.Regexp)
		}
		return jc
	case config.CheckSHA256:
		return sha256Check{base: base, want: c.SHA256}
	case config.CheckMaxLatency:
		return latencyCheck{base: base, limit: time.Duration(*c.MaxLatency)}
	case config.CheckMinCertValidity:
		return certCheck{base: base, want: time.Duration(*c.MinCertValidity)}
	case config.CheckHeader:
		return headerCheck{base: base, cfg: c.Header}
	}
	panic("probe: check of unknown type " + c.Type()) // config.Load refuses these
}

type keywordCheck struct {
	base   CheckResult
	word   string
	lit    match
	forbid bool
}

func (k keywordCheck) check(a *answer) CheckResult {
	r := k.base
	found := a.found.has(k.lit)
	if k.forbid {
		r.OK = !found
		r.Reason = foundWord(found, "body contains forbidden", "body does not contain", k.word)
	} else {
		r.OK = found
		r.Reason = foundWord(found, "body contains", "body does not contain", k.word)
	}
	return r
}

type regexCheck struct {
	base   CheckResult
	re     *boundedRegexp
	forbid bool
}

func (c regexCheck) check(a *answer) CheckResult {
	r := c.base
	if !a.scan.copied {
		r.Reason = "body not read in full, cannot match " + strconv.Quote(c.re.String())
		return r
	}
	loc, err := c.re.find(a.ctx, a.scan.copy)
	if err != nil {
		r.Reason = fmt.Sprintf("regex %q: %v", c.re.String(), err)
		r.TimedOut = errors.Is(err, errDeadline)
		return r
	}
	r.OK = (loc != nil) != c.forbid
	switch {
	case loc != nil && c.forbid:
		r.Reason = fmt.Sprintf("body matches forbidden regex %q at byte %d: %q", c.re.String(), loc[0], excerpt(a.scan.copy[loc[0]:loc[1]]))
	case loc != nil:
		r.Reason = fmt.Sprintf("body matches regex %q: %q", c.re.String(), excerpt(a.scan.copy[loc[0]:loc[1]]))
	default:
		r.Reason = fmt.Sprintf("body does not match regex %q", c.re.String())
	}
	return r
}

type jsonCheck struct {
	base    CheckResult
	cfg     *config.JSONCheck
	matches *boundedRegexp
}

func (c jsonCheck) check(a *answer) CheckResult {
	r := c.base
	var err error
	r.OK, r.Reason, err = c.eval(a)
	r.TimedOut = errors.Is(err, errDeadline)
	return r
}

// eval says whether the field is as wanted and why; err is set when a
// regex could not finish.
func (c jsonCheck) eval(a *answer) (bool, string, error) {
	j := c.cfg
	v, err := a.json()
	if err != nil {
		return false, "body is not JSON: " + err.Error(), nil
	}
	v, why := jsonAt(v, j.Segments())
	if why != "" {
		return false, why, nil
	}
	got := jsonText(v)
	switch {
	case j.Equals != nil:
		ok := got == *j.Equals || numericEqual(got, *j.Equals)
		return ok, fmt.Sprintf("%s is %s, want %q", j.Path, excerpt([]byte(got)), *j.Equals), nil
	case c.matches != nil:
		loc, err := c.matches.find(a.ctx, []byte(got))
		if err != nil {
			return false, fmt.Sprintf("%s: regex %q: %v", j.Path, c.matches.String(), err), err
		}
		return loc != nil, fmt.Sprintf("%s is %s, %s %q", j.Path, excerpt([]byte(got)), foundWord(loc != nil, "matches", "does not match", ""), c.matches.String()), nil
	}
	return true, fmt.Sprintf("%s is present: %s", j.Path, excerpt([]byte(got))), nil
}

type sha256Check struct {
	base CheckResult
	want string
}

func (c sha256Check) check(a *answer) CheckResult {
	r := c.base
	r.OK = a.scan.err == nil && a.scan.sum == c.want
	r.Reason = "body SHA-256 is " + a.scan.sum
	if !r.OK {
		r.Reason += ", want " + c.want
	}
	return r
}

type latencyCheck struct {
	base  CheckResult
	limit time.Duration
}

func (c latencyCheck) check(a *answer) CheckResult {
	r := c.base
	r.OK = a.elapsed <= c.limit
	r.Reason = fmt.Sprintf("answer took %s, limit %s", a.elapsed.Round(time.Millisecond), c.limit)
	return r
}

type certCheck struct {
	base CheckResult
	want time.Duration
}

func (c certCheck) check(a *answer) CheckResult {
	r := c.base
	if a.tls == nil {
		r.Reason = "no TLS connection, so no certificate to check"
		return r
	}
	left := a.tls.EarliestExpiry.Sub(a.now)
	r.OK = left >= c.want
	r.Reason = fmt.Sprintf("certificate expires in %s (%s), want at least %s", text.Duration(left), a.tls.EarliestExpiry.UTC().Format(time.RFC3339), text.Duration(c.want))
	return r
}

type headerCheck struct {
	base CheckResult
	cfg  *config.HeaderCheck
}

func (c headerCheck) check(a *answer) CheckResult {
	r := c.base
	name := c.cfg.Name
	values := a.header.Values(name)
	switch {
	case len(values) == 0:
		r.Reason = "header " + name + " is missing"
	case c.cfg.Regex == nil:
		r.OK, r.Reason = true, "header "+name+" is present"
	default:
		if slices.ContainsFunc(values, c.cfg.Regex.MatchString) {
			r.OK = true
		}
		r.Reason = fmt.Sprintf("header %s: %q %s %q", name, strings.Join(values, ", "), foundWord(r.OK, "matches", "does not match", ""), c.cfg.Regex.String())
	}
	return r
}

// jsonAt is the value at a dot path's keys (a number indexes a list), or
// why there is none.
func jsonAt(v any, segments []string) (any, string) {
	for i, seg := range segments {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[seg]
			if !ok {
				return nil, fmt.Sprintf("no key %q at %s", seg, strings.Join(segments[:i], "."))
			}
			v = next
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(node) {
				return nil, fmt.Sprintf("no element %q in a list of %d", seg, len(node))
			}
			v = node[idx]
		default:
			return nil, fmt.Sprintf("%s is not an object or a list", strings.Join(segments[:i], "."))
		}
	}
	return v, ""
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

func excerpt(b []byte) string { return text.CutBytes(b, 80) }
