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

// Storage is where heartbeat records and their last messages are kept,
// as pushgateway's storage.MetricStore is its metrics' place: the
// heartbeats never touch a file themselves. Store (bbolt) is the one
// implementation; a test may bring another.
//
// Records are opaque bytes (JSON) under the heartbeat's name. Writes are
// applied in the order they are queued, and each write's channel
// receives its outcome once it is on disk: a ping is answered 200 only
// then.
type Storage interface {
	// Load returns every record, read once at start.
	Load() (map[string][]byte, error)
	// Messages calls f with the last message of each name that has one.
	Messages(names []string, f func(name, message string)) error
	// Put queues a record, and its last message when message is not nil.
	Put(key string, value, message []byte) <-chan error
	// Delete queues the removal of a record and its message.
	Delete(key string) <-chan error
	// LoadWindows returns every ad-hoc maintenance window, read at start;
	// PutWindow queues one (nil removes it).
	LoadWindows() (map[string][]byte, error)
	PutWindow(key string, value []byte) <-chan error
	// Healthy is nil while the storage can commit, else the error of the
	// last commit, which failed (a full disk): /-/healthy reports it.
	Healthy() error
	// Close waits for queued writes and releases the storage.
	Close() error
}
