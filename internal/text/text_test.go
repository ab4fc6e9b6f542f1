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

package text

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCutNeverSplitsACharacter(t *testing.T) {
	s := strings.Repeat("é", 10) // 2 bytes each
	for n := 0; n <= len(s)+1; n++ {
		got := Cut(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Cut(%d) = %q: not valid UTF-8", n, got)
		}
		if body := strings.TrimSuffix(got, Ellipsis); len(body) > n {
			t.Fatalf("Cut(%d) kept %d bytes", n, len(body))
		}
		if n >= len(s) && got != s {
			t.Fatalf("Cut(%d) = %q, want it whole", n, got)
		}
	}
	if got := Cut("ab\xffcd", 10); got != "ab\uFFFDcd" {
		t.Errorf("invalid UTF-8: %q", got)
	}
	if got := CutBytes([]byte("日本語テキスト"), 4); got != "日"+Ellipsis {
		t.Errorf("CutBytes = %q", got)
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	got, cut := Tail("ééé", 3)
	if got != "é" || cut != 4 {
		t.Errorf("Tail = %q, %d", got, cut)
	}
	if got, cut := Tail("short", 10); got != "short" || cut != 0 {
		t.Errorf("Tail = %q, %d", got, cut)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		700 * time.Millisecond: "0.70s",
		0:                      "0s",
		time.Second:            "1s",

		9*time.Second + 994*time.Millisecond: "9.99s",
		45 * time.Second:                     "45s",
		8 * time.Minute:                      "8m",
		2*time.Hour + 5*time.Minute:          "2h 5m",
		3 * time.Hour:                        "3h",
		47 * time.Hour:                       "47h",
		3*24*time.Hour + 4*time.Hour:         "3d 4h",
		14 * 24 * time.Hour:                  "14d",
		-90 * time.Second:                    "-1m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"nightly-report", "nightly-reports", "celery-beat", "deploy"}
	for s, want := range map[string]string{
		"nightly-reprot": "nightly-report,nightly-reports", // a swap, nearest first
		"nightly-repor":  "nightly-report,nightly-reports", // a letter missing
		"celery-bet":     "celery-beat",
		"deploy":         "", // itself is no suggestion
		"backup":         "", // nothing near
		"x":              "", // far from everything
	} {
		if got := strings.Join(Closest(s, names, 2), ","); got != want {
			t.Errorf("Closest(%q) = %q, want %q", s, got, want)
		}
	}
}
