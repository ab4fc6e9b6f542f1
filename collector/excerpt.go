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

package collector

import (
	"strings"

	"github.com/django-health/django_health_exporter/internal/text"
)

// maxExcerpt bounds the last line of a message kept in memory.
const maxExcerpt = 160

// excerpt is the line of a message that says why, cut to maxExcerpt:
// the error line of the last Python traceback in it ("ValueError:
// boom"), or else its last non-empty line (what a failed job's output
// usually says last).
func excerpt(msg string) string {
	line, ok := tracebackError(msg)
	if !ok {
		line = strings.TrimRight(msg, " \t\r\n")
		if i := strings.LastIndexByte(line, '\n'); i >= 0 {
			line = line[i+1:]
		}
	}
	if tail, cut := text.Tail(line, maxExcerpt); cut > 0 {
		line = text.Ellipsis + tail
	}
	return strings.Clone(line) // not a slice that keeps the whole message
}

// tracebackHead starts a Python traceback.
const tracebackHead = "Traceback (most recent call last):"

// tracebackError finds the error line of the last traceback in msg: the
// first line after its head that is not indented (its frames are), and
// not the head of a chained one.
func tracebackError(msg string) (string, bool) {
	i := strings.LastIndex(msg, tracebackHead)
	if i < 0 {
		return "", false
	}
	for line := range strings.Lines(msg[i+len(tracebackHead):]) {
		line = strings.TrimRight(line, " \t\r\n")
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		return line, true
	}
	return "", false
}
