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
	"context"
	"log/slog"
)

// recorder is a slog.Handler that keeps a probe's log lines in its Result
// (for &debug=true, the status page and /logs) and passes them on, at debug
// level, to the exporter's logger. Nothing is formatted unless somebody
// reads it.
type recorder struct {
	r     *Result
	attrs []slog.Attr
	next  slog.Handler
}

func newRecorder(r *Result, logger *slog.Logger) *recorder {
	rec := &recorder{r: r}
	if logger != nil && logger.Enabled(context.Background(), slog.LevelDebug) {
		rec.next = logger.Handler()
	}
	return rec
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(ctx context.Context, rec slog.Record) error {
	kept := rec.Clone()
	kept.AddAttrs(h.attrs...)
	h.r.Log = append(h.r.Log, kept)
	if h.next != nil {
		fwd := slog.NewRecord(rec.Time, slog.LevelDebug, rec.Message, rec.PC)
		fwd.AddAttrs(slog.String("target", h.r.Target), slog.String("module", h.r.Module))
		rec.Attrs(func(a slog.Attr) bool { fwd.AddAttrs(a); return true })
		fwd.AddAttrs(h.attrs...)
		return h.next.Handle(ctx, fwd)
	}
	return nil
}

func (h *recorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &recorder{r: h.r, next: h.next, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *recorder) WithGroup(string) slog.Handler { return h }
