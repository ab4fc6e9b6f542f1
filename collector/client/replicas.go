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

package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Behind one Kubernetes Service a request lands on one replica of the
// exporter, so each replica sees some pings of a heartbeat: its deadline
// (the max over replicas) is right, its counts and senders are split. A
// client that sends every ping to every replica keeps them whole. It may
// name them in two ways:
//
//   - several URLs, separated by commas:
//     http://exporter-0.exporter:9716,http://exporter-1.exporter:9716
//   - one name that resolves to every replica, a headless Service, with
//     dns+ before the scheme (as Thanos and Cortex spell it):
//     dns+http://exporter-headless:9716. The name is resolved at each
//     request (replicas come and go) and the request sent to each
//     address, with the name as its Host and TLS server name.

// dnsPrefix marks a URL whose name is resolved to every replica.
const dnsPrefix = "dns+"

// replica is one exporter a request goes to.
type replica struct {
	base *url.URL
	// addr, when set, is the address to dial instead of base's host.
	addr string
}

func (r replica) String() string {
	if r.addr != "" {
		return r.base.Host + " at " + r.addr
	}
	return r.base.Host
}

// lookupHost resolves a replicas name; tests give the client their own.
type lookupHost func(ctx context.Context, host string) ([]string, error)

// replicas are the exporters of the client's URL, resolved now.
func (c *Client) replicas(ctx context.Context) ([]replica, error) {
	var out []replica
	for raw := range strings.SplitSeq(c.URL, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		resolve := strings.HasPrefix(raw, dnsPrefix)
		u, err := url.Parse(strings.TrimRight(strings.TrimPrefix(raw, dnsPrefix), "/"))
		if err != nil {
			return nil, fmt.Errorf("exporter URL: %w", err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("exporter URL %q: want http://HOST:PORT or dns+http://NAME:PORT", raw)
		}
		if !resolve {
			out = append(out, replica{base: u})
			continue
		}
		addrs, err := c.lookup()(ctx, u.Hostname())
		if err != nil {
			return nil, fmt.Errorf("resolving the replicas of %s: %w", u.Host, err)
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		slices.Sort(addrs)
		for _, a := range slices.Compact(addrs) { // /etc/hosts and DNS may both answer
			out = append(out, replica{base: u, addr: net.JoinHostPort(a, port)})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no exporter URL")
	}
	return out, nil
}

func (c *Client) lookup() lookupHost {
	if c.lookupHost != nil {
		return c.lookupHost
	}
	return net.DefaultResolver.LookupHost
}

// httpClient is the client that reaches r: for a resolved replica, one
// that dials its address whatever the URL's host.
func (c *Client) httpClient(r replica) *http.Client {
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	// Redirects are never followed: a ping, its token and its answer
	// belong to the exporter the URL names.
	client := &http.Client{Transport: base.Transport, Timeout: base.Timeout, CheckRedirect: noRedirects}
	if r.addr == "" {
		return client
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if bt, ok := base.Transport.(*http.Transport); ok {
		t = bt.Clone()
	}
	dialer := &net.Dialer{}
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, r.addr)
	}
	client.Transport = t
	return client
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// callAll sends a request for path (with query) to every replica at
// once, each retried as call does; the error names the replicas that
// failed.
func (c *Client) callAll(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) error {
	// The deadline covers the lookup of the replicas too: a resolver
	// that never answers must not hold the job past --timeout.
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	reps, err := c.replicas(ctx)
	if err != nil {
		return err
	}
	if c.Release != "" {
		query = maps.Clone(query)
		if query == nil {
			query = url.Values{}
		}
		query.Set("release", c.Release)
	}
	errs := make([]error, len(reps))
	var wg sync.WaitGroup
	for i, r := range reps {
		wg.Go(func() {
			u, err := url.Parse(r.base.String() + path)
			if err == nil {
				u.RawQuery = query.Encode()
				err = c.call(ctx, c.httpClient(r), method, u, contentType, body)
			}
			if err != nil {
				errs[i] = err
				if len(reps) > 1 {
					errs[i] = fmt.Errorf("%s: %w", r, err)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
