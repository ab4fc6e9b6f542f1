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

package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/django-health/django_health_exporter"

// docs/ARCHITECTURE.md lists the imports its diagram draws, a package a
// line; they must be what `go list` says each package imports from this
// module, no more and no less, and every package must be in the diagram.
func TestArchitectureDiagramIsTrue(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	drawn := drawnImports(t, string(doc))
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports ","}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		name := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		if name == "" {
			name = "main.go"
		}
		if strings.HasPrefix(name, "bench") || name == "e2e" || name == "mixin" || strings.HasPrefix(name, "internal/reliability") || name == "internal/testutil" {
			continue // tools and tests, not the exporter
		}
		var own []string
		for imp := range strings.SplitSeq(imports, ",") {
			if after, ok := strings.CutPrefix(imp, module+"/"); ok {
				own = append(own, after)
			}
		}
		slices.Sort(own)
		got, ok := drawn[name]
		if !ok {
			t.Errorf("%s is not in docs/ARCHITECTURE.md's import list", name)
			continue
		}
		if !slices.Equal(got, own) {
			t.Errorf("docs/ARCHITECTURE.md draws %s -> %v; go list says %v", name, got, own)
		}
		if !strings.Contains(string(doc), name+"/") && name != "main.go" {
			t.Errorf("%s is missing from the diagram", name)
		}
		delete(drawn, name)
	}
	for name := range drawn {
		t.Errorf("docs/ARCHITECTURE.md draws %s, which go list does not know", name)
	}
}

// drawnImports reads the block after the "imports:" marker.
func drawnImports(t *testing.T, doc string) map[string][]string {
	_, rest, ok := strings.Cut(doc, "<!-- imports:")
	if !ok {
		t.Fatal("docs/ARCHITECTURE.md has no import list")
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	block, _, _ := strings.Cut(rest, "```")
	drawn := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(block), "\n") {
		from, to, ok := strings.Cut(line, "->")
		if !ok {
			t.Fatalf("not an arrow: %q", line)
		}
		var deps []string
		for d := range strings.SplitSeq(to, ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
		slices.Sort(deps)
		drawn[strings.TrimSpace(from)] = deps
	}
	return drawn
}

// collector/ stays in files a newcomer can read: none over 350 lines.
func TestCollectorFilesStaySmall(t *testing.T) {
	for _, f := range collectorSources(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 350 {
			t.Errorf("%s has %d lines: split it by concern (docs/ARCHITECTURE.md)", f, n)
		}
	}
}

// The heartbeat HTTP contract is written where its handlers are:
// collector.Routes. No other file of the exporter, tests included, mounts
// a pattern under /heartbeat or /api/v1/heartbeats.
func TestHeartbeatRoutesLiveInCollector(t *testing.T) {
	mounts := regexp.MustCompile(`Handle(Func)?\(\s*("[A-Z]+ )?[^,]*"[^"]*/(heartbeat|api/v1/heartbeats)\b`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(path, ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || filepath.Dir(path) == "collector" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if mounts.MatchString(line) {
				t.Errorf("%s:%d mounts a heartbeat route: collector.Routes owns them\n\t%s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The store's format is collector's own: no type of the config package
// is reachable from the stored record, so a change to the file's keys
// cannot change what is on disk (collector/stored.go).
func TestRecordStoresNoConfigType(t *testing.T) {
	fset := token.NewFileSet()
	types := map[string]ast.Expr{}
	for _, f := range collectorSources(t) {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				types[ts.Name.Name] = ts.Type
			}
			return true
		})
	}
	if types["record"] == nil {
		t.Fatal("collector has no type record")
	}
	seen := map[string]bool{}
	var walk func(from string, e ast.Node)
	walk = func(from string, e ast.Node) {
		ast.Inspect(e, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "config" {
					t.Errorf("the stored record holds config.%s (through %s): give it a type of collector's own", x.Sel.Name, from)
				}
				return false
			case *ast.Ident:
				if t, ok := types[x.Name]; ok && !seen[x.Name] {
					seen[x.Name] = true
					walk(x.Name, t)
				}
			}
			return true
		})
	}
	seen["record"] = true
	walk("record", types["record"])
}

// collectorSources are collector's own Go files, tests left out.
func collectorSources(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("collector/*.go")
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
}
