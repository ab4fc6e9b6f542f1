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
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/django-health/django_health_exporter/config"
)

// chunkedReader hands out a body in reads of the given sizes, so that a
// pattern falls across read boundaries.
type chunkedReader struct {
	data  []byte
	sizes []int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[0])
		c.sizes = c.sizes[1:]
	}
	n = min(n, len(p))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// The streaming matcher agrees with bytes.Contains however the body is
// cut into reads.
func TestLiteralAcrossBoundaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab<>DEBUG = True")
	for range 3000 {
		body := make([]byte, rng.IntN(200))
		for j := range body {
			body[j] = alphabet[rng.IntN(len(alphabet))]
		}
		pat := make([]byte, 1+rng.IntN(6))
		for j := range pat {
			pat[j] = alphabet[rng.IntN(3)]
		}
		if rng.IntN(3) == 0 && len(body) > len(pat) {
			at := rng.IntN(len(body) - len(pat))
			copy(body[at:], pat)
		}
		var sizes []int
		for range 50 {
			sizes = append(sizes, 1+rng.IntN(len(pat)+3))
		}
		s := scanner{literals: []*literal{newLiteral(string(pat))}}
		scan := s.scan(&chunkedReader{data: body, sizes: sizes})
		if scan.err != nil {
			t.Fatal(scan.err)
		}
		if got, want := s.literals[0].found, bytes.Contains(body, pat); got != want {
			t.Fatalf("pattern %q in %q (reads %v): found=%v, want %v", pat, body, sizes, got, want)
		}
	}
}

func TestScanHashesCountsAndKeeps(t *testing.T) {
	body := strings.Repeat("Acme Shop ", 10_000)
	sum := sha256.Sum256([]byte(body))
	s := scanner{literals: []*literal{newLiteral("Shop Acme"), newLiteral("nope")}, keep: 1 << 20}
	scan := s.scan(iotest.OneByteReader(strings.NewReader(body)))
	if scan.err != nil || scan.n != int64(len(body)) || scan.sum != hex.EncodeToString(sum[:]) {
		t.Fatalf("scan = n %d sum %s err %v", scan.n, scan.sum, scan.err)
	}
	if !s.literals[0].found || s.literals[1].found {
		t.Errorf("literals found = %v, %v", s.literals[0].found, s.literals[1].found)
	}
	if !scan.copied || string(scan.copy) != body {
		t.Error("the kept copy is the whole body")
	}

	// The copy stops at its limit and says it is partial.
	s = scanner{keep: 100}
	scan = s.scan(strings.NewReader(body))
	if len(scan.copy) != 100 || scan.copied || scan.n != int64(len(body)) {
		t.Errorf("partial copy: len %d copied %v n %d", len(scan.copy), scan.copied, scan.n)
	}
}

func TestScanStopsAtLimit(t *testing.T) {
	s := scanner{limit: 1000}
	scan := s.scan(strings.NewReader(strings.Repeat("x", 5000)))
	if !errors.Is(scan.err, errBodyTooLarge) || scan.n != 1000 {
		t.Errorf("n %d err %v", scan.n, scan.err)
	}
	scan = s.scan(strings.NewReader(strings.Repeat("x", 1000)))
	if scan.err != nil || scan.n != 1000 {
		t.Errorf("a body of exactly the limit passes: n %d err %v", scan.n, scan.err)
	}
}

// Memory stays flat however long the body: nothing is kept unless a check
// needs it.
func TestScanMemoryIsConstant(t *testing.T) {
	s := scanner{literals: []*literal{newLiteral("DEBUG = True</code>")}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	scan := s.scan(io.LimitReader(zeroReader{}, 256<<20))
	runtime.ReadMemStats(&after)
	if scan.n != 256<<20 {
		t.Fatalf("read %d", scan.n)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("scanning 256 MiB allocated %d bytes", grew)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func compress(t *testing.T, encoding string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "raw-deflate":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Compressed answers are decoded before the checks, and body_size_limit
// counts decoded bytes, so a small compressed bomb fails the probe.
func TestCompressedBodies(t *testing.T) {
	page := []byte("<html><h1>Acme Shop</h1>" + strings.Repeat("<p>coffee</p>", 1000) + "</html>")
	for _, enc := range []string{"gzip", "deflate", "raw-deflate"} {
		t.Run(enc, func(t *testing.T) {
			wire := compress(t, enc, page)
			header := enc
			if enc == "raw-deflate" {
				header = "deflate"
			}
			var sawAccept string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sawAccept = r.Header.Get("Accept-Encoding")
				w.Header().Set("Content-Encoding", header)
				_, _ = w.Write(wire)
			}))
			defer srv.Close()
			h := newHarness(t, mustConfig(t, `
modules:
  m:
    http: {compression: `+header+`, body_size_limit: 20KiB}
    checks: [{keyword: Acme Shop}, {regex: '(<p>coffee</p>){1000}'}]
  small:
    http: {body_size_limit: 1KiB}
`))
			s := h.probeURL(t, srv.URL, "m")
			s.want(t, map[string]float64{
				"probe_success":                       1,
				"probe_http_uncompressed_body_length": float64(len(page)),
				"probe_http_content_length":           float64(len(wire)),
			})
			if sawAccept != header {
				t.Errorf("Accept-Encoding sent %q, want %q", sawAccept, header)
			}
			if len(wire) > 1024 {
				t.Fatalf("test needs a body that compresses under 1 KiB, got %d", len(wire))
			}
			s = h.probeURL(t, srv.URL, "small")
			s.want(t, map[string]float64{"probe_success": 0, "probe_http_uncompressed_body_length": 1024})
		})
	}
}

func TestCorruptCompressedBodyFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write([]byte("not gzip at all"))
	}))
	defer srv.Close()
	h := newHarness(t, config.LoadDefault())
	h.probeURL(t, srv.URL, "").want(t, map[string]float64{"probe_success": 0})
}
