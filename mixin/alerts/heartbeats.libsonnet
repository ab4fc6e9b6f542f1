// Alerts on the heartbeats of jobs: late, failed, overrun, too often, from
// several senders, refused pings (group django-heartbeats).
local lib = import 'lib.libsonnet';

{
  local c = $._config,
  local l = lib(c),
  local overReplicas = l.overReplicas,
  local heartbeatLink = l.heartbeatLink,
  local lastSuccess = l.lastSuccess,
  local annotations = l.annotations,
  local overrun = l.overrun,
  local hb = l.hb,
  local notWorker = l.notWorker,

  // failed(sel): failure_threshold runs in a row failed, and the latest
  // end on any replica was a failure. metrics: basic exports the failures
  // only from the threshold on, without the threshold (the comparison is
  // then with itself); detailed has both.
  local failed(sel) = |||
    %s
      >= (%s or %s)
    and
    %s
      > %s
  ||| % [
    overReplicas('max', 'heartbeat_consecutive_failures{%s}' % sel),
    overReplicas('max', 'heartbeat_failure_threshold{%s}' % sel),
    overReplicas('max', 'heartbeat_consecutive_failures{%s}' % sel),
    overReplicas('max', 'heartbeat_last_failure_timestamp_seconds{%s}' % sel),
    overReplicas('max', 'heartbeat_last_success_timestamp_seconds{%s}' % sel),
  ],

  // The exporter whose status page lists the names it refused (or the
  // fixed exporterURL).
  local refusedExporter =
    if c.exporterURL != '' then c.exporterURL
    else 'http://{{ with printf "heartbeat_rejected_pings_total{job=%q}" $labels.job | query | sortByLabel "instance" }}{{ . | first | label "instance" }}{{ end }}',

  heartbeatAlertRules:: [
    {
      alert: 'HeartbeatLate',
      // A run past max_runtime is HeartbeatRunningTooLong's, a
      // Celery worker's own heartbeat CeleryWorkerDown's: one alert
      // says what happened.
      // A job whose last runs failed (HeartbeatFailed's condition) and
      // then stayed silent is HeartbeatFailed's too: one notification,
      // saying what the exporter heard.
      expr: '%s < time()\nunless\n(\n%s)\nunless\n(\n%s)\n' % [overReplicas('max', 'heartbeat_deadline_timestamp_seconds{%s}' % notWorker), overrun(notWorker), failed(notWorker)],
      'for': c.heartbeatLateFor,
      labels: { severity: c.heartbeatLateSeverity },
      annotations: annotations(
        'heartbeatlate',
        'heartbeats',
        'A background job has gone silent.',
        'Heartbeat {{ $labels.heartbeat }} was due by {{ $value | humanizeTimestamp }} and no exporter replica has heard from it since. Last success: %s. %s' % [lastSuccess, heartbeatLink],
      ),
    },
    {
      alert: 'HeartbeatFailed',
      expr: failed(hb),
      'for': c.heartbeatFailedFor,
      labels: { severity: c.heartbeatFailedSeverity },
      annotations: annotations(
        'heartbeatfailed',
        'heartbeats',
        'A background job fails.',
        '{{ $value }} run(s) of {{ $labels.heartbeat }} in a row failed (its failure_threshold), none succeeded since. The last message: %s' % heartbeatLink,
      ),
    },
    {
      alert: 'HeartbeatRunningTooLong',
      expr: overrun(hb),
      'for': c.heartbeatRunningTooLongFor,
      labels: { severity: c.heartbeatRunningTooLongSeverity },
      annotations: annotations(
        'heartbeatrunningtoolong',
        'heartbeats',
        'A background job has been running longer than it may.',
        'A run of {{ $labels.heartbeat }} started {{ $value | humanizeDuration }} ago and has not ended: past its max_runtime (stuck, or killed without an end ping). %s' % heartbeatLink,
      ),
    },
    {
      alert: 'HeartbeatRanTooOften',
      expr: overReplicas('max', 'heartbeat_runs_per_period{%s}' % hb) + ' > %g' % c.heartbeatRanTooOftenRatio,
      'for': c.heartbeatRanTooOftenFor,
      labels: { severity: c.heartbeatRanTooOftenSeverity },
      annotations: annotations(
        'heartbeatrantoooften',
        'heartbeats',
        'A scheduled job runs more often than its schedule.',
        '{{ $labels.heartbeat }} succeeded {{ $value | printf "%%.1f" }} times per expected run: two schedulers (Celery beats, cron hosts) or a retry loop run it. Duplicate e-mails or charges follow. %s' % heartbeatLink,
      ),
    },
    {
      alert: 'HeartbeatMultipleSources',
      expr: overReplicas('max', 'heartbeat_sources{%s}' % hb) + ' > 1',
      'for': c.heartbeatMultipleSourcesFor,
      labels: { severity: c.heartbeatMultipleSourcesSeverity },
      annotations: annotations(
        'heartbeatmultiplesources',
        'heartbeats',
        'A job that should run in one place runs in several.',
        'Pings of {{ $labels.heartbeat }} came from {{ $value }} senders within one period: a double deploy or a lost lock runs two schedulers. The senders: %s' % heartbeatLink,
      ),
    },
    {
      alert: 'HeartbeatPingsRejected',
      expr: overReplicas('sum', 'increase(heartbeat_rejected_pings_total{%s}[%s])' % [hb, c.heartbeatPingsRejectedWindow]) + ' > 0',
      'for': c.heartbeatPingsRejectedFor,
      labels: { severity: c.heartbeatPingsRejectedSeverity },
      annotations: annotations(
        'heartbeatpingsrejected',
        'heartbeats',
        'The exporter refuses pings: a job believes it reports, and does not.',
        'About {{ $value | printf "%%.0f" }} ping(s) refused in %s, reason {{ $labels.reason }} (unknown: a name not configured, or a typo of one; unauthorized: a wrong or missing token; invalid: a malformed ping such as an exit status over 255, a bad rid or metric, a GET where the heartbeat takes POST only; too_large: a body over 1 MiB; limit: max_heartbeats reached). The exporter logs each heartbeat and sender: WARN "Heartbeat ping refused". The names refused as unknown, with the names they are close to: %s/#refused' % [c.heartbeatPingsRejectedWindow, refusedExporter],
      ),
    },
  ],
}
