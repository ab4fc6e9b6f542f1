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
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A kept result holds no more than its bounds, whatever the probe logged,
// and the values it keeps are the ones logged.
func TestCompactBoundsEveryLogValue(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	short := slog.NewRecord(time.Now(), slog.LevelInfo, "Received HTTP response", 0)
	short.Add("status_code", 200, "proto", "HTTP/1.1", "took", time.Second)
	long := slog.NewRecord(time.Now(), slog.LevelError, huge, 0)
	long.Add("location", huge, "err", errors.New(huge), "group", slog.GroupValue(slog.String("inner", huge)), "n", 7)
	r := &Result{Target: huge, Log: []slog.Record{short, long}}

	c := r.Compact()
	if c.Size() > 8<<10 {
		t.Errorf("a kept result of 1 MiB log values is %d bytes, want under 8 KiB", c.Size())
	}
	if len(c.Target) > keepTextBytes+len("…") {
		t.Errorf("target kept whole: %d bytes", len(c.Target))
	}
	got := map[string]slog.Value{}
	for _, rec := range c.Log {
		if len(rec.Message) > keepTextBytes+len("…") {
			t.Errorf("a message kept whole: %d bytes", len(rec.Message))
		}
		rec.Attrs(func(a slog.Attr) bool {
			got[a.Key] = a.Value
			return true
		})
	}
	for _, k := range []string{"location", "err", "group"} {
		v := got[k]
		if v.Kind() != slog.KindString || len(v.String()) > keepAttrBytes+len("…") || !strings.HasSuffix(v.String(), "…") {
			t.Errorf("%s kept as %s of %d bytes, want a string cut at %d", k, v.Kind(), len(v.String()), keepAttrBytes)
		}
	}
	if got["status_code"].Int64() != 200 || got["proto"].String() != "HTTP/1.1" || got["took"].Duration() != time.Second || got["n"].Int64() != 7 {
		t.Errorf("short values changed: %v", got)
	}
}
