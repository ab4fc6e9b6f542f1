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
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxProblems is how many problems an Error lists; the rest are counted.
// A generated file with thousands of mistakes should say what is wrong,
// not scroll for minutes.
const maxProblems = 100

// Error is everything wrong with a configuration file, one problem a line.
type Error struct {
	File     string
	Problems []string
	// Omitted counts the problems beyond the first maxProblems.
	Omitted int
}

func (e *Error) Error() string {
	prefix := "config"
	if e.File != "" {
		prefix = e.File
	}
	lines := e.Problems
	if e.Omitted > 0 {
		lines = append(slices.Clip(lines), fmt.Sprintf("... and %d more problems", e.Omitted))
	}
	if len(lines) == 1 {
		return prefix + ": " + lines[0]
	}
	return prefix + ":\n  " + strings.Join(lines, "\n  ")
}

// problemList collects problems up to maxProblems and counts the rest.
type problemList struct {
	list    []string
	omitted int
}

func (p *problemList) add(s string) {
	if len(p.list) >= maxProblems {
		p.omitted++
		return
	}
	p.list = append(p.list, s)
}

func (p *problemList) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: p.list, Omitted: p.omitted}
}

// ErrEmpty is the problem of a file with no configuration in it: loaded
// as valid it would turn allow_targets and every heartbeat off.
var ErrEmpty = errors.New("the file is empty (no configuration, only comments or ---): write at least one key, for example `modules: {}`")

// LoadFile reads and validates a configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Relative paths in the file (ca_file, token_file, ...) are relative
	// to the file's directory, as in Prometheus.
	c, err := load(data, LoadDefault().Modules, filepath.Dir(path))
	if ce, ok := errors.AsType[*Error](err); ok {
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
//
// The file is parsed once when it is right: the tree of its nodes, which
// gives a problem its line, is only built when there is a problem (a file
// of 100,000 heartbeats took a second more to start for it).
func load(data []byte, builtins map[string]*Module, dir string) (*Config, error) {
	c := &Config{HeartbeatDefaults: DefaultHeartbeatDefaults}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	derr := dec.Decode(c)
	v := &validator{data: data, dir: dir}
	if derr != nil || maybeEmpty(data) {
		root := v.node()
		switch {
		case root == nil:
			var n yaml.Node
			return nil, &Error{Problems: []string{syntaxProblem(data, yaml.Unmarshal(data, &n))}}
		case isEmptyDocument(root):
			return nil, &Error{Problems: []string{ErrEmpty.Error()}}
		case derr != nil && !errors.Is(derr, io.EOF):
			var problems problemList
			decodeProblems(indexNodes(root), derr, &problems)
			return nil, problems.err()
		}
	}
	c.normalize(v.dir, builtins)
	c.validate(v)
	c.compile(v)
	if err := v.problems.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// validator collects problems, each with the line of the key it is about.
type validator struct {
	// data is the file; root its tree of nodes, parsed from it at the
	// first problem (node).
	data     []byte
	root     *yaml.Node
	parsed   bool
	problems problemList
	dir      string // of the file, for relative paths
	// schedules are the schedules compiled so far, by their text and time
	// zone: a fleet's heartbeats share a few hundred schedules.
	schedules map[scheduleKey]compiledSchedule
}

func (v *validator) errorf(path []any, format string, args ...any) {
	if len(v.problems.list) >= maxProblems {
		v.problems.omitted++ // not worth finding the line of
		return
	}
	msg := fmt.Sprintf(format, args...)
	p := formatPath(path)
	if n := lookup(v.node(), path...); n != nil && n.Line > 0 {
		v.problems.add(fmt.Sprintf("line %d: %s: %s", n.Line, p, msg))
		return
	}
	v.problems.add(fmt.Sprintf("%s: %s", p, msg))
}

// node is the file's tree of nodes, parsed at the first call; nil when
// there is no file or it does not parse.
func (v *validator) node() *yaml.Node {
	if !v.parsed {
		v.parsed = true
		var n yaml.Node
		if v.data != nil && yaml.Unmarshal(v.data, &n) == nil {
			v.root = &n
		}
	}
	return v.root
}

// maybeEmpty says whether a file might hold no configuration: at most one
// line that is not blank, a comment or a document marker (a lone null).
func maybeEmpty(data []byte) bool {
	meaningful := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' || bytes.Equal(line, []byte("---")) || bytes.Equal(line, []byte("...")) {
			continue
		}
		if meaningful++; meaningful > 1 {
			return false
		}
	}
	return true
}

// at builds a path without aliasing the caller's slice.
func at(base []any, more ...any) []any {
	out := make([]any, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}
