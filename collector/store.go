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
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Store keeps heartbeat records, and their last messages, in a bbolt file
// under --storage.path.
//
// bbolt (the store of etcd) gives crash-safe transactions with an fsync
// per commit. Writes go through one writer goroutine that commits every
// write queued while the previous commit was on its way to the disk, so
// concurrent pings share one fsync (group commit) without a timer adding
// latency to a lone ping. Put returns once its commit is on disk: a ping
// answered 200 survives kill -9.
//
// The messages have a bucket of their own and are not kept in memory:
// 10,000 heartbeats with 10 KiB of output each would be 100 MB.
type Store struct {
	db     *bolt.DB
	path   string
	writes chan storeWrite
	wg     sync.WaitGroup
	logger *slog.Logger

	closeMu sync.RWMutex // held for reading while queueing
	closed  bool

	mu      sync.Mutex
	commits uint64
	written uint64
	// Recovered names the damaged file moved aside when the store was
	// opened, "" when it opened fine.
	Recovered string
}

type storeWrite struct {
	key     string
	value   []byte // nil deletes the record and its message
	message []byte // nil keeps the message
	done    chan error
}

var (
	bucketHeartbeats = []byte("heartbeats")
	bucketMessages   = []byte("messages")
)

// maxBatch bounds one commit, so that one transaction stays small.
const maxBatch = 4096

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
	for _, line := range strings.Split(string(out), "\n") {
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
	var err error
	if opts.CheckInChild {
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
	s := &Store{db: db, path: path, writes: make(chan storeWrite, maxBatch), logger: logger, Recovered: recovered}
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
			for _, b := range [][]byte{bucketHeartbeats, bucketMessages} {
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
			for _, b := range [][]byte{bucketHeartbeats, bucketMessages} {
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

// Load returns every record.
func (s *Store) Load() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := contain(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketHeartbeats).ForEach(func(k, v []byte) error {
				out[string(k)] = append([]byte(nil), v...)
				return nil
			})
		})
	})
	return out, err
}

// Messages calls f with the last message of each name given (names without
// one are skipped), in one read transaction.
func (s *Store) Messages(names []string, f func(name, message string)) error {
	return contain(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketMessages)
			for _, n := range names {
				if v := b.Get([]byte(n)); v != nil {
					f(n, string(v))
				}
			}
			return nil
		})
	})
}

// Put queues a record, and the heartbeat's last message when message is
// not nil, and returns a channel that receives the outcome once the commit
// holding them is on disk. Writes are committed in the order they are
// queued.
func (s *Store) Put(key string, value, message []byte) <-chan error {
	return s.queue(storeWrite{key: key, value: value, message: message})
}

// Delete queues the removal of a record and its message.
func (s *Store) Delete(key string) <-chan error { return s.queue(storeWrite{key: key}) }

func (s *Store) queue(w storeWrite) <-chan error {
	w.done = make(chan error, 1)
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		w.done <- ErrStoreClosed
		return w.done
	}
	s.writes <- w
	return w.done
}

func (s *Store) writer() {
	defer s.wg.Done()
	for first := range s.writes {
		batch := []storeWrite{first}
	collect:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break collect
				}
				batch = append(batch, w)
			default:
				break collect
			}
		}
		err := contain(func() error { return s.db.Update(func(tx *bolt.Tx) error { return apply(tx, batch) }) })
		if err != nil {
			s.logger.Error("Could not write to the heartbeat store", "file", s.path, "writes", len(batch), "err", err)
		}
		s.mu.Lock()
		s.commits++
		s.written += uint64(len(batch))
		s.mu.Unlock()
		for _, w := range batch {
			w.done <- err
		}
	}
}

func apply(tx *bolt.Tx, batch []storeWrite) error {
	records, messages := tx.Bucket(bucketHeartbeats), tx.Bucket(bucketMessages)
	for _, w := range batch {
		key := []byte(w.key)
		var err error
		switch {
		case w.value == nil:
			if err = records.Delete(key); err == nil {
				err = messages.Delete(key)
			}
		case w.message != nil:
			if err = records.Put(key, w.value); err == nil {
				err = messages.Put(key, w.message)
			}
		default:
			err = records.Put(key, w.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Stats reports commits and writes so far: writes/commits is how many
// pings share an fsync.
func (s *Store) Stats() (commits, writes uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits, s.written
}

// Close waits for queued writes and closes the file.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.closeMu.Unlock()
	s.wg.Wait()
	return contain(s.db.Close)
}

// ErrStoreClosed is returned for writes after Close.
var ErrStoreClosed = errors.New("store closed")

var (
	storeCommitsDesc = prometheus.NewDesc("django_health_exporter_heartbeat_store_commits_total",
		"Commits (each one fsync) of the heartbeat store.", nil, nil)
	storeWritesDesc = prometheus.NewDesc("django_health_exporter_heartbeat_store_writes_total",
		"Records written to the heartbeat store; writes/commits is how many pings share an fsync.", nil, nil)
	storeRecoveredDesc = prometheus.NewDesc("django_health_exporter_heartbeat_store_recovered",
		"1 when the store file was damaged at start, moved aside, and the exporter started with an empty store.", nil, nil)
)

// Describe and Collect make the store's counters a Prometheus collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeCommitsDesc
	ch <- storeWritesDesc
	ch <- storeRecoveredDesc
}

// Collect reports the store's commits and writes.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	commits, writes := s.Stats()
	recovered := 0.0
	if s.Recovered != "" {
		recovered = 1
	}
	ch <- prometheus.MustNewConstMetric(storeCommitsDesc, prometheus.CounterValue, float64(commits))
	ch <- prometheus.MustNewConstMetric(storeWritesDesc, prometheus.CounterValue, float64(writes))
	ch <- prometheus.MustNewConstMetric(storeRecoveredDesc, prometheus.GaugeValue, recovered)
}
