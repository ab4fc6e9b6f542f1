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
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// The body is read once, in chunks, and every consumer sees each chunk as
// it passes: the SHA-256, the byte count, the literal matchers (keywords
// and the Django markers) and, only when a check needs the whole text
// (a regex, a JSON field, a health-check answer), a copy bounded by
// body_size_limit. A body that only needs hashing costs constant memory
// whatever its size.

const chunkSize = 32 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// keptPool recycles the copies of bodies kept for regexes, JSON and
// health checks; copies above maxPooledCopy are left to the GC.
var keptPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

const maxPooledCopy = 1 << 20

// releaseCopy returns a scan's copy to the pool; the copy must not be used
// afterwards.
func releaseCopy(scan *bodyScan) {
	if scan.pooled == nil {
		return
	}
	if cap(*scan.pooled) <= maxPooledCopy {
		*scan.pooled = (*scan.pooled)[:0]
		keptPool.Put(scan.pooled)
	}
	scan.budget.give(scan.held)
	scan.pooled, scan.copy, scan.held = nil, nil, 0
}

// errBodyTooLarge ends reading at body_size_limit.
var errBodyTooLarge = errors.New("body is larger than body_size_limit")

// literal finds one byte string in a stream, across chunk boundaries.
type literal struct {
	pat   []byte
	found bool
	off   bool // not searched for in this body
	// tail holds the last len(pat)-1 bytes seen; window is scratch space
	// for tail plus the head of the next chunk.
	tail   []byte
	window []byte
}

func newLiteral(s string) *literal {
	k := len(s)
	return &literal{pat: []byte(s), tail: make([]byte, 0, k), window: make([]byte, 0, 2*k)}
}

func (l *literal) reset() {
	l.found = false
	l.tail = l.tail[:0]
}

func (l *literal) write(p []byte) {
	if l.off {
		return
	}
	if l.found || len(l.pat) == 0 {
		l.found = true
		return
	}
	k := len(l.pat)
	if len(l.tail) > 0 {
		head := p
		if len(head) > k-1 {
			head = head[:k-1]
		}
		l.window = append(append(l.window[:0], l.tail...), head...)
		if bytes.Contains(l.window, l.pat) {
			l.found = true
			return
		}
	}
	if bytes.Contains(p, l.pat) {
		l.found = true
		return
	}
	// Keep the last k-1 bytes of tail+p for the next boundary.
	keep := k - 1
	if len(p) >= keep {
		l.tail = append(l.tail[:0], p[len(p)-keep:]...)
		return
	}
	l.tail = append(l.tail, p...)
	if over := len(l.tail) - keep; over > 0 {
		copy(l.tail, l.tail[over:])
		l.tail = l.tail[:keep]
	}
}

// bodyScan is the outcome of reading a body.
type bodyScan struct {
	n      int64
	sum    string // hex SHA-256
	copy   []byte // nil unless kept
	copied bool   // the copy is the whole body
	err    error
	pooled *[]byte // where copy lives, for releaseCopy
	// held is what the copy holds of budget; refused is set when the
	// budget had no room for the copy to grow, which then stopped.
	held    int64
	budget  *Budget
	refused bool
}

// match is the handle of one literal the body scan looks for: what a
// check or the Django detector holds instead of an offset into the
// scanner's literals. Only a literalSet makes one.
type match struct{ i int }

// literalSet is the strings a body scan looks for, each added once by
// whoever needs it (a keyword check, the Django detector), which keeps
// the handle add returns.
type literalSet struct{ strs []string }

// add adds s and returns its handle.
func (ls *literalSet) add(s string) match {
	ls.strs = append(ls.strs, s)
	return match{len(ls.strs) - 1}
}

// scanner makes a scanner for the set's literals.
func (ls *literalSet) scanner() *scanner {
	s := &scanner{literals: make([]*literal, len(ls.strs))}
	for i, l := range ls.strs {
		s.literals[i] = newLiteral(l)
	}
	return s
}

// found is what one scan found, read through handles.
type found []bool

// has reports whether the scan found the literal of m.
func (f found) has(m match) bool { return f[m.i] }

type scanner struct {
	hash     hash.Hash
	literals []*literal
	limit    int64 // 0: none
	keep     int64 // bytes to copy; 0: none
	sizeHint int64 // Content-Length when known, to size the copy
	budget   *Budget
}

// at is the literal of a handle, to turn its search off for one scan.
func (s *scanner) at(m match) *literal { return s.literals[m.i] }

// found is what the last scan found.
func (s *scanner) found() found {
	f := make(found, len(s.literals))
	for i, l := range s.literals {
		f[i] = l.found
	}
	return f
}

func (s *scanner) scan(r io.Reader) bodyScan {
	if s.hash == nil {
		s.hash = sha256.New()
	} else {
		s.hash.Reset()
	}
	for _, l := range s.literals {
		l.reset()
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp

	out := bodyScan{budget: s.budget}
	var kept []byte
	if s.keep > 0 {
		out.pooled = keptPool.Get().(*[]byte)
		kept = (*out.pooled)[:0]
		if out.refused = !out.budget.take(int64(cap(kept))); !out.refused {
			out.held = int64(cap(kept))
			if want := min(s.sizeHint, s.keep); want > out.held {
				kept = out.grow(kept, want)
			}
		}
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if s.limit > 0 && out.n+int64(n) > s.limit {
				chunk = chunk[:s.limit-out.n]
				out.err = fmt.Errorf("%w (%d bytes)", errBodyTooLarge, s.limit)
			}
			out.n += int64(len(chunk))
			s.hash.Write(chunk)
			for _, l := range s.literals {
				l.write(chunk)
			}
			if s.keep > 0 && !out.refused && int64(len(kept)) < s.keep {
				part := chunk[:min(int64(len(chunk)), s.keep-int64(len(kept)))]
				if need := int64(len(kept) + len(part)); need > int64(cap(kept)) {
					kept = out.grow(kept, min(s.keep, max(need, 2*int64(cap(kept)))))
				}
				if !out.refused {
					kept = append(kept, part...)
				}
			}
			if out.err != nil {
				break
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			out.err = err
			break
		}
	}
	out.sum = hex.EncodeToString(s.hash.Sum(nil))
	if s.keep > 0 {
		*out.pooled = kept
		out.copy = kept
		out.copied = out.err == nil && int64(len(out.copy)) == out.n
	}
	return out
}

// grow gives the copy a capacity of size, when the budget has room for
// it; else it marks the scan refused and returns the copy as it was.
func (out *bodyScan) grow(kept []byte, size int64) []byte {
	if !out.budget.take(size - out.held) {
		out.refused = true
		return kept
	}
	out.held = size
	grown := make([]byte, len(kept), size)
	copy(grown, kept)
	return grown
}

// decodeBody undoes a Content-Encoding the checks cannot read through.
func decodeBody(body io.Reader, encoding string) (io.Reader, func(), error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return body, func() {}, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip body: %w", err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case "deflate":
		// "deflate" is zlib-wrapped by the RFC, raw DEFLATE by some servers:
		// look at the first two bytes without losing them.
		br := bufio.NewReader(body)
		hdr, _ := br.Peek(2)
		if len(hdr) == 2 && hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, nil, fmt.Errorf("reading deflate body: %w", err)
			}
			return zr, func() { _ = zr.Close() }, nil
		}
		fr := flate.NewReader(br)
		return fr, func() { _ = fr.Close() }, nil
	default:
		return nil, nil, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
}
