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
	"net"
	"net/netip"
	"net/url"
	"syscall"

	"github.com/django-health/django_health_exporter/config"
)

// ErrNotAllowed is returned for a target or a redirect outside allow_targets.
var ErrNotAllowed = errors.New("not in allow_targets")

type policyKey struct{}
type noDialGuardKey struct{}

func withPolicy(ctx context.Context, p *config.AllowList) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, policyKey{}, p)
}

// CheckTarget decides whether ?target= may name u under allow_targets. A
// host name outside the globs is allowed when every address it resolves to
// is inside the networks; the dialer checks the address again when it
// connects, so the name cannot be re-pointed in between.
func CheckTarget(ctx context.Context, p *config.AllowList, u *url.URL) error {
	if p == nil {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if p.MatchIP(ip) {
			return nil
		}
		return fmt.Errorf("%w: address %s", ErrNotAllowed, host)
	}
	if p.MatchName(host) {
		return nil
	}
	if !p.HasNetworks() {
		return fmt.Errorf("%w: host %s", ErrNotAllowed, host)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: host %s does not match and cannot be resolved: %w", ErrNotAllowed, host, err)
	}
	for _, a := range addrs {
		if !p.MatchIP(a) {
			return fmt.Errorf("%w: host %s resolves to %s", ErrNotAllowed, host, a)
		}
	}
	return nil
}

// checkRedirectAllowed applies allow_targets to a redirect. Names outside
// the globs are left to the dialer when the list has networks.
func checkRedirectAllowed(p *config.AllowList, u *url.URL) error {
	if p == nil {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !p.MatchIP(ip) {
			return fmt.Errorf("redirect to %s: %w", host, ErrNotAllowed)
		}
		return nil
	}
	if p.MatchName(host) || p.HasNetworks() {
		return nil
	}
	return fmt.Errorf("redirect to %s: %w", host, ErrNotAllowed)
}

// guardedDial connects like net.Dialer, but when the probe carries an allow
// list and the host name is outside its globs, only to addresses inside
// its networks.
func guardedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	p, _ := ctx.Value(policyKey{}).(*config.AllowList)
	if p != nil && ctx.Value(noDialGuardKey{}) == nil {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if !p.MatchName(host) {
			d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return err
				}
				if !p.MatchIP(ap.Addr()) {
					return fmt.Errorf("connecting to %s: %w", ap.Addr(), ErrNotAllowed)
				}
				return nil
			}
		}
	}
	return d.DialContext(ctx, network, addr)
}
