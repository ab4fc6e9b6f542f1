local agg = import '../lib/aggregate.libsonnet';

// What the alerts of every area share, for a configuration c (the
// mixin's _config): aggregation over probe copies and exporter replicas,
// the texts and links of the descriptions, the annotations, and the
// holds of planned work. alerts.libsonnet and each area's file use it.
function(c) {

  // Alerts keep every label but the ones telling copies apart: a target's
  // team or url, a heartbeat's own labels, the cluster all reach
  // Alertmanager.
  local probeCopies = agg.probeCopies(c),
  local overProbes(fn, expr) = agg.overProbes(c, fn, expr),
  local overReplicas(fn, expr) = agg.overReplicas(c, fn, expr),

  // failing(expr) fires when the series selected by expr fail in at least
  // probeQuorum locations (or, without a location label, at all).
  local failing(expr) =
    if c.locationLabel == '' then overProbes('max', expr)
    else 'count without (%s) (%s) >= %d' % [std.join(', ', probeCopies), expr, c.probeQuorum],

  local locations =
    if c.locationLabel == '' then ''
    else ' from {{ $value }} location(s) (quorum %d)' % c.probeQuorum,

  // Texts shared by the descriptions.
  local target = '{{ $labels.instance }}{{ with $labels.url }} ({{ . }}){{ end }}',
  // The exporter that produced the series (or the fixed exporterURL).
  local probeExporter =
    if c.exporterURL != '' then c.exporterURL
    else 'http://{{ with printf "probe_success{job=%%q,instance=%%q}" $labels.job $labels.instance | query | sortByLabel "%s" }}{{ . | first | label "%s" }}{{ end }}' % [c.exporterLabel, c.exporterLabel],
  local heartbeatExporter =
    if c.exporterURL != '' then c.exporterURL
    else 'http://{{ with printf "heartbeat_deadline_timestamp_seconds{job=%q,heartbeat=%q}" $labels.job $labels.heartbeat | query | sortByLabel "instance" }}{{ . | first | label "instance" }}{{ end }}',
  // A fresh probe's account, for what fails while the probe succeeds (a
  // warning-level check); the failed probe's own account (the exporter
  // keeps each target's last failure) for what made it fail: by the time
  // somebody reads the alert, a fresh probe may succeed.
  local debugLink = probeExporter + '/probe?target={{ $labels.instance | urlquery }}&debug=true',
  local failedLink = probeExporter + '/logs?target={{ $labels.instance | urlquery }}',
  local heartbeatLink = heartbeatExporter + '/heartbeats/{{ $labels.heartbeat | urlquery }}',
  local where = if c.locationLabel == '' then '' else ' ({{ index $s.Labels "%s" }})' % c.locationLabel,
  // The reasons probe_failed_due_to gives for the failing target.
  local reasons =
    '{{ with printf "probe_failed_due_to{job=%q,instance=%q} == 1" $labels.job $labels.instance | query | sortByLabel "reason" }}'
    + '{{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ $s.Labels.reason }}' + where + '{{ end }}'
    + '{{ else }}not reported (an exporter before probe_failed_due_to){{ end }}',
  local lastSuccess =
    '{{ with printf "max(heartbeat_last_success_timestamp_seconds{job=%q,heartbeat=%q}) > 0" $labels.job $labels.heartbeat | query }}'
    + '{{ . | first | value | humanizeTimestamp }}{{ else }}never{{ end }}',

  local annotations(anchor, dashboard, summary, description) = {
    summary: summary,
    description: description,
    runbook_url: c.runbookURLPattern % anchor,
  } + (if c.grafanaURL == '' then {} else {
         dashboard_url: '%s/d/%s' % [c.grafanaURL, c.dashboardIDs[dashboard]],
       }),

  // A run past max_runtime that no replica has seen end since it began
  // (a run may start on one replica and end on the other).
  local overrun(sel) = |||
    (
      time() - %(min)s
    ) > %(max)s
    and
    %(min)s
      > %(ended)s
  ||| % {
    min: overReplicas('min', 'heartbeat_running_since_timestamp_seconds{%s} > 0' % sel),
    max: overReplicas('max', 'heartbeat_max_runtime_seconds{%s} > 0' % sel),
    ended: overReplicas('max', '{__name__=~"heartbeat_last_(success|failure)_timestamp_seconds", %s}' % sel),
  },

  local hb = c.exporterSelector,

  // Planned work holds the pages: no probe alert for a target in an
  // open maintenance window (probe_maintenance 1), no heartbeat alert for
  // a paused heartbeat (heartbeat_paused 1, by the API or a window). An
  // exporter that predates them has neither series, and nothing is held.
  local quietProbe(rule) = rule {
    expr: '(\n%s)\nunless on (job, instance)\n%s == 1\n' % [rule.expr, overProbes('max', 'probe_maintenance{%s}' % c.probeSelector)],
  },
  local quietHeartbeat(rule) =
    if rule.alert == 'HeartbeatPingsRejected' then rule  // not about one heartbeat
    else rule {
      expr: '(\n%s)\nunless on (job, heartbeat)\n%s == 1\n' % [rule.expr, overReplicas('max', 'heartbeat_paused{%s}' % hb)],
    },
  local notWorker = '%s, heartbeat!~"%s"' % [hb, c.celeryWorkerHeartbeats],

  probeCopies:: probeCopies,
  locations:: locations,
  target:: target,
  probeExporter:: probeExporter,
  heartbeatExporter:: heartbeatExporter,
  debugLink:: debugLink,
  failedLink:: failedLink,
  heartbeatLink:: heartbeatLink,
  where:: where,
  reasons:: reasons,
  lastSuccess:: lastSuccess,
  hb:: hb,
  notWorker:: notWorker,
  overProbes(fn, expr):: overProbes(fn, expr),
  overReplicas(fn, expr):: overReplicas(fn, expr),
  failing(expr):: failing(expr),
  annotations(anchor, dashboard, summary, description):: annotations(anchor, dashboard, summary, description),
  overrun(sel):: overrun(sel),
  quietProbe(rule):: quietProbe(rule),
  quietHeartbeat(rule):: quietHeartbeat(rule),
}
