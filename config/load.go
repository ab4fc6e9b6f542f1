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
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is everything wrong with a configuration file, one problem a line.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	prefix := "config"
	if e.File != "" {
		prefix = e.File
	}
	if len(e.Problems) == 1 {
		return prefix + ": " + e.Problems[0]
	}
	return prefix + ":\n  " + strings.Join(e.Problems, "\n  ")
}

// LoadFile reads and validates a configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Relative paths in the file (ca_file, token_file, ...) are relative
	// to the file's directory, as in Prometheus.
	c, err := load(data, LoadDefault().Modules, filepath.Dir(path))
	var ce *Error
	if errors.As(err, &ce) {
		ce.File = path
	}
	return c, err
}

// LoadDefault returns the embedded default configuration.
func LoadDefault() *Config {
	c, err := load(defaultYAML, nil, "")
	if err != nil {
		panic("embedded default config is invalid: " + err.Error())
	}
	return c
}

// Load parses and validates a configuration. Unknown keys, wrong types and
// invalid values are errors naming the line and the key.
func Load(data []byte) (*Config, error) {
	return load(data, LoadDefault().Modules, "")
}

// load reads a configuration; builtins are the modules it gets unless it
// defines modules of the same names.
func load(data []byte, builtins map[string]*Module, dir string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Problems: []string{strings.TrimPrefix(err.Error(), "yaml: ")}}
	}

	c := &Config{HeartbeatDefaults: DefaultHeartbeatDefaults}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: decodeProblems(&root, err)}
	}
	v := &validator{root: &root, builtins: builtins, dir: dir}
	c.validate(v)
	if len(v.problems) > 0 {
		return nil, &Error{Problems: v.problems}
	}
	return c, nil
}

// Yaml.v3 reports unknown keys as "line 5: field foo not found in type
// config.plain"; say it in the user's words and add where it is.
var (
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	typeNameRE = regexp.MustCompile(` into (?:\S+\.)?(plain|\S+)$`)
)

func decodeProblems(root *yaml.Node, err error) []string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// An error from a value's own parser (a duration, a size, a TLS
		// version) carries no line: find the scalar it quotes.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if n, path := findScalarIn(root, msg); n != nil {
			return []string{fmt.Sprintf("line %d: %s: %s", n.Line, path, msg)}
		}
		return []string{msg}
	}
	var out []string
	for _, e := range te.Errors {
		m := lineRE.FindStringSubmatch(e)
		if m == nil {
			out = append(out, e)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := unknownRE.FindStringSubmatch(msg); u != nil {
			path := pathOfKey(root, line, u[1])
			out = append(out, fmt.Sprintf("line %d: %s: unknown key %q", line, path, u[1]))
			continue
		}
		msg = typeNameRE.ReplaceAllStringFunc(msg, func(s string) string {
			sub := typeNameRE.FindStringSubmatch(s)
			switch {
			case sub[1] == "plain" || strings.HasPrefix(sub[0], " into map["):
				return " into a mapping"
			case strings.HasPrefix(sub[0], " into []"):
				return " into a list"
			}
			return " into " + sub[1]
		})
		if path := pathAtLine(root, line, msg); path != "" {
			out = append(out, fmt.Sprintf("line %d: %s: %s", line, path, msg))
		} else {
			out = append(out, fmt.Sprintf("line %d: %s", line, msg))
		}
	}
	return out
}

// walk visits every node with its path ("modules.django.checks[2].regex")
// and, for mapping values, the key node, until visit returns false.
func walk(n *yaml.Node, path string, key *yaml.Node, visit func(n *yaml.Node, path string, key *yaml.Node) bool) bool {
	if n == nil {
		return true
	}
	if !visit(n, path, key) {
		return false
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if !walk(c, path, nil, visit) {
				return false
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if !walk(val, p, k, visit) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if !walk(c, fmt.Sprintf("%s[%d]", path, i), nil, visit) {
				return false
			}
		}
	}
	// Aliases are not followed: their content is reported where it is
	// anchored, and a self-referencing alias would never end.
	return true
}

func pathOfKey(root *yaml.Node, line int, name string) string {
	found := name
	walk(root, "", nil, func(_ *yaml.Node, path string, key *yaml.Node) bool {
		if key != nil && key.Line == line && key.Value == name {
			found = path
			return false
		}
		return true
	})
	return found
}

// tagRE reads the node yaml.v3 could not decode: "cannot unmarshal !!str `abc` into int".
var tagRE = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `([^`]*)`)?")

// pathAtLine finds the path of the node a type error is about: the one on
// that line whose kind (and value) the message names.
func pathAtLine(root *yaml.Node, line int, msg string) string {
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
	walk(root, "", nil, func(n *yaml.Node, path string, key *yaml.Node) bool {
		if n.Line != line || path == "" {
			return true
		}
		if fallback == "" {
			fallback = path
		}
		if n.Kind == kind && (value == "" || n.Value == value) {
			found = path
			return false
		}
		return true
	})
	if found == "" {
		return fallback
	}
	return found
}

func findScalarIn(root *yaml.Node, msg string) (*yaml.Node, string) {
	var best *yaml.Node
	bestPath := ""
	walk(root, "", nil, func(n *yaml.Node, path string, key *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode && key != nil && n.Value != "" && strings.Contains(msg, n.Value) {
			// Prefer the longest match: "10x" over "x".
			if best == nil || len(n.Value) > len(best.Value) {
				best, bestPath = n, path
			}
		}
		return true
	})
	return best, bestPath
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

// validator collects problems, each with the line of the key it is about.
type validator struct {
	root     *yaml.Node
	problems []string
	builtins map[string]*Module
	dir      string // of the file, for relative paths
}

func (v *validator) errorf(path []any, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p := formatPath(path)
	if n := lookup(v.root, path...); n != nil && n.Line > 0 {
		v.problems = append(v.problems, fmt.Sprintf("line %d: %s: %s", n.Line, p, msg))
		return
	}
	v.problems = append(v.problems, fmt.Sprintf("%s: %s", p, msg))
}

// at builds a path without aliasing the caller's slice.
func at(base []any, more ...any) []any {
	out := make([]any, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}
