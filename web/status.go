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

package web

import (
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/version"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/probe"
)

// StatusPage serves "/": the recent probes and every heartbeat, for a
// person with a browser and little time.
type StatusPage struct {
	History    *History
	Heartbeats func() []collector.HeartbeatView // nil when there are none
	Logger     *slog.Logger
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := time.Since(t)
		if d < 0 {
			return "in " + (-d).Round(time.Second).String()
		}
		return d.Round(time.Second).String() + " ago"
	},
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"secs": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>django_health_exporter</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f3f3f3; }
.ok { color: #1a7f37; font-weight: bold; }
.bad { color: #cf222e; font-weight: bold; }
.warn { color: #9a6700; font-weight: bold; }
.muted { color: #777; }
pre { margin: 0; white-space: pre-wrap; max-width: 60em; }
</style>
</head>
<body>
<h1>django_health_exporter</h1>
<p class="muted">version {{.Version}} &middot;
<a href="metrics">metrics</a> &middot; <a href="config">configuration</a> &middot;
<a href="sd">service discovery</a> &middot; <a href="api/v1/heartbeats">heartbeats (JSON)</a></p>

<h2>Heartbeats</h2>
{{if .Heartbeats}}
<table>
<tr><th>Heartbeat</th><th>State</th><th>Last ping</th><th>Last success</th><th>Deadline</th><th>Last message</th></tr>
{{range .Heartbeats}}
<tr>
<td>{{.Name}}</td>
<td class="{{.StateClass}}">{{.State}}</td>
<td>{{if .LastPing.IsZero}}<span class="muted">never</span>{{else}}<span title="{{ts .LastPing}}">{{ago .LastPing}}</span> ({{.LastPingKind}}){{end}}</td>
<td>{{if .LastSuccess.IsZero}}<span class="muted">never</span>{{else}}<span title="{{ts .LastSuccess}}">{{ago .LastSuccess}}</span>{{end}}</td>
<td><span title="{{ts .Deadline}}">{{ago .Deadline}}</span></td>
<td><pre>{{.Excerpt}}</pre></td>
</tr>
{{end}}
</table>
{{else}}
<p class="muted">No heartbeats are configured.</p>
{{end}}

<h2>Recent probes</h2>
{{if .Probes}}
<table>
<tr><th>Time</th><th>Target</th><th>Module</th><th>Result</th><th>Duration</th><th>Why</th><th>Details</th></tr>
{{range .Probes}}
<tr>
<td title="{{ts .Start}}">{{ago .Start}}</td>
<td>{{.Target}}</td>
<td>{{.Module}}</td>
<td>{{if .Success}}<span class="ok">success</span>{{else}}<span class="bad">failure</span>{{end}}</td>
<td>{{secs .Duration}}</td>
<td>{{.Failure}}</td>
<td><a href="logs?id={{.ID}}">logs</a></td>
</tr>
{{end}}
</table>
{{else}}
<p class="muted">No probe has run yet. Try <a href="probe?target=https://www.djangoproject.com/&amp;debug=true">/probe?target=...&amp;debug=true</a>.</p>
{{end}}
</body>
</html>
`))

func (s *StatusPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	data := struct {
		Version    string
		Probes     []*probe.Result
		Heartbeats []collector.HeartbeatView
	}{Version: version.Version}
	if s.History != nil {
		data.Probes = s.History.List()
	}
	if s.Heartbeats != nil {
		data.Heartbeats = s.Heartbeats()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusTemplate.Execute(w, data); err != nil && s.Logger != nil {
		s.Logger.Error("Error rendering the status page", "err", err)
	}
}
