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
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/config"
)

func TestPageAssets(t *testing.T) {
	page, _ := url.Parse("https://shop.example.com/products/7/")
	body := `<!DOCTYPE html><html><head>
<base href="https://shop.example.com/app/">
<base href="https://ignored.example.com/">
<link rel="stylesheet" href="css/site.css">
<LINK REL="Stylesheet" HREF="css/site.css#again">
<link rel="shortcut icon" href="/favicon.ico">
<link rel="preload" href="/fonts/a.woff2" as="font">
<link rel="modulepreload" href="/js/mod.js">
<link rel="canonical" href="/products/7/">
<link rel="alternate" href="/feed.xml">
<script src="//cdn.example.com/lib.js"></script>
<script>var inline = 1;</script>
</head><body>
<img src="data:image/png;base64,AAAA">
<img src="/media/p.jpg" alt=x>
<img src="javascript:alert(1)">
<a href="/manual.pdf">manual</a>
<img src="">
</body></html>`
	var got []string
	for _, a := range pageAssets(page, []byte(body)) {
		got = append(got, a.kind+" "+a.url.String())
	}
	want := []string{
		"stylesheet https://shop.example.com/app/css/site.css",
		"image https://shop.example.com/favicon.ico",
		"font https://shop.example.com/fonts/a.woff2",
		"script https://shop.example.com/js/mod.js",
		"script https://cdn.example.com/lib.js",
		"image https://shop.example.com/media/p.jpg",
	}
	if !slices.Equal(got, want) {
		t.Errorf("assets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// assetSite is a site whose page links the given assets; it counts the
// requests of each path and the connections it accepts.
type assetSite struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	conns atomic.Int32
}

func newAssetSite(t *testing.T, addr, page string, assets map[string]func(http.ResponseWriter)) *assetSite {
	t.Helper()
	s := &assetSite{hits: map[string]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
			return
		}
		if f, ok := assets[r.URL.Path]; ok {
			f(w)
			return
		}
		http.NotFound(w, r)
	}))
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s.Listener.Close()
		s.Listener = l
	}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *assetSite) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func serve(contentType, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	}
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

// The broken assets of a deploy, each named with why; assets on hosts not
// listed and plain links are never fetched; a listed host is.
func TestStaticAssetsFindWhatADeployBroke(t *testing.T) {
	cdn := newAssetSite(t, "127.0.0.2:0", "", map[string]func(http.ResponseWriter){
		"/lib.js": serve("text/javascript", "var lib;"),
	})
	other := newAssetSite(t, "127.0.0.3:0", "", nil)
	page := fmt.Sprintf(`<html><head>
<link rel="stylesheet" href="/static/site.3f2a.css">
<link rel="stylesheet" href="/static/catchall.css">
<script src="/static/app.9c1d.js"></script>
<script src="%s/lib.js"></script>
<script src="%s/tracker.js"></script>
<link rel="icon" href="/static/forbidden.png">
</head><body><img src="/static/logo.png"><a href="/static/manual.pdf">manual</a></body></html>`, cdn.URL, other.URL)
	site := newAssetSite(t, "", page, map[string]func(http.ResponseWriter){
		"/static/site.3f2a.css": serve("text/css", "body{}"),
		"/static/catchall.css":  serve("text/html; charset=utf-8", "<!DOCTYPE html><html><body>Shop</body></html>"),
		"/static/forbidden.png": status(http.StatusForbidden),
		"/static/logo.png":      serve("image/png", "\x89PNG"),
		"/static/manual.pdf":    serve("application/pdf", "%PDF"),
	})
	cfg, err := config.Load([]byte(fmt.Sprintf("modules:\n  assets:\n    django:\n      static_assets: {hosts: [%q]}\n", strings.TrimPrefix(cdn.URL, "http://"))))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg)
	s := h.probeURL(t, site.URL+"/", "assets")
	s.want(t, map[string]float64{
		"probe_success": 0, "probe_django_static_assets_checked": 6, "probe_django_static_assets_broken": 3,
		"probe_failed_due_to{reason=static}": 1,
	})
	if n := other.hit("/tracker.js"); n != 0 {
		t.Errorf("an asset on a host not listed was fetched %d times", n)
	}
	if n := cdn.hit("/lib.js"); n != 1 {
		t.Errorf("the listed host's asset was fetched %d times, want 1", n)
	}
	if n := site.hit("/static/manual.pdf"); n != 0 {
		t.Errorf("a plain link was fetched %d times", n)
	}
	debug := h.probe(t, url.Values{"target": {site.URL + "/"}, "module": {"assets"}, "debug": {"true"}}, nil).body
	for _, want := range []string{
		"Static assets: 6 checked, 3 broken, 1 on hosts not listed (not fetched)",
		"BROKEN  " + site.URL + "/static/catchall.css (stylesheet, HTTP 200): answered an HTML page for a stylesheet",
		"BROKEN  " + site.URL + "/static/app.9c1d.js (script, HTTP 404): answered 404",
		"BROKEN  " + site.URL + "/static/forbidden.png (image, HTTP 403): answered 403",
	} {
		if !strings.Contains(debug, want) {
			t.Errorf("the debug account lacks %q:\n%s", want, debug)
		}
	}
}

// Assets on the page's host share connections, a few at a time.
func TestStaticAssetsShareConnections(t *testing.T) {
	var links strings.Builder
	assets := map[string]func(http.ResponseWriter){}
	for i := range 10 {
		p := fmt.Sprintf("/static/a%d.css", i)
		fmt.Fprintf(&links, `<link rel="stylesheet" href="%s">`, p)
		assets[p] = serve("text/css", strings.Repeat("x", 2000))
	}
	site := newAssetSite(t, "", "<html><head>"+links.String()+"</head></html>", assets)
	cfg, _ := config.Load([]byte("modules:\n  assets:\n    django:\n      static_assets: {}\n"))
	h := newHarness(t, cfg)
	h.probeURL(t, site.URL+"/", "assets").want(t, map[string]float64{"probe_success": 1, "probe_django_static_assets_checked": 10, "probe_django_static_assets_broken": 0})
	// The page's own connection, and a few for the assets, not one each
	// (11): a connection is reused once its asset was read, though a next
	// asset may start a moment before it is back in the pool.
	if n := site.conns.Load(); n > 1+2*assetConcurrency {
		t.Errorf("%d connections for a page and 10 assets, want at most %d", n, 1+2*assetConcurrency)
	}
}

// An asset that never answers: the probe keeps its timeout and says so.
func TestStaticAssetsKeepTheTimeout(t *testing.T) {
	site := newAssetSite(t, "", `<html><head><script src="/static/slow.js"></script></head></html>`, map[string]func(http.ResponseWriter){
		"/static/slow.js": func(http.ResponseWriter) { time.Sleep(3 * time.Second) },
	})
	cfg, _ := config.Load([]byte("modules:\n  assets:\n    timeout: 1s\n    django:\n      static_assets: {}\n"))
	h := newHarness(t, cfg)
	start := time.Now()
	s := h.probeURL(t, site.URL+"/", "assets")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a 1s probe took %s", took)
	}
	s.want(t, map[string]float64{"probe_success": 0, "probe_failed_due_to{reason=static}": 1, "probe_failed_due_to{reason=timeout}": 1})
}

// allow_targets applies to every asset, hosts: or not.
func TestStaticAssetsObeyTheAllowList(t *testing.T) {
	cdn := newAssetSite(t, "127.0.0.2:0", "", map[string]func(http.ResponseWriter){"/lib.js": serve("text/javascript", "")})
	site := newAssetSite(t, "", fmt.Sprintf(`<script src="%s/lib.js"></script>`, cdn.URL), nil)
	cfg, err := config.Load([]byte(fmt.Sprintf("allow_targets: [127.0.0.1/32]\nmodules:\n  assets:\n    django:\n      static_assets: {hosts: [%q]}\n", strings.TrimPrefix(cdn.URL, "http://"))))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg)
	h.probeURL(t, site.URL+"/", "assets").want(t, map[string]float64{"probe_django_static_assets_broken": 1})
	if n := cdn.hit("/lib.js"); n != 0 {
		t.Errorf("an asset outside allow_targets was fetched %d times", n)
	}
}

func TestReleaseFromHeaderJSONOrRegex(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/readyz":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"database:default": "working", "migrations": "working", "release": "r42"}`)
		default:
			w.Header().Set("X-Release", "r41")
			fmt.Fprint(w, `<html><!-- release 9c1d2e3 --><body>Shop</body></html>`)
		}
	}))
	defer site.Close()
	cfg, err := config.Load([]byte(`modules:
  header: {django: {release: {header: X-Release}}}
  json: {django: {release: {json: release}, health_check: django-health-check}}
  regex: {django: {release: {regex: "release ([0-9a-f]+)"}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg)
	h.probeURL(t, site.URL+"/", "header").want(t, map[string]float64{"probe_django_release_info{release=r41}": 1})
	h.probeURL(t, site.URL+"/", "regex").want(t, map[string]float64{"probe_django_release_info{release=9c1d2e3}": 1})
	// /readyz of the Python package: the checks are backends, the release
	// is not one.
	h.probeURL(t, site.URL+"/readyz", "json").want(t, map[string]float64{
		"probe_success": 1, "probe_django_release_info{release=r42}": 1,
		"probe_django_health_check_up{check=database:default}": 1, "probe_django_health_check_up{check=migrations}": 1,
		"probe_django_health_check_backends": 2,
	})
	for _, bad := range []string{"release: {}", "release: {header: X, json: y}", `release: {regex: "release [0-9a-f]+"}`} {
		if _, err := config.Load([]byte("modules:\n  m:\n    django:\n      " + bad + "\n")); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
