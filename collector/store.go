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
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// Store keeps heartbeat records in a bbolt file under --storage.path.
//
// bbolt (the store of etcd) gives crash-safe transactions with an fsync
// per commit. Writes go through one writer goroutine that commits every
// write queued while the previous commit was on its way to the disk, so
// concurrent pings share one fsync (group commit) without a timer adding
// latency to a lone ping. Put returns once its commit is on disk: a ping
// answered 200 survives kill -9.
type Store struct {
	db     *bolt.DB
	writes chan storeWrite
	wg     sync.WaitGroup

	closeMu sync.RWMutex // held for reading while queueing
	closed  bool

	mu      sync.Mutex
	commits uint64
	written uint64
}

type storeWrite struct {
	key   string
	value []byte // nil deletes the key
	done  chan error
}

var bucketHeartbeats = []byte("heartbeats")

// maxBatch bounds one commit, so that one transaction stays small.
const maxBatch = 4096

// OpenStore opens (or creates) dir/heartbeats.db.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage path: %w", err)
	}
	path := filepath.Join(dir, "heartbeats.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 5 * time.Second, // another exporter holding the file
		// The freelist is rebuilt on open instead of being written with
		// every commit: less to sync per ping.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketHeartbeats)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	s := &Store{db: db, writes: make(chan storeWrite, maxBatch)}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Load returns every record.
func (s *Store) Load() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHeartbeats).ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	return out, err
}

// Put queues a write and returns a channel that receives its outcome once
// the commit holding it is on disk. Writes are committed in the order they
// are queued.
func (s *Store) Put(key string, value []byte) <-chan error {
	done := make(chan error, 1)
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		done <- ErrStoreClosed
		return done
	}
	s.writes <- storeWrite{key: key, value: value, done: done}
	return done
}

// Delete queues the removal of a record.
func (s *Store) Delete(key string) <-chan error { return s.Put(key, nil) }

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
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketHeartbeats)
			for _, w := range batch {
				var err error
				if w.value == nil {
					err = b.Delete([]byte(w.key))
				} else {
					err = b.Put([]byte(w.key), w.value)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		s.mu.Lock()
		s.commits++
		s.written += uint64(len(batch))
		s.mu.Unlock()
		for _, w := range batch {
			w.done <- err
		}
	}
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
	return s.db.Close()
}

// ErrStoreClosed is returned for writes after Close.
var ErrStoreClosed = errors.New("store closed")

var (
	storeCommitsDesc = prometheus.NewDesc("django_health_exporter_heartbeat_store_commits_total",
		"Commits (each one fsync) of the heartbeat store.", nil, nil)
	storeWritesDesc = prometheus.NewDesc("django_health_exporter_heartbeat_store_writes_total",
		"Records written to the heartbeat store; writes/commits is how many pings share an fsync.", nil, nil)
)

// Describe and Collect make the store's counters a Prometheus collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeCommitsDesc
	ch <- storeWritesDesc
}

// Collect reports the store's commits and writes.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	commits, writes := s.Stats()
	ch <- prometheus.MustNewConstMetric(storeCommitsDesc, prometheus.CounterValue, float64(commits))
	ch <- prometheus.MustNewConstMetric(storeWritesDesc, prometheus.CounterValue, float64(writes))
}
