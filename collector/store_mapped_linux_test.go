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
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Load reads every record, then gives the mapping's pages back: the store
// file does not stay in the exporter's RSS.
func TestLoadReleasesMappedPages(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, slog.New(slog.DiscardHandler), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	value := []byte(`{"created":"2026-12-03T00:00:00Z","pings":[1,0,0,0,0,0],"x":"` + strings.Repeat("x", 400) + `"}`)
	var last <-chan error
	for i := range 20000 {
		last = s.Put(fmt.Sprintf("job-%d", i), value, nil)
	}
	if err := <-last; err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = OpenStore(dir, slog.New(slog.DiscardHandler), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	records, err := s.Load()
	if err != nil || len(records) != 20000 {
		t.Fatalf("Load: %d records, %v", len(records), err)
	}
	rss, size := mappingRSS(t, s.db.Info().Data)
	t.Logf("the store's mapping after Load: %d KiB resident of %d KiB", rss, size)
	if size < 8<<10 || rss > 1<<10 {
		t.Errorf("after Load, %d KiB of the %d KiB mapping are resident, want at most 1 MiB", rss, size)
	}
}

// mappingRSS reads /proc/self/smaps for the mapping starting at start:
// its resident and total size, in KiB.
func mappingRSS(t *testing.T, start uintptr) (rss, size int) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := strconv.FormatUint(uint64(start), 16)
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.Contains(fields[0], "-") {
			lo, _, _ := strings.Cut(fields[0], "-")
			if in {
				break
			}
			in = strings.TrimLeft(lo, "0") == want
			continue
		}
		if !in || len(fields) < 2 {
			continue
		}
		n, _ := strconv.Atoi(fields[1])
		switch fields[0] {
		case "Rss:":
			rss = n
		case "Size:":
			size = n
		}
	}
	if size == 0 {
		t.Fatalf("no mapping at %#x in /proc/self/smaps", start)
	}
	return rss, size
}
