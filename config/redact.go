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
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Redacted is how a secret is shown, as prometheus/common's Secret does.
const Redacted = "<secret>"

// sensitiveHeaderWords mark a header whose value is a secret: the
// standard credentials headers, and what API keys and session headers are
// usually called.
var sensitiveHeaderWords = []string{"authorization", "cookie", "token", "secret", "key", "auth", "password", "passwd", "session", "signature", "credential"}

// SensitiveHeader reports whether a header's value must not be shown.
func SensitiveHeader(name string) bool { return containsAnyWord(name, sensitiveHeaderWords) }

// sensitiveQueryWords mark a query parameter whose value is a secret:
// the header words, and the short names signed URLs use.
var sensitiveQueryWords = append([]string{"sig", "pass", "pwd", "jwt", "apikey"}, sensitiveHeaderWords...)

// SensitiveQueryParam reports whether a URL's query parameter holds a
// secret, by its name.
func SensitiveQueryParam(name string) bool { return containsAnyWord(name, sensitiveQueryWords) }

// containsAnyWord reports whether name, in lower case, contains a word.
func containsAnyWord(name string, words []string) bool {
	n := strings.ToLower(name)
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(n, w) })
}

// MarshalRedacted writes v (the configuration, or a module) as YAML with
// every secret hidden: prometheus/common's secrets (they redact
// themselves), and what common leaves plain but is a secret all the same:
// the values of sensitive module headers (Authorization, Cookie, API
// keys), OAuth2 endpoint_params, and the password of a URL. /config, the
// debug account of a probe and /logs all show configuration through it.
func MarshalRedacted(v any) ([]byte, error) {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	redactNode(&doc, "")
	return yaml.Marshal(&doc)
}

// redactNode hides secrets below n, whose key in its mapping is key.
func redactNode(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			redactNode(c, key)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			switch {
			case key == "headers" && val.Kind == yaml.ScalarNode && SensitiveHeader(k.Value):
				hide(val)
			case key == "endpoint_params" && val.Kind == yaml.ScalarNode:
				hide(val)
			case (k.Value == "url" || strings.HasSuffix(k.Value, "_url")) && val.Kind == yaml.ScalarNode:
				val.Value = RedactURL(val.Value)
			default:
				redactNode(val, k.Value)
			}
		}
	}
}

func hide(n *yaml.Node) {
	if n.Value != "" {
		n.Value, n.Style, n.Tag = Redacted, 0, "!!str"
	}
}
