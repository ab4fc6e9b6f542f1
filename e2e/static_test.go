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

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

// staticConfig probes the example shop's page with its static files:
// django.static_assets (the page's host only) and the release header of
// the Python package's middleware.
const staticConfig = `
modules:
  deploy:
    django:
      static_assets: {}
      release: {header: X-Release}
targets:
  - {name: shop, url: "%s/styled/", module: deploy}
`

// tracker is a server on another host (127.0.0.2) that counts what it is
// asked: an asset there is never fetched.
func tracker(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/tracker.js", &hits
}

// startNginx serves STATIC_ROOT through an alias, as a deploy's web
// server does, and passes the rest to Django; extra goes in the server
// block.
func startNginx(t *testing.T, staticRoot, upstream, extra string) (string, string) {
	t.Helper()
	requireProgram(t, "/usr/sbin/nginx", "nginx")
	dir := t.TempDir()
	port := freePort(t)
	accessLog := filepath.Join(dir, "access.log")
	cfg := fmt.Sprintf(`
daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log %[2]s;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[3]d;
    %[6]s
    location /static/ { alias %[4]s/; }
    location / { proxy_pass %[5]s; proxy_set_header Host $http_host; }
  }
}
`, dir, accessLog, port, staticRoot, upstream, extra)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, "nginx", dir, nil, "/usr/sbin/nginx", "-c", conf, "-e", "stderr")
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, u+"/static/shop/site.css", 30*time.Second)
	return u, accessLog
}

// removeCollected deletes a collected file, and its hashed and compressed
// copies: a deploy that lost it.
func removeCollected(t *testing.T, staticRoot, name string) {
	t.Helper()
	base := strings.TrimSuffix(name, filepath.Ext(name))
	matches, _ := filepath.Glob(filepath.Join(staticRoot, base+"*"))
	if len(matches) == 0 {
		t.Fatalf("no collected %s in %s", name, staticRoot)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
}

// The static files of a real Django, as deploys break them, on Django 3.2
// (gunicorn) and 6.1 (runserver): WhiteNoise with its manifest; nginx's
// static alias with a file missing and a path forbidden; a catch-all
// route answering a missing stylesheet with a page. An asset on another
// host and a PDF behind a plain link are never fetched.
func TestStaticAssetsOfARealDjango(t *testing.T) {
	versions := append([]djangoVersion{stableDjango}, newerDjangos(t)[2])
	for _, v := range versions {
		t.Run("Django "+v.name, func(t *testing.T) {
			t.Parallel()
			trackerURL, trackerHits := tracker(t)
			env := []string{"SHOP_TRACKER_URL=" + trackerURL, "DJANGO_HEALTH_EXPORTER_RELEASE=r7"}

			// WhiteNoise serves the manifest's hashed files from Django.
			wn := startDjangoWith(t, v, djangoOptions{collectStatic: true, env: append(env, "DJANGO_STATIC_STORAGE=whitenoise")})
			exp := startExporter(t, fmt.Sprintf(staticConfig, wn.url))
			body := exp.probe(t, "shop", "")
			for series, want := range map[string]float64{
				"probe_success": 1, "probe_django_static_assets_checked": 4, "probe_django_static_assets_broken": 0,
				`probe_django_release_info{release="r7"}`: 1,
			} {
				wantMetric(t, body, series, want)
			}

			// nginx serves STATIC_ROOT; after a deploy that lost app.js, and
			// with the print stylesheet's path forbidden.
			site := startDjangoWith(t, v, djangoOptions{collectStatic: true, env: append(env, "DJANGO_STATIC_STORAGE=manifest")})
			web, accessLog := startNginx(t, site.staticRoot, site.url, "location /static/shop/print { deny all; }")
			removeCollected(t, site.staticRoot, "shop/app.js")
			exp = startExporter(t, fmt.Sprintf(staticConfig, web))
			body = exp.probe(t, "shop", "")
			wantMetric(t, body, "probe_success", 0)
			wantMetric(t, body, "probe_django_static_assets_checked", 4)
			wantMetric(t, body, "probe_django_static_assets_broken", 2)
			wantMetric(t, body, `probe_failed_due_to{reason="static"}`, 1)
			_, debug := get(t, exp.url+"/probe?"+url.Values{"target": {"shop"}, "debug": {"true"}}.Encode())
			for _, want := range []string{"(script, HTTP 404): answered 404", "(stylesheet, HTTP 403): answered 403", "Static assets: 4 checked, 2 broken, 1 on hosts not listed (not fetched)"} {
				if !strings.Contains(debug, want) {
					t.Errorf("the debug account lacks %q:\n%s", want, debug)
				}
			}
			if b, _ := os.ReadFile(accessLog); strings.Contains(string(b), "manual") {
				t.Errorf("the PDF behind a plain link was fetched:\n%s", b)
			}

			// A catch-all route answers the files nobody serves with a page.
			catchAll := startDjangoWith(t, v, djangoOptions{env: append(env, "DJANGO_CATCH_ALL=1")})
			exp = startExporter(t, fmt.Sprintf(staticConfig, catchAll.url))
			body = exp.probe(t, "shop", "")
			wantMetric(t, body, "probe_django_static_assets_broken", 4)
			_, debug = get(t, exp.url+"/probe?"+url.Values{"target": {"shop"}, "debug": {"true"}}.Encode())
			if !strings.Contains(debug, "(stylesheet, HTTP 200): answered an HTML page for a stylesheet") {
				t.Errorf("the catch-all's page for a stylesheet is not named:\n%s", debug)
			}
			if n := trackerHits.Load(); n != 0 {
				t.Errorf("the asset on a host not listed was fetched %d times", n)
			}
			if out := wn.proc.output() + catchAll.proc.output(); strings.Contains(out, "manual") {
				t.Errorf("the PDF behind a plain link was fetched:\n%s", out)
			}
		})
	}
	reliability.Record(t, "probes", "static files of a real Django 3.2 and 6.1: WhiteNoise, nginx's alias with a file lost and a path forbidden, a catch-all route",
		"all load with WhiteNoise; 404 and 403 named behind nginx; HTML for a stylesheet named; other hosts and plain links never fetched")
}
