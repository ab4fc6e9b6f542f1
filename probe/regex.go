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
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// errDeadline ends a check that ran out of the probe's time.
var errDeadline = errors.New("stopped at the probe's deadline")

// boundedRegexp is a check's regular expression, matched within the
// probe's deadline. Go's engines take time linear in the input, but the
// factor is the size of the compiled program: a pathological pattern over
// a 1 MiB body ran for 21 s. Inputs whose size times the program's stays
// under fastWork are matched directly (at most a fraction of a second,
// and the literal-prefix fast path stays); larger ones through a reader
// that ends the match when the probe's context is done.
type boundedRegexp struct {
	*regexp.Regexp
	insts int
}

// fastWork bounds bytes x instructions of a direct match: about 0.1 s of
// the NFA's worst case.
const fastWork = 1 << 24

func newBoundedRegexp(re *regexp.Regexp) *boundedRegexp {
	b := &boundedRegexp{Regexp: re, insts: 1 << 20}
	if parsed, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		if prog, err := syntax.Compile(parsed.Simplify()); err == nil {
			b.insts = len(prog.Inst)
		}
	}
	return b
}

// find is FindIndex, ended with errDeadline when ctx is done first.
func (b *boundedRegexp) find(ctx context.Context, data []byte) ([]int, error) {
	if int64(len(data))*int64(b.insts) <= fastWork {
		return b.FindIndex(data), nil
	}
	r := &deadlineReader{data: data, done: ctx.Done()}
	loc := b.FindReaderIndex(r)
	if r.stopped {
		return nil, fmt.Errorf("%w after %d of %d bytes", errDeadline, r.pos, len(data))
	}
	return loc, nil
}

// deadlineReader reads runes from data until done is closed.
type deadlineReader struct {
	data    []byte
	pos     int
	n       int
	done    <-chan struct{}
	stopped bool
}

func (r *deadlineReader) ReadRune() (rune, int, error) {
	if r.pos >= len(r.data) || r.stopped {
		return 0, 0, io.EOF
	}
	if r.n++; r.n&255 == 0 {
		select {
		case <-r.done:
			r.stopped = true
			return 0, 0, io.EOF
		default:
		}
	}
	if c := r.data[r.pos]; c < utf8.RuneSelf {
		r.pos++
		return rune(c), 1, nil
	}
	ru, size := utf8.DecodeRune(r.data[r.pos:])
	r.pos += size
	return ru, size, nil
}
