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

package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file is the one place that knows yaml.v3's messages and rewords
// them: "line 5: field foo not found in type config.plain" becomes
// "line 5: modules.x.foo: unknown key "foo"". Every problem is found in an
// index of the document built once, so a file with thousands of mistakes
// is reported in linear time.

var (
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	typeNameRE = regexp.MustCompile(` into (?:\S+\.)?(plain|\S+)$`)
	// tagRE reads the node yaml.v3 could not decode: "cannot unmarshal !!str `abc` into int".
	tagRE = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `([^`]*)`)?")
)

// placed is a node of the document with its path ("modules.django.checks[2].regex")
// and, for a mapping value, its key.
type placed struct {
	node, key *yaml.Node
	path      string
}

// nodeIndex holds every node of a document, in document order and by line.
type nodeIndex struct {
	all    []placed
	byLine map[int][]int // indexes into all
}

// indexNodes walks the document once. Aliases are not followed: their
// content is reported where it is anchored, and a self-referencing alias
// would never end.
func indexNodes(root *yaml.Node) *nodeIndex {
	idx := &nodeIndex{byLine: map[int][]int{}}
	var walk func(n *yaml.Node, path string, key *yaml.Node)
	walk = func(n *yaml.Node, path string, key *yaml.Node) {
		if n == nil {
			return
		}
		idx.byLine[n.Line] = append(idx.byLine[n.Line], len(idx.all))
		if key != nil && key.Line != n.Line {
			idx.byLine[key.Line] = append(idx.byLine[key.Line], len(idx.all))
		}
		idx.all = append(idx.all, placed{node: n, key: key, path: path})
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, nil)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				walk(val, p, k)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, path+"["+strconv.Itoa(i)+"]", nil)
			}
		}
	}
	walk(root, "", nil)
	return idx
}

// onLine calls f for the nodes written on a line, in document order,
// until it returns false.
func (idx *nodeIndex) onLine(line int, f func(p placed) bool) {
	for _, i := range idx.byLine[line] {
		if !f(idx.all[i]) {
			return
		}
	}
}

// decodeProblems rewords what yaml.v3 said about a document that did not
// decode, adding the path of each problem.
func decodeProblems(idx *nodeIndex, err error, problems *problemList) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// An error from a value's own parser (a duration, a size, a TLS
		// version) carries no line: find the scalar it quotes.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if p, ok := idx.scalarQuotedIn(msg); ok {
			problems.add(fmt.Sprintf("line %d: %s: %s", p.node.Line, p.path, msg))
			return
		}
		problems.add(msg)
		return
	}
	for _, e := range te.Errors {
		m := lineRE.FindStringSubmatch(e)
		if m == nil {
			problems.add(e)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := unknownRE.FindStringSubmatch(msg); u != nil {
			problems.add(fmt.Sprintf("line %d: %s: unknown key %q", line, idx.pathOfKey(line, u[1]), u[1]))
			continue
		}
		msg = typeNameRE.ReplaceAllStringFunc(msg, friendlyTypeName)
		if path := idx.pathAtLine(line, msg); path != "" {
			problems.add(fmt.Sprintf("line %d: %s: %s", line, path, msg))
		} else {
			problems.add(fmt.Sprintf("line %d: %s", line, msg))
		}
	}
}

// friendlyTypeName says "into a mapping" rather than "into config.plain".
func friendlyTypeName(s string) string {
	sub := typeNameRE.FindStringSubmatch(s)
	switch {
	case sub[1] == "plain" || strings.HasPrefix(sub[0], " into map["):
		return " into a mapping"
	case strings.HasPrefix(sub[0], " into []"):
		return " into a list"
	}
	return " into " + sub[1]
}

// pathOfKey is the path of the key called name written on line.
func (idx *nodeIndex) pathOfKey(line int, name string) string {
	found := name
	idx.onLine(line, func(p placed) bool {
		if p.key != nil && p.key.Line == line && p.key.Value == name {
			found = p.path
			return false
		}
		return true
	})
	return found
}

// pathAtLine finds the path of the node a type error is about: the one on
// that line whose kind (and value) the message names.
func (idx *nodeIndex) pathAtLine(line int, msg string) string {
	kind, value := yaml.Kind(0), ""
	if m := tagRE.FindStringSubmatch(msg); m != nil {
		switch m[1] {
		case "seq":
			kind = yaml.SequenceNode
		case "map":
			kind = yaml.MappingNode
		default:
			kind, value = yaml.ScalarNode, m[2]
		}
	}
	found, fallback := "", ""
	idx.onLine(line, func(p placed) bool {
		if p.node.Line != line || p.path == "" {
			return true
		}
		if fallback == "" {
			fallback = p.path
		}
		if p.node.Kind == kind && (value == "" || p.node.Value == value) {
			found = p.path
			return false
		}
		return true
	})
	if found == "" {
		return fallback
	}
	return found
}

// scalarQuotedIn finds the value a parser's message quotes: the first in
// document order whose quoted form (%q, as Go's parsers write it) is in
// the message, else the longest value the message contains.
func (idx *nodeIndex) scalarQuotedIn(msg string) (placed, bool) {
	var best placed
	for _, p := range idx.all {
		n := p.node
		if n.Kind != yaml.ScalarNode || p.key == nil || n.Value == "" {
			continue
		}
		if strings.Contains(msg, strconv.Quote(n.Value)) {
			return p, true
		}
		if strings.Contains(msg, n.Value) && (best.node == nil || len(n.Value) > len(best.node.Value)) {
			best = p
		}
	}
	return best, best.node != nil
}

// lookup finds the node at a path; parts are mapping keys (string) and
// sequence indexes (int). It returns the key node for a mapping entry, so
// that errors point at the line where the key is written.
func lookup(root *yaml.Node, parts ...any) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	at := n
	for _, p := range parts {
		if n == nil {
			return at
		}
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return at
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					at, next = n.Content[i], n.Content[i+1]
					break
				}
			}
			if next == nil {
				return at
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return at
			}
			n = n.Content[p]
			at = n
		}
	}
	return at
}

func formatPath(parts []any) string {
	var b strings.Builder
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

// isEmptyDocument reports whether a parsed file holds no content: nothing,
// only comments, or a bare "---".
func isEmptyDocument(root *yaml.Node) bool {
	if root.Kind == 0 {
		return true
	}
	if root.Kind != yaml.DocumentNode {
		return false
	}
	for _, c := range root.Content {
		if c.Kind != yaml.ScalarNode || c.Tag != "!!null" {
			return false
		}
	}
	return true
}

var syntaxLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// syntaxProblem is a YAML syntax error with the line it is on. For a
// block that goes wrong (a key indented one space too few on line 5),
// yaml.v3 names the line where the enclosing block began (line 1); the
// shortest head of the file that fails with the same message ends on the
// real line, found by bisection (the heads of a file with such an error
// parse until that line, and fail from it on).
func syntaxProblem(data []byte, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := syntaxLineRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	reported, _ := strconv.Atoi(m[1])
	what := m[2]
	lines := bytes.SplitAfter(data, []byte("\n"))
	failsAt := func(k int) bool {
		var n yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		return err != nil && strings.HasSuffix(err.Error(), what)
	}
	lo, hi := reported, len(lines) // the head of hi lines fails
	if lo < 1 || lo > hi || !failsAt(hi) {
		return msg
	}
	for lo < hi {
		if mid := (lo + hi) / 2; failsAt(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fmt.Sprintf("line %d: %s", hi, what)
}
