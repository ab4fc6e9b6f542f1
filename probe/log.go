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
	"time"
)

// probeLog keeps a probe's log lines in its Result (for &debug=true, the
// status page and /logs) and passes them on, at debug level, to the
// exporter's logger. The lines are slog records made without a caller
// (capturing one costs more than the rest of the line and says nothing
// about a probe), and nothing is formatted unless somebody reads them.
type probeLog struct {
	r    *Result
	next slog.Handler // nil unless the exporter logs at debug level
}

func newProbeLog(r *Result, logger *slog.Logger) *probeLog {
	l := &probeLog{r: r}
	if logger != nil && logger.Enabled(context.Background(), slog.LevelDebug) {
		l.next = logger.Handler()
	}
	return l
}

func (l *probeLog) log(level slog.Level, msg string, args ...any) {
	rec := slog.NewRecord(time.Now(), level, msg, 0)
	rec.Add(args...)
	l.r.Log = append(l.r.Log, rec)
	if l.next != nil {
		fwd := slog.NewRecord(rec.Time, slog.LevelDebug, msg, 0)
		fwd.AddAttrs(slog.String("target", l.r.Target), slog.String("module", l.r.Module))
		fwd.Add(args...)
		_ = l.next.Handle(context.Background(), fwd)
	}
}

// Info, Warn and Error log a line with slog's key-value arguments.
func (l *probeLog) Info(msg string, args ...any)  { l.log(slog.LevelInfo, msg, args...) }
func (l *probeLog) Warn(msg string, args ...any)  { l.log(slog.LevelWarn, msg, args...) }
func (l *probeLog) Error(msg string, args ...any) { l.log(slog.LevelError, msg, args...) }
