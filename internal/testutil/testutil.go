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

// Package testutil holds what the tests of several packages share.
package testutil

import (
	"bytes"
	"sync"
	"testing"
)

// SyncBuffer collects a log that several goroutines write, for a test to
// read.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NeedsPrograms marks a test that runs programs from Debian's packages
// (Prometheus, Django, Celery, Redis, Chromium). In the fast loop, `go
// test -short ./...`, it is skipped; everywhere else (make test, CI) it
// runs, and a missing program fails it.
func NeedsPrograms(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real programs from Debian's packages; make test runs it")
	}
}
