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
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// AllowList is allow_targets: host name globs ("*.example.com") and IP
// networks ("10.0.0.0/8", "192.0.2.7"). A glob matches the host name as
// written in the URL; a network matches an IP written in the URL or every
// address a host name resolves to (the prober re-checks the address it
// actually connects to, so a name cannot be re-pointed after the check).
type AllowList struct {
	globs []string
	nets  []netip.Prefix
}

// NewAllowList compiles allow_targets. It returns nil for an empty list
// (every target allowed) and one problem string per entry ("" when fine).
func NewAllowList(entries []string) (*AllowList, []string) {
	if len(entries) == 0 {
		return nil, nil
	}
	a := &AllowList{}
	problems := make([]string, len(entries))
	for i, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
			problems[i] = "empty entry"
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				problems[i] = fmt.Sprintf("invalid network %q: %v", e, err)
				continue
			}
			a.nets = append(a.nets, p.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				a.nets = append(a.nets, netip.PrefixFrom(ip, ip.BitLen()))
				continue
			}
			if _, err := path.Match(e, "x"); err != nil || strings.ContainsAny(e, ":@ ") {
				problems[i] = fmt.Sprintf("invalid host pattern %q: want a host name glob such as *.example.com, an IP or a CIDR network", e)
				continue
			}
			a.globs = append(a.globs, e)
		}
	}
	return a, problems
}

// MatchName reports whether a host name matches one of the globs.
func (a *AllowList) MatchName(host string) bool {
	if a == nil {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, g := range a.globs {
		if ok, _ := path.Match(g, host); ok {
			return true
		}
	}
	return false
}

// MatchIP reports whether an address is inside one of the networks.
func (a *AllowList) MatchIP(ip netip.Addr) bool {
	if a == nil {
		return true
	}
	ip = ip.Unmap()
	for _, n := range a.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// HasNetworks reports whether the list has IP networks, so that a host
// name outside the globs may still be allowed by what it resolves to.
func (a *AllowList) HasNetworks() bool { return a != nil && len(a.nets) > 0 }
