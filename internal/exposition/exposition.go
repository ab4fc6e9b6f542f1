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

// Package exposition writes metric families in Prometheus's text
// exposition format (0.0.4, which every Prometheus reads).
//
// It is for answers where a client_golang registry costs more than the
// answer itself: a probe (a score of gauges, written once per scrape from
// its Result) and thousands of heartbeats (hundreds of thousands of
// series). A family is declared once, with how its value is read from the
// thing it describes (Family), and written by Append or Write; the output
// is checked against prometheus/common's parser and promlint in the tests.
package exposition

import (
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// ContentType is the media type of what this package writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Metric types, as the TYPE line writes them.
const (
	Gauge   = "gauge"
	Counter = "counter"
)

// Family is one metric family of the things of type T, declared once with
// its value: Value gives the one sample of a T, or Samples writes several,
// each with labels of its own. Present, when set, leaves the family out
// for a T it says nothing about.
type Family[T any] struct {
	Name    string
	Type    string
	Help    string
	Value   func(T) float64
	Samples func(T, *Sampler)
	Present func(T) bool

	header []byte // the HELP and TYPE lines, written once by Prepare
}

// Prepare writes the HELP and TYPE lines of each family once, so that
// Append and Write copy them instead of escaping the help text on every
// probe. It returns its argument.
func Prepare[T any](families []Family[T]) []Family[T] {
	for i := range families {
		f := &families[i]
		w := Writer{}
		w.Family(f.Name, f.Type, f.Help)
		f.header = w.B
	}
	return families
}

func (f *Family[T]) writeHeader(w *Writer) {
	if f.header != nil {
		w.B = append(w.B, f.header...)
		return
	}
	w.Family(f.Name, f.Type, f.Help)
}

// Sampler writes the samples of one family for one thing, after that
// thing's own labels.
type Sampler struct {
	w       *Writer
	name    string
	base    []string
	scratch []string
}

// Sample writes one sample; labels are name, value pairs added to the
// thing's own labels.
func (s *Sampler) Sample(v float64, labels ...string) {
	if len(s.base) == 0 {
		s.w.Sample(s.name, v, labels...)
		return
	}
	s.scratch = append(append(s.scratch[:0], s.base...), labels...)
	s.w.Sample(s.name, v, s.scratch...)
}

// Append appends the families of one thing to b, in the order given
// (which should be sorted by name, as promlint and people expect).
func Append[T any](b []byte, families []Family[T], thing T) []byte {
	w := Writer{B: b}
	s := Sampler{w: &w}
	for i := range families {
		f := &families[i]
		if f.Present != nil && !f.Present(thing) {
			continue
		}
		f.writeHeader(&w)
		s.name = f.Name
		f.write(thing, &s)
	}
	return w.B
}

func (f *Family[T]) write(thing T, s *Sampler) {
	if f.Samples != nil {
		f.Samples(thing, s)
		return
	}
	s.Sample(f.Value(thing))
}

// flushAt is how much Write buffers before writing to its io.Writer.
const flushAt = 60 << 10

// Write writes the families of many things to out, each family's samples
// together as the format requires; labels gives each thing's own labels
// (name, value pairs). A family none of the things has is left out.
func Write[T any](out io.Writer, families []Family[T], things []T, labels func(T) []string) error {
	w := Writer{B: make([]byte, 0, flushAt+4<<10)}
	s := Sampler{w: &w}
	for i := range families {
		f := &families[i]
		headed := false
		for _, thing := range things {
			if f.Present != nil && !f.Present(thing) {
				continue
			}
			if !headed {
				f.writeHeader(&w)
				s.name, headed = f.Name, true
			}
			s.base = labels(thing)
			f.write(thing, &s)
			if len(w.B) >= flushAt {
				if _, err := out.Write(w.B); err != nil {
					return err
				}
				w.B = w.B[:0]
			}
		}
	}
	_, err := out.Write(w.B)
	return err
}

// Writer appends to B in the text format. Every sample of a family must
// follow its Family line, before the next family.
type Writer struct{ B []byte }

// Family starts a family of the given type.
func (w *Writer) Family(name, typ, help string) {
	w.B = append(w.B, "# HELP "...)
	w.B = append(w.B, name...)
	w.B = append(w.B, ' ')
	w.B = appendEscaped(w.B, help, false)
	w.B = append(w.B, "\n# TYPE "...)
	w.B = append(w.B, name...)
	w.B = append(w.B, ' ')
	w.B = append(w.B, typ...)
	w.B = append(w.B, '\n')
}

// Sample writes one line; labels are name, value pairs.
func (w *Writer) Sample(name string, v float64, labels ...string) {
	w.B = append(w.B, name...)
	if len(labels) > 1 {
		w.B = append(w.B, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.B = append(w.B, ',')
			}
			w.B = append(w.B, labels[i]...)
			w.B = append(w.B, `="`...)
			w.B = appendEscaped(w.B, labels[i+1], true)
			w.B = append(w.B, '"')
		}
		w.B = append(w.B, '}')
	}
	w.B = append(w.B, ' ')
	w.B = AppendFloat(w.B, v)
	w.B = append(w.B, '\n')
}

// AppendFloat writes a sample value as the format spells it.
func AppendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendEscaped escapes backslash and newline (and, in a label value, the
// double quote), and writes invalid UTF-8 as U+FFFD, which Prometheus's
// parser would otherwise refuse the whole answer for.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}
