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
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Opening a store file: a damaged one must never end the exporter, at
// every restart. It is checked (in a child process, where bbolt's panics
// cannot take the exporter down), moved aside when damaged, and read
// through once before use.

// ErrDamaged marks a store file bbolt cannot read.
var ErrDamaged = errors.New("the heartbeat store is damaged")

// StoreOptions tune OpenStore.
type StoreOptions struct {
	// CheckInChild reads an existing store file through in a child process
	// (this program run again with DJANGO_HEALTH_EXPORTER_CHECK_STORE set,
	// which CheckStoreAndExit handles) before opening it: bbolt checks
	// some pages in goroutines of its own, where a panic on a damaged page
	// cannot be recovered and would end the exporter, at every restart.
	CheckInChild bool
}

// checkStoreEnv names the file a child process checks.
const checkStoreEnv = "DJANGO_HEALTH_EXPORTER_CHECK_STORE"

// Exit statuses of the check: the file is damaged, or could not be read
// for another reason.
const (
	checkDamaged = 3
	checkFailed  = 4
)

// CheckStoreAndExit is called first thing in main: in the child process
// OpenStore starts, it checks the store file and exits (with Go's status
// 2 if bbolt panics); elsewhere it does nothing.
func CheckStoreAndExit() {
	path := os.Getenv(checkStoreEnv)
	if path == "" {
		return
	}
	db, err := openChecked(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, ErrDamaged) {
			os.Exit(checkDamaged)
		}
		os.Exit(checkFailed)
	}
	_ = db.Close()
	os.Exit(0)
}

// checkInChild runs the check of an existing store file in a child.
func checkInChild(path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil // nothing to check: a new store
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), checkStoreEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() == checkFailed:
		return fmt.Errorf("checking %s: %s", path, lastLine(out))
	case errors.As(err, &ee):
		return fmt.Errorf("%w: checking %s: %s", ErrDamaged, path, lastLine(out))
	}
	return fmt.Errorf("checking %s: %w", path, err)
}

// lastLine is the line of a panic or an error that says what went wrong.
func lastLine(out []byte) string {
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.Contains(line, "heartbeat store") {
			return strings.TrimSpace(line)
		}
	}
	return strings.TrimSpace(string(out[:min(len(out), 300)]))
}

// OpenStore opens (or creates) dir/heartbeats.db and reads it through
// once. A damaged file (bbolt refuses it, or panics reading it) is moved
// aside as heartbeats.db.corrupt-TIME, an ERROR names it, and the
// exporter starts with an empty store: the heartbeats come back as new,
// the probes run on. Other errors (permissions, another exporter holding
// the file) are returned.
func OpenStore(dir string, logger *slog.Logger, opts StoreOptions) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage path: %w", err)
	}
	path := filepath.Join(dir, "heartbeats.db")
	var db *bolt.DB
	// An existing empty file held records once (bbolt writes its pages
	// when it creates one): bbolt would quietly start it anew, so it is
	// damage like any other.
	var err error
	if fi, serr := os.Stat(path); serr == nil && fi.Size() == 0 {
		err = fmt.Errorf("%w: %s is empty (zero bytes)", ErrDamaged, path)
	}
	if err == nil && opts.CheckInChild {
		err = checkInChild(path)
	}
	if err == nil {
		db, err = openChecked(path)
	}
	recovered := ""
	if errors.Is(err, ErrDamaged) {
		recovered = path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
		if rerr := os.Rename(path, recovered); rerr != nil {
			return nil, fmt.Errorf("%w, and it could not be moved aside: %w", err, rerr)
		}
		logger.Error("The heartbeat store was damaged: it was moved aside and the exporter starts with an empty store; see docs/runbook.md#heartbeat-store-damaged",
			"moved_to", recovered, "err", err)
		db, err = openChecked(path)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, writes: make(chan storeWrite, maxBatch), logger: logger, errors: newLimiter(time.Minute, 1), Recovered: recovered}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// openChecked opens a store file, creates its buckets and reads every
// record, turning bbolt's panics on damaged pages into ErrDamaged.
func openChecked(path string) (db *bolt.DB, err error) {
	defer func() {
		if err != nil && db != nil {
			_ = contain(db.Close)
			db = nil
		}
	}()
	err = contain(func() error {
		var oerr error
		db, oerr = bolt.Open(path, 0o600, &bolt.Options{
			Timeout: 5 * time.Second, // another exporter holding the file
			// The freelist is rebuilt on open instead of being written
			// with every commit: less to sync per ping.
			NoFreelistSync: true,
			FreelistType:   bolt.FreelistMapType,
		})
		return oerr
	})
	switch {
	case err == nil:
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch),
		errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrInvalidMapping), errors.Is(err, ErrDamaged):
		return nil, fmt.Errorf("%w: opening %s: %w", ErrDamaged, path, err)
	default:
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = contain(func() error {
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, b := range buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		// Read every key and value now rather than fault on one later:
		// a damaged element can point outside the file.
		return db.View(func(tx *bolt.Tx) error {
			for _, b := range buckets {
				var sum uint32
				if err := tx.Bucket(b).ForEach(func(k, v []byte) error {
					sum = crc32.Update(crc32.Update(sum, crc32.IEEETable, k), crc32.IEEETable, v)
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return db, fmt.Errorf("%w: reading %s: %w", ErrDamaged, path, err)
	}
	return db, nil
}

// contain runs f, turning a panic into an error: bbolt asserts the pages
// it reads, and panics on a damaged one; a read outside the mapped file
// (a damaged element's length) is made a panic too.
func contain(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: bbolt: %v", ErrDamaged, r)
		}
	}()
	return f()
}
