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
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/internal/text"
)

// The pages share one head: inline style only (no external assets), a
// viewport for phones, and a layout where tables become stacked rows on a
// narrow screen instead of scrolling sideways.
const pageHead = `{{define "head"}}<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 1em; color: #1f2328; max-width: 110em; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: 1.5em 0 .4em; }
a { color: #0969da; }
nav, .muted { color: #59636e; font-size: .9em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #d1d9e0; vertical-align: top; overflow-wrap: break-word; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
.url { overflow-wrap: anywhere; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
details summary { cursor: pointer; }
.ok { color: #1a7f37; font-weight: 600; white-space: nowrap; }
.bad { color: #cf222e; font-weight: 600; white-space: nowrap; }
.warn { color: #9a6700; font-weight: 600; white-space: nowrap; }
.banner { border: 2px solid #cf222e; background: #ffebe9; padding: .6em .8em; margin: .8em 0; }
.notice { border: 2px solid #0969da; background: #ddf4ff; padding: .6em .8em; margin: .8em 0; }
#summary { font-size: 1.1em; margin: .6em 0; }
#summary .fine { color: #1a7f37; }
.reason { display: inline-block; background: #ffebe9; color: #82071e; border-radius: 3px; padding: 0 4px; margin: 0 2px 2px 0; font-size: .85em; }
@media (max-width: 700px) {
  table, tbody, tr, td { display: block; width: auto; }
  thead { display: none; }
  tr { border-bottom: 1px solid #d1d9e0; padding: 4px 0; }
  td { border: none; padding: 2px 4px; }
  td:empty { display: none; }
  td[data-label]::before { content: attr(data-label) ": "; color: #59636e; }
}
</style>{{end}}
{{define "changes"}}{{if gt (len .) 1}}<details class="changes"><summary class="muted">last changes</summary><ul>{{range .}}<li><span title="{{ts .At}}">{{ts .At}}</span> {{.State}}{{with .Why}}: {{.}}{{end}}</li>{{end}}</ul></details>{{end}}{{end}}`

var funcs = template.FuncMap{
	"stateClass": stateClass,
	"rel":        relative,
	"due":        due,
	"clock":      clock,
	"for": func(since, now time.Time) string {
		if since.IsZero() || since.After(now) {
			return ""
		}
		return text.Duration(now.Sub(since))
	},
	"human": text.Duration,
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"secs": func(s float64) string {
		if s == 0 {
			return "none"
		}
		return text.Duration(time.Duration(s * float64(time.Second)))
	},
	// short is the first line of s, at most 160 bytes: the summary of a
	// folded message.
	"short": func(s string) string {
		line, _, _ := strings.Cut(s, "\n")
		return text.Cut(line, 160)
	},
	"long": func(s string) bool { return len(s) > 160 || strings.Contains(s, "\n") },
}

var statusTemplate = template.Must(template.Must(template.New("status").Funcs(funcs).Parse(pageHead)).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
{{template "head"}}
{{if .Refresh}}<meta http-equiv="refresh" content="{{.RefreshSeconds}}">{{end}}
<title>{{if .AllFine}}OK{{else}}Problems{{end}} · django_health_exporter</title>
</head>
<body>
<h1>django_health_exporter</h1>
<nav>version {{.Version}} ·
<a href="metrics">metrics</a> · <a href="config">configuration</a> ·
<a href="sd">service discovery</a> · <a href="api/v1/heartbeats">heartbeats (JSON)</a> ·
{{if .Refresh}}refreshes every {{.RefreshSeconds}} s (<a id="refresh-toggle" href="?refresh=off">stop</a>){{else}}auto-refresh off (<a id="refresh-toggle" href="./">start</a>){{end}}</nav>

{{range .Windows}}<div class="notice" id="maintenance-{{.Name}}">Maintenance window <strong>{{.Name}}</strong> is open until {{ts .Until}} ({{rel .Until $.Now}}): its heartbeats are paused, its targets' alerts quiet.</div>
{{end}}{{with .ReloadFailure}}<div class="banner" id="reload-failed"><strong>The last configuration reload failed</strong> {{rel .Time $.Now}}: the exporter still runs on the previous configuration.
<pre>{{.Err}}</pre></div>{{end}}

<p id="summary">{{if .AllFine}}<span class="fine">Nothing is broken.</span> {{end}}
<strong>Targets:</strong> {{range $i, $p := .TargetSummary}}{{if $i}} · {{end}}<span class="{{if $p.Count}}{{$p.Class}}{{else}}muted{{end}}">{{$p.Count}} {{$p.Word}}</span>{{end}}
{{if .HeartbeatsEnabled}}&nbsp; <strong>Heartbeats:</strong> {{range $i, $p := .HeartbeatSummary}}{{if $i}} · {{end}}<span class="{{if $p.Count}}{{$p.Class}}{{else}}muted{{end}}">{{$p.Count}} {{$p.Word}}</span>{{end}}{{end}}</p>
{{if .Releases}}<p id="releases"><strong>Releases:</strong> {{range $i, $r := .Releases}}{{if $i}} · {{end}}<span class="{{if index $.OddReleases $r.Release}}warn{{else}}ok{{end}}" title="{{range $r.Who}}{{.}} {{end}}">{{$r.Release}} ({{$r.Count}}{{if index $.OddReleases $r.Release}}: {{range $j, $w := $r.Who}}{{if $j}}, {{end}}{{$w}}{{end}}{{end}})</span>{{end}}{{if gt (len .Releases) 1}} <span class="muted">— more than one release runs: a process the deploy did not restart?</span>{{end}}</p>{{end}}

<h2 id="targets">Targets now</h2>
{{if .Targets}}
<table id="target-table">
<thead><tr><th>Target</th><th>State</th><th>Why</th><th>Checked</th><th>Took</th><th>Details</th></tr></thead>
<tbody>
{{range .Targets}}
<tr class="target" data-state="{{if not .Probed}}unprobed{{else if .Success}}up{{else}}failing{{end}}">
<td data-label="Target"><strong class="url">{{.Target}}</strong>{{if .URL}}<br><span class="muted url">{{.URL}}</span>{{end}}{{if .Hostname}}<br><span class="muted">Host: {{.Hostname}}</span>{{end}}{{if not .Configured}}<br><span class="muted">ad hoc, module {{.Module}}</span>{{end}}{{with .Release}}<br><span class="release {{if index $.OddReleases .}}warn{{else}}muted{{end}}">release {{.}}{{if index $.OddReleases .}} (differs){{end}}</span>{{end}}</td>
<td data-label="State">{{if not .Probed}}<span class="warn">not probed</span>{{else if .Success}}<span class="ok">up</span>{{else}}<span class="bad">failing</span>{{end}}{{if .StatusCode}} <span class="muted">{{.StatusCode}}</span>{{end}}{{with .Maintenance}} <span class="reason" title="maintenance window">maintenance: {{.}}</span>{{end}}{{if .Probed}}{{$since := .UpSince}}{{if not .Success}}{{$since = .FailingSince}}{{end}}
<br><span class="since muted" title="{{ts $since}}">for {{for $since $.Now}}, since {{clock $since $.Now}}</span>{{template "changes" .Changes}}{{end}}</td>
<td data-label="Why">{{range .Reasons}}<span class="reason">{{.}}</span> {{end}}{{if long .Why}}<details><summary>{{short .Why}}</summary><pre>{{.Why}}</pre></details>{{else}}{{.Why}}{{end}}{{with .BrokenAssets}}<ul class="assets">{{range .}}<li class="url">{{.}}</li>{{end}}</ul>{{end}}</td>
<td data-label="Checked">{{if .Probed}}<span title="{{ts .Start}}">{{rel .Start $.Now}}</span>{{else}}<span class="muted">never</span>{{end}}</td>
<td data-label="Took">{{if .Probed}}{{ms .Duration}}{{end}}</td>
<td data-label="Details"><a href="{{.Details}}">{{if .Probed}}why{{else}}probe now{{end}}</a>{{if and .Success .LastFailed.ID}}<br><a class="last-failure" href="{{.LastFailure}}">last failure</a> <span class="muted">{{rel .LastFailed.At $.Now}}</span>{{end}}</td>
</tr>
{{end}}
</tbody>
</table>
{{else}}
<p class="muted">No targets are configured, and none was probed recently. Try <a href="probe?target=https://www.djangoproject.com/&amp;debug=true">/probe?target=...&amp;debug=true</a>.</p>
{{end}}

{{if .HeartbeatsEnabled}}
<h2 id="heartbeats">Heartbeats</h2>
{{if .Heartbeats}}
<table id="heartbeat-table">
<thead><tr><th>Heartbeat</th><th>State</th><th>Why</th><th>Last success</th><th>Next due</th><th>Last message</th></tr></thead>
<tbody>
{{range .Heartbeats}}
<tr class="heartbeat" data-state="{{.State}}">
<td data-label="Heartbeat"><a href="heartbeats/{{.Name}}"><strong>{{.Name}}</strong></a>{{range $k, $v := .Labels}} <span class="muted">{{$k}}={{$v}}</span>{{end}}{{with .Release}}<br><span class="release {{if index $.OddReleases .}}warn{{else}}muted{{end}}">release {{.}}{{if index $.OddReleases .}} (differs){{end}}</span>{{end}}</td>
<td data-label="State"><span class="{{stateClass .State}}">{{.State}}</span>{{with .Since}}<br><span class="since muted" title="{{ts .}}">for {{for . $.Now}}, since {{clock . $.Now}}</span>{{end}}{{template "changes" .Transitions}}</td>
<td data-label="Why">{{.Why}}</td>
<td data-label="Last success">{{if .LastSuccess.IsZero}}<span class="muted">never</span>{{else}}<span title="{{ts .LastSuccess}}">{{rel .LastSuccess $.Now}}</span>{{end}}</td>
<td data-label="Next due"><span class="due" title="{{ts .Expected}}; grace until {{ts .Deadline}}">{{due .Expected $.Now}}</span></td>
<td data-label="Last message">{{if .Excerpt}}<pre>{{short .Excerpt}}</pre>{{end}}</td>
</tr>
{{end}}
</tbody>
</table>
{{if .HiddenUp}}<p class="muted">and {{.HiddenUp}} more heartbeats that are up: <a href="api/v1/heartbeats">all of them as JSON</a>.</p>{{end}}
{{else}}
<p class="muted">No heartbeats are configured.</p>
{{end}}
{{end}}

{{if .Refused}}
<h2 id="refused">Refused pings</h2>
<p class="muted">Pings to names no heartbeat has (a typo in a cron line, a job nobody configured): refused, counted in heartbeat_rejected_pings_total{reason="unknown"} (HeartbeatPingsRejected), and listed here.</p>
<table id="refused-table">
<thead><tr><th>Name</th><th>Refused</th><th>Last seen</th><th>Did you mean</th></tr></thead>
<tbody>
{{range .Refused}}
<tr class="refused">
<td data-label="Name"><strong>{{.Name}}</strong></td>
<td data-label="Refused">{{.Count}}</td>
<td data-label="Last seen"><span title="{{ts .LastSeen}}">{{rel .LastSeen $.Now}}</span></td>
<td data-label="Did you mean">{{with .Closest}}<a href="heartbeats/{{.}}">{{.}}</a>{{else}}<span class="muted">no name is near</span>{{end}}</td>
</tr>
{{end}}
</tbody>
</table>
{{end}}

<h2 id="recent">Recent probes</h2>
{{if .Probes}}
<table id="probe-table">
<thead><tr><th>Time</th><th>Target</th><th>Module</th><th>Result</th><th>Took</th><th>Why</th><th>Details</th></tr></thead>
<tbody>
{{range .Probes}}
<tr>
<td data-label="Time" title="{{ts .Start}}">{{rel .Start $.Now}}</td>
<td data-label="Target" class="url">{{.Target}}</td>
<td data-label="Module">{{.Module}}</td>
<td data-label="Result">{{if .Success}}<span class="ok">success</span>{{else}}<span class="bad">failure</span>{{end}}</td>
<td data-label="Took">{{ms .Duration}}</td>
<td data-label="Why">{{$f := .Failure}}{{if long $f}}<details><summary>{{short $f}}</summary><pre>{{$f}}</pre></details>{{else}}{{$f}}{{end}}</td>
<td data-label="Details"><a href="logs?id={{.ID}}">logs</a></td>
</tr>
{{end}}
</tbody>
</table>
{{else}}
<p class="muted">No probe has run yet.</p>
{{end}}
</body>
</html>
`))

var heartbeatTemplate = template.Must(template.Must(template.New("heartbeat").Funcs(funcs).Parse(pageHead)).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
{{template "head"}}
<title>{{.V.Name}}: {{.V.State}} · django_health_exporter</title>
</head>
<body>
<nav><a id="back" href="../">← status</a> · <a href="../api/v1/heartbeats/{{.V.Name}}">this heartbeat as JSON</a></nav>
{{with .V}}
<h1>{{.Name}} <span class="{{stateClass .State}}">{{.State}}</span></h1>
{{if .Why}}<p id="why">{{.Why}}</p>{{end}}
<table id="heartbeat-facts">
<tbody>
<tr><th>Expected</th><td>{{if .Schedule}}cron <code>{{.Schedule}}</code> in {{.Timezone}}{{else}}every {{secs .Interval}}{{end}}; grace {{secs .Grace}}{{if .Schedule}}; early margin {{secs .EarlyMargin}}{{end}}</td></tr>
<tr><th>Runs</th><td>max_runtime {{secs .MaxRuntime}}, min_runtime {{secs .MinRuntime}}, failed after {{.FailureThreshold}} failure(s) in a row{{if .Exclusive}}; exclusive: one run per period, from one place{{end}}</td></tr>
<tr><th>State</th><td><span class="{{stateClass .State}}">{{.State}}</span>{{with .Since}} for {{for . $.Now}}, since <span title="{{ts .}}">{{clock . $.Now}}</span>{{end}}</td></tr>
<tr><th>Next due</th><td><span class="due" title="{{ts .Expected}}">{{due .Expected $.Now}}</span>{{if not .Expected.IsZero}} ({{clock .Expected $.Now}}; grace until {{clock .Deadline $.Now}}, then down){{end}}</td></tr>
<tr><th>Last success</th><td>{{if .LastSuccess.IsZero}}never{{else}}<span title="{{ts .LastSuccess}}">{{rel .LastSuccess $.Now}}</span>{{end}}</td></tr>
<tr><th>Last ping</th><td>{{if .LastPing.IsZero}}never{{else}}<span title="{{ts .LastPing}}">{{rel .LastPing $.Now}}</span> ({{.LastPingKind}}){{end}}</td></tr>
<tr><th>Last start</th><td>{{if .LastStart.IsZero}}never{{else}}<span title="{{ts .LastStart}}">{{rel .LastStart $.Now}}</span>{{end}}{{if .Running}}; {{.Running}} run(s) open since {{rel .RunningSince $.Now}}{{end}}{{if .LastDuration}}; the last run took {{secs .LastDuration}}{{end}}</td></tr>
<tr><th>Last failure</th><td>{{if .LastFailure.IsZero}}never{{else}}<span title="{{ts .LastFailure}}">{{rel .LastFailure $.Now}}</span>{{with .FailureReason}}: {{.}}{{end}}; {{.ConsecutiveFailures}} in a row{{end}}{{with .LastExit}}; last exit status {{.}}{{end}}</td></tr>
<tr><th>Pings</th><td>{{range $k, $n := .Pings}}{{$k}} {{$n}} &nbsp;{{end}}</td></tr>
{{if .Labels}}<tr><th>Labels</th><td>{{range $k, $v := .Labels}}{{$k}}={{$v}} &nbsp;{{end}}</td></tr>{{end}}
{{if .Sources}}<tr><th>Senders</th><td>{{range $k, $t := .Sources}}{{$k}} ({{rel $t $.Now}}) &nbsp;{{end}}{{if .Exclusive}}<br>{{.SourcesInPeriod}} in the current period, {{printf "%.1f" .RunsPerPeriod}} runs per expected run{{end}}</td></tr>{{end}}
{{if .Values}}<tr><th>Numbers</th><td>{{range $k, $v := .Values}}{{$k}} = {{$v}} &nbsp;{{end}}</td></tr>{{end}}
<tr><th>Origin</th><td>{{if .Registered}}registered through the API{{else if .AutoRegistered}}registered by its first ping (auto_register){{else}}the configuration file{{end}}</td></tr>
</tbody>
</table>
<h2 id="changes">Last changes</h2>
{{if .Transitions}}<table id="transitions">
<thead><tr><th>When</th><th>State</th><th>Why</th></tr></thead>
<tbody>
{{range .Transitions}}<tr><td data-label="When"><span title="{{ts .At}}">{{clock .At $.Now}}</span> <span class="muted">({{rel .At $.Now}})</span></td><td data-label="State"><span class="{{stateClass .State}}">{{.State}}</span></td><td data-label="Why">{{.Why}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="muted">No change recorded yet.</p>{{end}}
<h2>Last message</h2>
{{if .LastMessage}}<p class="muted">{{.MessageKind}} ping, {{rel .MessageAt $.Now}}{{if .MessageCutBytes}}; the first {{.MessageCutBytes}} bytes were cut{{end}}</p>
{{with .Excerpt}}<p id="error"><strong>{{.}}</strong></p>{{end}}
<pre id="message">{{.LastMessage}}</pre>{{else}}<p class="muted">No ping has carried a message.</p>{{end}}
{{end}}
</body>
</html>
`))

// textPage wraps a plain-text page (a probe's account, the configuration)
// for a browser, with a way back.
var textPage = template.Must(template.Must(template.New("text").Funcs(funcs).Parse(pageHead)).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
{{template "head"}}
<title>{{.Title}} · django_health_exporter</title>
</head>
<body>
<nav><a id="back" href="./">← status</a></nav>
<h1>{{.Title}}</h1>
<pre>{{.Text}}</pre>
</body>
</html>
`))

// clock writes a moment as a time of day in UTC, with the date when it
// is not today's: "08:40 UTC", "2026-12-06 08:40 UTC". The page, the
// heartbeat's why and its due time all count from such moments.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}

// stateClass is how a page colours a heartbeat's state: "bad", "warn" or
// "ok". The colour is the page's business, not the heartbeat's.
func stateClass(s collector.State) string {
	switch s {
	case collector.StateUp, collector.StateRunning, collector.StatePaused:
		return "ok"
	case collector.StateLate, collector.StateNew:
		return "warn"
	}
	return "bad"
}
