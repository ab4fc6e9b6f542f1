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
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// releaseMapped drops the pages of the store's memory mapping from the
// process: Load reads every record once, which leaves the whole file (110
// MiB for 100,000 records) counted in the exporter's RSS though it is
// never read again. They are clean pages of a read-only shared mapping:
// the kernel reads them back from the page cache or the file if a record
// is read again. Callers hold a read transaction, so that bbolt cannot
// remap meanwhile; the mapping's bounds come from /proc/self/maps, never
// guessed.
func releaseMapped(start uintptr) error {
	end, err := mappingEnd(start)
	if err != nil {
		return err
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

// mappingEnd is the end of the mapping that starts at start.
func mappingEnd(start uintptr) (uintptr, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := strconv.FormatUint(uint64(start), 16)
	for sc.Scan() {
		bounds, _, _ := strings.Cut(sc.Text(), " ")
		lo, hi, ok := strings.Cut(bounds, "-")
		if !ok || strings.TrimLeft(lo, "0") != want {
			continue
		}
		end, err := strconv.ParseUint(hi, 16, 64)
		if err != nil || uintptr(end) <= start {
			return 0, fmt.Errorf("bad mapping %q", bounds)
		}
		return uintptr(end), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no mapping starts at %#x", start)
}
