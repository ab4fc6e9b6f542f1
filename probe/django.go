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

import "github.com/django-health/django_health_exporter/config"

// Markers of Django's own pages, taken from the templates of Django 3.2,
// 4.2, 5.2 and 6.0 (django/views/templates/ and views/defaults.py). The
// technical pages are never translated; the apostrophe of "You’re" is
// U+2019 in some versions, so no marker includes it.
const (
	// Footer of technical_500.html and technical_404.html (HTML).
	markerDebugHTML = "because you have <code>DEBUG = True</code>"
	// Footer of technical_500.txt, sent when the client does not accept HTML.
	markerDebugText = "because you have DEBUG = True in your"
	// Summary table of the 500 page, HTML and text.
	markerVersion = "Django Version:"
	// The 404 page, when no URL pattern matched.
	markerURLConf = "Django tried these URL patterns"
	// default_urlconf.html: a fresh project serving with DEBUG on. The
	// sentence around it is translated; the link text is not.
	markerDefaultURLConf = `#debug" target="_blank" rel="noopener">DEBUG=True</a>`
	// The DEBUG-on DisallowedHost page (a technical 500 with status 400).
	markerInvalidHost = "Invalid HTTP_HOST header"
	// The DEBUG-off answer to a SuspiciousOperation, DisallowedHost above all.
	markerBadRequest = "<h1>Bad Request (400)</h1>"
	// The CSRF failure page (403) has a help section only with DEBUG on.
	markerCSRFHelp = "the help section of this page because you have"
)

// djangoMarkers is the order of the markers among a detector's literals.
var djangoMarkers = [...]string{
	markerDebugHTML, markerDebugText, markerVersion, markerURLConf,
	markerDefaultURLConf, markerInvalidHost, markerBadRequest, markerCSRFHelp,
}

const (
	mDebugHTML = iota
	mDebugText
	mVersion
	mURLConf
	mDefaultURLConf
	mInvalidHost
	mBadRequest
	mCSRFHelp
)

// djangoDetector finds Django's DEBUG pages and ALLOWED_HOSTS rejections
// from the markers the body scan found.
type djangoDetector struct {
	markers     markerHandles
	debug, host bool
}

// markerHandles are the handles of Django's markers in a literal set,
// indexed by marker.
type markerHandles [len(djangoMarkers)]match

// addMarkers adds every marker to a literal set.
func addMarkers(ls *literalSet) markerHandles {
	var h markerHandles
	for i, mk := range djangoMarkers {
		h[i] = ls.add(mk)
	}
	return h
}

// prepare turns off the markers that mean nothing for an answer with this
// status, so the scan does not look for them.
func (h *markerHandles) prepare(s *scanner, status int) {
	for i, m := range h {
		s.at(m).off = !markerMatters(i, status)
	}
}

// hits is which markers a scan found, indexed by marker.
func (h *markerHandles) hits(f found) (out [len(djangoMarkers)]bool) {
	for i, m := range h {
		out[i] = f.has(m)
	}
	return out
}

func newDjangoDetector(m *module, cfg config.DjangoProbe) *djangoDetector {
	return &djangoDetector{markers: addMarkers(&m.literals), debug: cfg.DetectDebug, host: cfg.DetectDisallowedHost}
}

// prepare turns off the markers that mean nothing for an answer with this
// status, so the scan does not look for them.
func (d *djangoDetector) prepare(s *scanner, status int) { d.markers.prepare(s, status) }

// markerMatters says whether a marker can mean anything for an answer with
// this status. Django's technical pages come with 400 (SuspiciousOperation),
// 404 and 500, the "install worked" page with 200, the CSRF page with 403.
func markerMatters(marker, status int) bool {
	switch marker {
	case mDebugHTML, mDebugText, mVersion:
		return status == 400 || status == 404 || status >= 500
	case mURLConf:
		return status == 404
	case mDefaultURLConf:
		return status >= 200 && status < 300
	case mInvalidHost, mBadRequest:
		return status == 400
	case mCSRFHelp:
		return status == 403
	}
	return false
}

// djangoVerdict is what the markers of one answer say.
type djangoVerdict struct {
	debug, disallowedHost bool
	debugWhy, hostWhy     string
}

// verdict reads the markers an answer contained; only the detectors
// turned on report.
func (d *djangoDetector) verdict(f found, status int) djangoVerdict {
	hits := d.markers.hits(f)
	v := detectDjango(hits[:], status)
	v.debug = v.debug && d.debug
	v.disallowedHost = v.disallowedHost && d.host
	return v
}

func detectDjango(found []bool, status int) djangoVerdict {
	var v djangoVerdict
	switch {
	case found[mDebugHTML] && found[mVersion]:
		v.debug, v.debugWhy = true, "Django technical error page (DEBUG = True, Django Version shown)"
	case found[mDebugHTML] && found[mURLConf]:
		v.debug, v.debugWhy = true, "Django technical 404 page listing the URL patterns (DEBUG = True)"
	case found[mDebugHTML] && status == 404:
		v.debug, v.debugWhy = true, "Django technical 404 page (DEBUG = True)"
	case found[mDebugText] && found[mVersion]:
		v.debug, v.debugWhy = true, "Django plain-text technical error page (DEBUG = True)"
	case found[mDefaultURLConf]:
		v.debug, v.debugWhy = true, `Django "The install worked successfully" page (DEBUG = True, no URLs configured)`
	case found[mCSRFHelp] && status == 403:
		v.debug, v.debugWhy = true, "Django CSRF failure page with its DEBUG = True help section"
	}
	if status == 400 && found[mInvalidHost] {
		v.disallowedHost, v.hostWhy = true, "Django rejected the Host header: Invalid HTTP_HOST header (ALLOWED_HOSTS)"
	} else if status == 400 && found[mBadRequest] {
		v.disallowedHost, v.hostWhy = true, "Django's generic 400 page (Bad Request (400)), most often a Host header outside ALLOWED_HOSTS; any SuspiciousOperation gives it"
	}
	return v
}
