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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// django.static_assets: once the page passed, the probe fetches the
// stylesheets, scripts, icons and images it links, on the page's own host
// and on the module's hosts only, and says which are broken: the deploy
// where collectstatic did not run, the static alias that points at the
// old release, the bucket whose permissions changed, the catch-all route
// that answers a missing stylesheet with an HTML page.

// Asset kinds.
const (
	assetStylesheet = "stylesheet"
	assetScript     = "script"
	assetImage      = "image"
	assetFont       = "font"
	assetOther      = "other"
)

// assetConcurrency is how many assets one probe fetches at a time.
const assetConcurrency = 4

// assetSniff is how much of an asset is read to decide; assetDrain is how
// much more is read (and thrown away) so the connection can be reused.
const (
	assetSniff = 512
	assetDrain = 256 << 10
)

// AssetsResult is what the static-assets check found.
type AssetsResult struct {
	Checked int
	Broken  []Asset // each broken asset, in the page's order
	// OtherHosts counts assets on hosts not listed (never fetched);
	// OverMax those past max.
	OtherHosts, OverMax int
	// NotRead says why the page could not be read for assets, "" when it
	// was.
	NotRead string
}

// Asset is one asset the page links.
type Asset struct {
	URL    string // redacted
	Kind   string
	Status int // 0: no answer
	Why    string
}

// assetRef is a URL the page links, with what it should be.
type assetRef struct {
	url  *url.URL
	kind string
}

// pageAssets reads the page's HTML with x/net/html's tokenizer (never
// with regexes) and returns the assets it links, each once, resolved
// against <base href> or the page's URL: <link rel=stylesheet|icon|
// preload|modulepreload href>, <script src>, <img src>. data:, blob: and
// javascript: URLs, and every <a href>, are left out.
func pageAssets(page *url.URL, body []byte) []assetRef {
	base := page
	seen := map[string]bool{}
	var refs []assetRef
	add := func(raw, kind string) {
		raw = strings.TrimSpace(raw)
		if raw == "" || raw[0] == '#' {
			return
		}
		u, err := base.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return // data:, blob:, javascript:, mailto: and the unparseable
		}
		u.Fragment = ""
		if key := u.String(); !seen[key] {
			seen[key] = true
			refs = append(refs, assetRef{url: u, kind: kind})
		}
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	baseSet := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return refs
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		a := atom.Lookup(name)
		if a != atom.Base && a != atom.Link && a != atom.Script && a != atom.Img {
			continue
		}
		attrs := map[string]string{}
		for more := true; more; {
			var k, v []byte
			k, v, more = z.TagAttr()
			attrs[string(k)] = string(v)
		}
		switch a {
		case atom.Base:
			if href := attrs["href"]; href != "" && !baseSet {
				if u, err := page.Parse(strings.TrimSpace(href)); err == nil {
					base, baseSet = u, true
				}
			}
		case atom.Script:
			add(attrs["src"], assetScript)
		case atom.Img:
			add(attrs["src"], assetImage)
		case atom.Link:
			if kind := linkKind(attrs["rel"], attrs["as"]); kind != "" {
				add(attrs["href"], kind)
			}
		}
	}
}

// linkKind is what a <link> loads, "" for a link the page does not load
// (canonical, alternate, next, a prefetch of another page).
func linkKind(rel, as string) string {
	for r := range strings.FieldsSeq(strings.ToLower(rel)) {
		switch r {
		case "stylesheet":
			return assetStylesheet
		case "icon", "apple-touch-icon":
			return assetImage
		case "modulepreload":
			return assetScript
		case "preload":
			switch strings.ToLower(as) {
			case "style":
				return assetStylesheet
			case "script":
				return assetScript
			case "image":
				return assetImage
			case "font":
				return assetFont
			}
			return assetOther
		}
	}
	return ""
}

// checkAssets fetches the page's assets into r.Assets, a few at a time,
// within the probe's deadline.
func (m *module) checkAssets(ctx context.Context, req Request, a *answer, r *Result, log *probeLog) {
	cfg := m.cfg.Django.StaticAssets
	res := &AssetsResult{}
	r.Assets = res
	if !a.scan.copied {
		res.NotRead = "the page was not kept whole (body_size_limit, or the memory budget): assets not checked"
		log.Warn("Static assets not checked", "why", res.NotRead)
		return
	}
	page := a.final
	var fetch []assetRef
	for _, ref := range pageAssets(page, a.scan.copy) {
		switch {
		case !sameSite(ref.url, page) && !cfg.AllowsHost(strings.ToLower(ref.url.Host)):
			res.OtherHosts++
		case len(fetch) >= cfg.Max:
			res.OverMax++
		default:
			fetch = append(fetch, ref)
		}
	}
	log.Info("Checking static assets", "assets", len(fetch), "other_hosts", res.OtherHosts, "over_max", res.OverMax)
	results := make([]Asset, len(fetch))
	var wg sync.WaitGroup
	sem := make(chan struct{}, assetConcurrency)
	for i, ref := range fetch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = m.fetchAsset(ctx, req, page, ref)
		})
	}
	wg.Wait()
	res.Checked = len(fetch)
	timedOut := false
	for _, as := range results {
		if as.Why == "" {
			continue
		}
		res.Broken = append(res.Broken, as)
		log.Error("Static asset broken", "url", as.URL, "kind", as.Kind, "status_code", as.Status, "why", as.Why)
		timedOut = timedOut || as.Status == 0 && errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	if n := len(res.Broken); n > 0 {
		first := res.Broken[0]
		r.fail(ReasonStatic, fmt.Sprintf("%d of %d static assets broken, first %s: %s", n, res.Checked, first.URL, first.Why))
		if timedOut {
			r.fail(ReasonTimeout, "the static assets were not all fetched within the probe's timeout")
		}
	}
}

// sameSite reports whether u is on the page's own host (and port).
func sameSite(u, page *url.URL) bool {
	return strings.EqualFold(u.Hostname(), page.Hostname()) && effectivePort(u) == effectivePort(page)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// fetchAsset GETs one asset and decides whether it is broken, reading
// only as much as that needs.
func (m *module) fetchAsset(ctx context.Context, req Request, page *url.URL, ref assetRef) Asset {
	as := Asset{URL: config.RedactedURL(ref.url), Kind: ref.kind}
	broken := func(format string, args ...any) Asset {
		as.Why = text.Cut(fmt.Sprintf(format, args...), 300)
		return as
	}
	if err := checkRedirectAllowed(req.Policy, ref.url); err != nil {
		return broken("not fetched: %v", err)
	}
	r := req
	r.URL = ref.url
	if !sameSite(ref.url, page) {
		r.Hostname = "" // another host's own name, not the target's
	}
	httpReq, err := m.newRequest(ctx, r, http.MethodGet, nil)
	if err != nil {
		return broken("%v", err)
	}
	httpReq.Header.Set("Accept", assetAccept(ref.kind))
	httpReq.Header.Set("Referer", config.RedactedURL(page))
	client := &http.Client{
		Transport: m.rt.assetRT(r.Hostname != ""),
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			if !sameSite(next.URL, page) && !m.cfg.Django.StaticAssets.AllowsHost(strings.ToLower(next.URL.Host)) {
				return fmt.Errorf("redirected to %s, a host static_assets does not list (not fetched)", next.URL.Host)
			}
			return checkRedirectAllowed(req.Policy, next.URL)
		},
	}
	ctx = withPolicy(ctx, req.Policy)
	if r.Hostname != "" {
		ctx = withServerName(ctx, r.Hostname)
	}
	resp, err := client.Do(httpReq.WithContext(ctx))
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return broken("%v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	as.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return broken("answered %d", resp.StatusCode)
	}
	var head [assetSniff]byte
	n, _ := io.ReadFull(resp.Body, head[:])
	// Read on (up to a bound) and throw it away, so that the connection
	// can serve the next asset.
	_, _ = io.CopyN(io.Discard, resp.Body, assetDrain)
	if ref.kind != assetOther && looksLikeHTML(resp.Header.Get("Content-Type"), head[:n]) {
		return broken("answered an HTML page for a %s (a catch-all route, or a missing file behind one)", ref.kind)
	}
	return as
}

func assetAccept(kind string) string {
	switch kind {
	case assetStylesheet:
		return "text/css,*/*;q=0.1"
	case assetImage:
		return "image/avif,image/webp,image/*,*/*;q=0.8"
	}
	return "*/*"
}

// looksLikeHTML: the answer says it is HTML, or starts like HTML.
func looksLikeHTML(contentType string, head []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "text/html") {
		return true
	}
	h := bytes.ToLower(bytes.TrimSpace(head))
	return bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<html"))
}
