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
	"math"
	"strconv"
)

// ContentType is the media type of the text exposition format TextWriter
// writes (0.0.4, which every Prometheus reads).
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// TextWriter appends metric families in the text exposition format. The
// caller writes all samples of a family together, after its Family line;
// label values are escaped here. It is for answers with many or simple
// series, where a client_golang registry costs more than the answer: a
// probe, and thousands of heartbeats.
type TextWriter struct{ B []byte }

// Family starts a family of the given type (gauge, counter).
func (w *TextWriter) Family(name, typ, help string) {
	w.B = append(w.B, "# HELP "...)
	w.B = append(w.B, name...)
	w.B = append(w.B, ' ')
	w.B = append(w.B, help...)
	w.B = append(w.B, "\n# TYPE "...)
	w.B = append(w.B, name...)
	w.B = append(w.B, ' ')
	w.B = append(w.B, typ...)
	w.B = append(w.B, '\n')
}

// Sample writes one line; labels are name, value pairs.
func (w *TextWriter) Sample(name string, v float64, labels ...string) {
	w.B = append(w.B, name...)
	if len(labels) > 0 {
		w.B = append(w.B, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				w.B = append(w.B, ',')
			}
			w.B = append(w.B, labels[i]...)
			w.B = append(w.B, `="`...)
			w.B = appendLabelValue(w.B, labels[i+1])
			w.B = append(w.B, '"')
		}
		w.B = append(w.B, '}')
	}
	w.B = append(w.B, ' ')
	switch {
	case math.IsNaN(v):
		w.B = append(w.B, "NaN"...)
	case math.IsInf(v, 1):
		w.B = append(w.B, "+Inf"...)
	case math.IsInf(v, -1):
		w.B = append(w.B, "-Inf"...)
	default:
		w.B = strconv.AppendFloat(w.B, v, 'g', -1, 64)
	}
	w.B = append(w.B, '\n')
}

// gauge writes a family with one unlabelled sample.
func (w *TextWriter) gauge(name, help string, v float64) {
	w.Family(name, "gauge", help)
	w.Sample(name, v)
}

// appendLabelValue escapes backslash, double quote and newline.
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
