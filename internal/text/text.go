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

// Package text holds the small text helpers every package needs: cutting
// text to a byte limit on a character boundary, and writing durations the
// way a person reads them at 3 a.m. Each is written once, here.
package text

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Ellipsis marks text that was cut.
const Ellipsis = "…"

// Cut keeps at most n bytes of the head of s, on a character boundary,
// made valid UTF-8, and marks it with an ellipsis when anything was cut.
// Only the head is read: cutting a large body costs what is kept.
func Cut(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(s[:headBoundary(s, n)], "\uFFFD") + Ellipsis
}

// CutBytes is Cut for a byte slice; only the head is copied.
func CutBytes(b []byte, n int) string {
	return Cut(string(b[:min(len(b), n+utf8.UTFMax)]), n)
}

// Tail keeps at most n bytes of the end of s, on a character boundary,
// made valid UTF-8; it returns how many bytes of the head were cut. The
// end of a log is what says why a job failed.
func Tail(s string, n int) (string, int) {
	cut := 0
	if len(s) > n {
		cut = len(s) - n
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		s = s[cut:]
	}
	return strings.ToValidUTF8(s, "\uFFFD"), cut
}

// headBoundary is the largest i <= n at which a character of s starts.
func headBoundary(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// Duration writes a duration for people: "0.70s" (a decimal under ten
// seconds, so a fast answer does not read "0s"; "1s" when whole), "45s", "8m", "2h 5m", and
// days and hours past 48 hours ("3d 4h"); from ten seconds on, what is
// left of the last unit is dropped. A negative duration gets a minus sign.
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	switch {
	case d < 10*time.Second && d%time.Second != 0:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		m := int(d.Minutes())
		return withRest(m/60, "h", m%60, "m")
	}
	h := int(d.Hours())
	return withRest(h/24, "d", h%24, "h")
}

// withRest writes "3h 5m", or "3h" when the rest is zero.
func withRest(n int, unit string, rest int, restUnit string) string {
	if rest == 0 {
		return fmt.Sprintf("%d%s", n, unit)
	}
	return fmt.Sprintf("%d%s %d%s", n, unit, rest, restUnit)
}

// Closest are the candidates within maxDistance edits (insertions,
// deletions, substitutions, and swaps of two neighbours) of s, nearest
// first and then by name: "did you mean?".
func Closest(s string, candidates []string, maxDistance int) []string {
	type near struct {
		name string
		d    int
	}
	var found []near
	for _, c := range candidates {
		if c == s {
			continue
		}
		if d := distance(s, c); d <= maxDistance {
			found = append(found, near{c, d})
		}
	}
	slices.SortFunc(found, func(a, b near) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(found))
	for i, n := range found {
		out[i] = n.name
	}
	return out
}

// distance is the optimal string alignment distance between a and b,
// by bytes (names here are ASCII).
func distance(a, b string) int {
	if d := len(a) - len(b); d > 8 || d < -8 {
		return max(len(a), len(b)) // far apart: not worth the table
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
