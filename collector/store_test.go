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
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-health/django_health_exporter/internal/reliability"
	"github.com/django-health/django_health_exporter/internal/testutil"
)

// TestMain lets the test binary be the child process that checks a store
// file, as the exporter's binary is.
func TestMain(m *testing.M) {
	CheckStoreAndExit()
	// Under -race, a child would wait a second before it exits.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// A damaged store file never crashes the exporter: whatever bytes are
// wrong, OpenStore reads the file, or moves it aside, says so in an ERROR
// and starts with an empty store that works.
func TestDamagedStoreIsMovedAside(t *testing.T) {
	base := t.TempDir()
	s, err := OpenStore(base, slog.New(slog.DiscardHandler), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		rec := fmt.Sprintf(`{"created":"2026-01-01T00:00:00Z","excerpt":"run %d","pings":[1,0,0,0]}`, i)
		if err := <-s.Put(fmt.Sprintf("heartbeat-%03d", i), []byte(rec), []byte(strings.Repeat("output ", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(base, "heartbeats.db"))
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096 // bbolt's page size here
	rng := rand.New(rand.NewPCG(7, 11))
	read, movedAside := 0, 0
	copies := 200
	if raceEnabled {
		copies = 60 // each check is a child process, slower under -race
	}
	for i := 0; i < copies; i++ {
		data := bytes.Clone(good)
		// Damage a few bytes near the start of a page: its header and
		// first elements, where bbolt's assertions look.
		off := rng.IntN(len(data)/page)*page + rng.IntN(128)
		for j := 0; j < 1+rng.IntN(16) && off+j < len(data); j++ {
			data[off+j] = byte(rng.Uint32())
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "heartbeats.db"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		st, err := OpenStore(dir, slog.New(slog.NewTextHandler(&logs, nil)), StoreOptions{CheckInChild: true})
		if err != nil {
			t.Fatalf("damage at byte %d refused the start: %v", off, err)
		}
		if st.Recovered != "" {
			movedAside++
			if _, err := os.Stat(st.Recovered); err != nil || !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), st.Recovered) {
				t.Errorf("damage at byte %d: moved aside to %q without saying so: %v\n%s", off, st.Recovered, err, logs.String())
			}
		} else {
			read++
		}
		if _, err := NewHeartbeats(st, (&holder{}).get, nil, slog.New(slog.DiscardHandler)); err != nil && st.Recovered != "" {
			t.Errorf("an empty store after recovery: %v", err)
		}
		if err := <-st.Put("after", []byte(`{}`), nil); err != nil && st.Recovered != "" {
			t.Errorf("the fresh store does not take writes: %v", err)
		}
		_ = st.Close()
	}
	t.Logf("%d damaged copies: %d read as they were, %d moved aside", copies, read, movedAside)
	if movedAside == 0 {
		t.Error("no damage was detected: the test damages nothing that matters")
	}
	reliability.Record(t, "store", fmt.Sprintf("%d store files with random bytes damaged at page starts", copies),
		fmt.Sprintf("%d read as they were, %d moved aside with an ERROR; never a panic", read, movedAside))

	// A file that is not a store at all.
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "heartbeats.db"), []byte("not a bbolt file"), 0o600)
	st, err := OpenStore(dir, slog.New(slog.DiscardHandler), StoreOptions{CheckInChild: true})
	if err != nil || st.Recovered == "" {
		t.Fatalf("garbage: %v %q", err, st.Recovered)
	}
	_ = st.Close()
}

// An error that is not damage (the directory cannot be written) refuses
// the start with a clear message, and moves nothing.
func TestUnwritableStoreIsAnError(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: use a path under a file instead.
		f := filepath.Join(t.TempDir(), "file")
		_ = os.WriteFile(f, nil, 0o600)
		if _, err := OpenStore(filepath.Join(f, "data"), slog.New(slog.DiscardHandler), StoreOptions{}); err == nil || !strings.Contains(err.Error(), "storage path") {
			t.Errorf("a storage path under a file: %v", err)
		}
		return
	}
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o500)
	if _, err := OpenStore(filepath.Join(dir, "data"), slog.New(slog.DiscardHandler), StoreOptions{}); err == nil {
		t.Error("an unwritable storage path must refuse the start")
	}
}

// An empty store file (a truncation, a bad copy) is damage: moved aside
// with an ERROR and store_recovered 1, not quietly started anew.
func TestEmptyStoreFileIsDamage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "heartbeats.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	s, err := OpenStore(dir, slog.New(slog.NewTextHandler(&logs, nil)), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Recovered == "" || !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "empty") {
		t.Fatalf("an empty store file was not treated as damage: recovered %q, log %s", s.Recovered, logs.String())
	}
	if fi, err := os.Stat(s.Recovered); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was not kept aside: %v", err)
	}
	reliability.Record(t, "store", "zero-length store file at start", "moved aside, ERROR logged, store_recovered 1")
}
