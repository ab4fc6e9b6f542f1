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
	"log/slog"

	"github.com/django-health/django_health_exporter/internal/text"
)

// What a kept Result may hold: a target answers what it likes (8 MB
// Location headers, 30 MB health-check answers), and the status page
// keeps the last probes. A kept copy is bounded field by field.
const (
	keepTextBytes = 1024 // a target, a failure, a check's reason
	keepAttrBytes = 256  // a value in a log line
	keepFailures  = 20
	keepLogLines  = 64
)

// Compact returns a copy of r for keeping: every string bounded, slices
// copied (so that no kept slice pins a target's whole answer), and the
// server certificate reduced to its names. Its size is then at most a
// few hundred kilobytes, whatever the target answered.
func (r *Result) Compact() *Result {
	c := *r
	c.Target = text.Cut(r.Target, keepTextBytes)
	c.Failures = make([]Failure, 0, min(len(r.Failures), keepFailures))
	for _, f := range r.Failures[:min(len(r.Failures), keepFailures)] {
		c.Failures = append(c.Failures, Failure{Reason: f.Reason, Message: text.Cut(f.Message, keepTextBytes)})
	}
	c.Checks = make([]CheckResult, len(r.Checks))
	for i, ch := range r.Checks {
		ch.Reason = text.Cut(ch.Reason, keepTextBytes)
		c.Checks[i] = ch
	}
	c.HealthChecks = append([]Backend(nil), r.HealthChecks...)
	c.Log = make([]slog.Record, 0, min(len(r.Log), keepLogLines))
	for _, rec := range r.Log[:min(len(r.Log), keepLogLines)] {
		c.Log = append(c.Log, compactRecord(rec))
	}
	if r.TLS != nil {
		t := *r.TLS
		t.Subject, t.Issuer = t.names()
		t.Leaf = nil
		c.TLS = &t
	}
	return &c
}

func compactRecord(rec slog.Record) slog.Record {
	if !needsCompacting(rec) {
		// Nothing to cut or to format: the record is kept as it is (a
		// probe's records are not changed once logged).
		return rec
	}
	out := slog.NewRecord(rec.Time, rec.Level, text.Cut(rec.Message, keepTextBytes), 0)
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Value.Kind() {
		case slog.KindString, slog.KindAny, slog.KindGroup, slog.KindLogValuer:
			a.Value = slog.StringValue(text.Cut(a.Value.Resolve().String(), keepAttrBytes))
		}
		out.AddAttrs(a)
		return true
	})
	return out
}

// needsCompacting says whether a record holds a value that may hold more
// than it shows (any other kind than the scalars and bounded strings), or
// a string over its bound.
func needsCompacting(rec slog.Record) bool {
	if len(rec.Message) > keepTextBytes {
		return true
	}
	need := false
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Value.Kind() {
		case slog.KindString:
			need = len(a.Value.String()) > keepAttrBytes
		case slog.KindAny, slog.KindGroup, slog.KindLogValuer:
			need = true
		}
		return !need
	})
	return need
}

// Size estimates the bytes a kept Result holds, for the history's budget.
func (r *Result) Size() int {
	n := 512 + len(r.Target) + len(r.ContentHash)
	for _, f := range r.Failures {
		n += 32 + len(f.Message)
	}
	for _, c := range r.Checks {
		n += 64 + len(c.Name) + len(c.Reason)
	}
	for _, b := range r.HealthChecks {
		n += 48 + len(b.Name) + len(b.Message)
	}
	for _, rec := range r.Log {
		n += 64 + len(rec.Message)
		rec.Attrs(func(a slog.Attr) bool {
			n += 32 + len(a.Key)
			if a.Value.Kind() == slog.KindString {
				n += len(a.Value.String())
			}
			return true
		})
	}
	if r.TLS != nil {
		n += 128 + len(r.TLS.Subject) + len(r.TLS.Issuer)
	}
	return n
}
