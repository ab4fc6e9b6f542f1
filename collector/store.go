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
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
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
	errors *limiter // one ERROR a minute for failed commits

	closeMu sync.RWMutex // held for reading while queueing
	closed  bool

	mu      sync.Mutex
	commits uint64
	written uint64
	lastErr error // of the last commit: nil once one succeeds again
	// Recovered names the damaged file moved aside when the store was
	// opened, "" when it opened fine.
	Recovered string
}

type storeWrite struct {
	key     string
	value   []byte // nil deletes the record and its message
	message []byte // nil keeps the message
	window  bool   // an ad-hoc maintenance window's, not a heartbeat's
	done    chan error
}

var (
	bucketHeartbeats = []byte("heartbeats")
	bucketMessages   = []byte("messages")
	// bucketWindows holds the ad-hoc maintenance windows (maintenance.go).
	bucketWindows = []byte("maintenance")
	buckets       = [][]byte{bucketHeartbeats, bucketMessages, bucketWindows}
)

// maxBatch bounds one commit, so that one transaction stays small.
const maxBatch = 4096

// Load returns every record.
func (s *Store) Load() (map[string][]byte, error) { return s.load(bucketHeartbeats) }

// LoadWindows returns every ad-hoc maintenance window.
func (s *Store) LoadWindows() (map[string][]byte, error) { return s.load(bucketWindows) }

// PutWindow queues an ad-hoc maintenance window (nil deletes it), as Put
// does a record.
func (s *Store) PutWindow(key string, value []byte) <-chan error {
	return s.queue(storeWrite{key: key, value: value, window: true})
}

func (s *Store) load(bucket []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := contain(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			err := tx.Bucket(bucket).ForEach(func(k, v []byte) error {
				out[string(k)] = append([]byte(nil), v...)
				return nil
			})
			if err == nil {
				if rerr := releaseMapped(s.db.Info().Data); rerr != nil {
					s.logger.Debug("Could not release the store's mapped pages", "err", rerr)
				}
			}
			return err
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
	// The pages commits read through the mapping are given back a while
	// after the writes stop, and at most every releaseEvery.
	tick := time.NewTicker(releaseEvery)
	defer tick.Stop()
	touched := false
	for {
		var first storeWrite
		select {
		case w, ok := <-s.writes:
			if !ok {
				return
			}
			first = w
		case <-tick.C:
			if touched {
				s.release()
				touched = false
			}
			continue
		}
		touched = true
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
			if ok, suppressed := s.errors.allow("commit", time.Now()); ok {
				s.logger.Error("Could not write to the heartbeat store", "file", s.path, "writes", len(batch), "err", err, "failed_commits_since_last_error", suppressed)
			}
		}
		s.mu.Lock()
		s.commits++
		s.written += uint64(len(batch))
		s.lastErr = err
		s.mu.Unlock()
		for _, w := range batch {
			w.done <- err
		}
	}
}

// releaseEvery is how often the writer gives back the pages its commits
// read through the mapping: a burst over 10,000 of 100,000 records reads
// nearly every page of the file.
const releaseEvery = 10 * time.Second

// release gives back the mapping's pages (releaseMapped), within a read
// transaction so that bbolt cannot remap meanwhile.
func (s *Store) release() {
	_ = contain(func() error {
		return s.db.View(func(*bolt.Tx) error {
			if err := releaseMapped(s.db.Info().Data); err != nil {
				s.logger.Debug("Could not release the store's mapped pages", "err", err)
			}
			return nil
		})
	})
}

func apply(tx *bolt.Tx, batch []storeWrite) error {
	records, messages, windows := tx.Bucket(bucketHeartbeats), tx.Bucket(bucketMessages), tx.Bucket(bucketWindows)
	for _, w := range batch {
		key := []byte(w.key)
		var err error
		switch {
		case w.window && w.value == nil:
			err = windows.Delete(key)
		case w.window:
			err = windows.Put(key, w.value)
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

// Healthy is nil unless the last commit failed (a full disk, a file
// gone read-only): then it is that commit's error.
func (s *Store) Healthy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("the heartbeat store %s could not commit: %w", s.path, s.lastErr)
	}
	return nil
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
