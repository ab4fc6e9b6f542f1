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
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pconfig "github.com/prometheus/common/config"
)

// tlsFileCheckInterval is how often a module looks whether its TLS files
// (ca_file, cert_file, key_file) changed on disk.
var tlsFileCheckInterval = 30 * time.Second

// moduleTransport is a module's round tripper, built once from
// prometheus/common's HTTPClientConfig with keep-alives off, so every
// probe opens a new connection.
//
// The TLS files are read when it is built and handed to common as inline
// PEM: common would otherwise read and hash the CA file on every request
// to notice a rotation. Rotation is noticed here instead, by looking at
// the files' size and modification time at most every 30 seconds.
type moduleTransport struct {
	cfg       pconfig.HTTPClientConfig
	userAgent string
	files     []string

	rt      atomic.Pointer[http.RoundTripper]
	checked atomic.Int64 // unix nanoseconds of the last look at the files
	mu      sync.Mutex   // serialises rebuilds
	stamp   string
}

func newModuleTransport(cfg pconfig.HTTPClientConfig, userAgent string) (*moduleTransport, error) {
	t := &moduleTransport{cfg: cfg, userAgent: userAgent}
	for _, f := range []string{cfg.TLSConfig.CAFile, cfg.TLSConfig.CertFile, cfg.TLSConfig.KeyFile} {
		if f != "" {
			t.files = append(t.files, f)
		}
	}
	if err := t.build(); err != nil {
		return nil, err
	}
	t.checked.Store(time.Now().UnixNano())
	return t, nil
}

// build reads the TLS files and builds the round tripper.
func (t *moduleTransport) build() error {
	stamp := fileStamp(t.files)
	cfg := t.cfg
	tc := cfg.TLSConfig
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading TLS file: %w", err)
		}
		return string(b), nil
	}
	var err error
	if tc.CAFile != "" {
		if tc.CA, err = read(tc.CAFile); err != nil {
			return err
		}
		tc.CAFile = ""
	}
	if tc.CertFile != "" {
		if tc.Cert, err = read(tc.CertFile); err != nil {
			return err
		}
		tc.CertFile = ""
	}
	if tc.KeyFile != "" {
		key, err := read(tc.KeyFile)
		if err != nil {
			return err
		}
		tc.Key, tc.KeyFile = pconfig.Secret(key), ""
	}
	cfg.TLSConfig = tc
	rt, err := pconfig.NewRoundTripperFromConfig(cfg, "django_health_exporter",
		pconfig.WithKeepAlivesDisabled(),
		pconfig.WithUserAgent(t.userAgent),
		pconfig.WithDialContextFunc(guardedDial),
	)
	if err != nil {
		return err
	}
	t.rt.Store(&rt)
	t.stamp = stamp
	return nil
}

// RoundTrip sends a request on a new connection.
func (t *moduleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.maybeRebuild()
	return (*t.rt.Load()).RoundTrip(req)
}

// maybeRebuild rebuilds the round tripper when a TLS file changed. A file
// that cannot be read keeps the working round tripper.
func (t *moduleTransport) maybeRebuild() {
	if len(t.files) == 0 {
		return
	}
	now := time.Now().UnixNano()
	last := t.checked.Load()
	if now-last < int64(tlsFileCheckInterval) || !t.checked.CompareAndSwap(last, now) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if fileStamp(t.files) != t.stamp {
		_ = t.build()
	}
}

// fileStamp identifies the versions of files by size and modification time.
func fileStamp(files []string) string {
	var b strings.Builder
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
		} else {
			fmt.Fprintf(&b, "%s:missing;", f)
		}
	}
	return b.String()
}
