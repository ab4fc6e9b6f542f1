local agg = import '../lib/aggregate.libsonnet';

{
  local c = $._config,

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
  local debugLink = probeExporter + '/probe?target={{ $labels.instance | urlquery }}&debug=true',
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

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'django-probes',
        rules: std.map(quietProbe, [
          {
            alert: 'DjangoProbeFailed',
            expr: failing('probe_success{%s} == 0' % c.probeSelector),
            'for': c.probeFailedFor,
            labels: { severity: c.probeFailedSeverity },
            annotations: annotations(
              'djangoprobefailed',
              'probes',
              'A Django site fails its probe.',
              '%s has failed its probe%s for %s. Why: %s. The whole account: %s' % [target, locations, c.probeFailedFor, reasons, debugLink],
            ),
          },
          {
            alert: 'DjangoCheckFailed',
            // Critical-level checks (and checks of exporters without the
            // severity label): they also fail the probe.
            expr: failing('probe_check_success{%s, severity!="warning"} == 0' % c.probeSelector),
            'for': c.checkFailedFor,
            // The check's own severity stays as check_severity; severity
            // is the alert's, for routing.
            labels: { severity: c.checkFailedSeverity, check_severity: 'critical' },
            annotations: annotations(
              'djangocheckfailed',
              'probes',
              'A configured check of a Django page fails.',
              'Check {{ $labels.check }} ({{ $labels.type }}) of %s has failed%s for %s, and fails its probe. %s' % [target, locations, c.checkFailedFor, debugLink],
            ),
          },
          {
            alert: 'DjangoCheckFailed',
            // Warning-level checks: reported, never failing the probe.
            expr: failing('probe_check_success{%s, severity="warning"} == 0' % c.probeSelector),
            'for': c.checkFailedFor,
            labels: { severity: c.warningCheckFailedSeverity, check_severity: 'warning' },
            annotations: annotations(
              'djangocheckfailed',
              'probes',
              'A warning-level check of a Django page fails.',
              'Check {{ $labels.check }} ({{ $labels.type }}, warning level) of %s has failed%s for %s; the probe itself still succeeds. %s' % [target, locations, c.checkFailedFor, debugLink],
            ),
          },
          {
            alert: 'DjangoDebugPageExposed',
            expr: overProbes('max', 'probe_django_debug_enabled{%s}' % c.probeSelector) + ' == 1',
            'for': c.debugPageFor,
            labels: { severity: c.debugPageSeverity },
            annotations: annotations(
              'djangodebugpageexposed',
              'probes',
              'A Django site shows its DEBUG=True pages to the world.',
              '%s answers with a Django DEBUG page: settings, paths and tracebacks are public. Set DEBUG = False now.' % target,
            ),
          },
          {
            alert: 'DjangoDisallowedHost',
            expr: overProbes('max', 'probe_django_disallowed_host{%s}' % c.probeSelector) + ' == 1',
            'for': c.disallowedHostFor,
            labels: { severity: c.disallowedHostSeverity },
            annotations: annotations(
              'djangodisallowedhost',
              'probes',
              'Django answers a site with its generic 400 page, most often ALLOWED_HOSTS.',
              "%s answers Django's generic 400 Bad Request page for %s: most often its host name is not in ALLOWED_HOSTS (with DEBUG off any SuspiciousOperation gives the same page). Every visitor gets it. %s" % [target, c.disallowedHostFor, debugLink],
            ),
          },
          {
            alert: 'DjangoHealthCheckBackendDown',
            expr: failing('probe_django_health_check_up{%s} == 0' % c.probeSelector),
            'for': c.healthCheckBackendFor,
            labels: { severity: c.healthCheckBackendSeverity },
            annotations: annotations(
              'djangohealthcheckbackenddown',
              'probes',
              'A backend of a Django health check is down.',
              'Health-check backend {{ $labels.check }} of %s has been failing%s for %s. %s' % [target, locations, c.healthCheckBackendFor, debugLink],
            ),
          },
          {
            // The login probe (django.login): users cannot log in, while
            // the pages anybody can see may all be fine.
            alert: 'DjangoLoginFailed',
            expr: failing('probe_django_login_success{%s} == 0' % c.probeSelector),
            'for': c.loginFailedFor,
            labels: { severity: c.loginFailedSeverity },
            annotations: annotations(
              'djangologinfailed',
              'probes',
              'The probe cannot log in to a Django site.',
              'The login probe of %s has failed%s for %s: people may not be able to log in. The step that failed and why: %s' % [target, locations, c.loginFailedFor, debugLink],
            ),
          },
          {
            alert: 'DjangoContentChanged',
            expr: overProbes('max', 'changes(probe_http_content_hash{%s, %s}[%s])' % [c.probeSelector, c.contentChangeSelector, c.contentChangeWindow]) + ' > 0',
            labels: { severity: c.contentChangedSeverity },
            annotations: annotations(
              'djangocontentchanged',
              'probes',
              'A page that should not change has changed.',
              'The body of %s changed {{ $value }} time(s) in the last %s.' % [target, c.contentChangeWindow],
            ),
          },
          {
            alert: 'DjangoSlowResponse',
            expr: overProbes('avg', 'avg_over_time(probe_duration_seconds{%s}[5m])' % c.probeSelector) + ' > %g' % c.slowResponseSeconds,
            'for': c.slowResponseFor,
            labels: { severity: c.slowResponseSeverity },
            annotations: annotations(
              'djangoslowresponse',
              'probes',
              'A Django site answers slowly.',
              'Probes of %s have taken {{ $value | humanizeDuration }} on average for %s (threshold %gs).' % [target, c.slowResponseFor, c.slowResponseSeconds],
            ),
          },
          {
            alert: 'DjangoTLSCertificateExpiringSoon',
            expr: overProbes('min', 'probe_ssl_earliest_cert_expiry{%s}' % c.probeSelector) + ' - time() < %d * 86400' % c.certExpiryWarningDays,
            'for': c.certExpiryFor,
            labels: { severity: c.certExpiryWarningSeverity },
            annotations: annotations(
              'djangotlscertificateexpiringsoon',
              'probes',
              'A TLS certificate of a Django site expires soon.',
              'The certificate of %s expires in {{ $value | humanizeDuration }}.' % target,
            ),
          },
          {
            alert: 'DjangoTLSCertificateExpiringVerySoon',
            expr: overProbes('min', 'probe_ssl_earliest_cert_expiry{%s}' % c.probeSelector) + ' - time() < %d * 86400' % c.certExpiryCriticalDays,
            'for': c.certExpiryFor,
            labels: { severity: c.certExpiryCriticalSeverity },
            annotations: annotations(
              'djangotlscertificateexpiringverysoon',
              'probes',
              'A TLS certificate of a Django site is about to expire.',
              'The certificate of %s expires in {{ $value | humanizeDuration }}: renew it today.' % target,
            ),
          },
        ]),
      },
      {
        name: 'django-heartbeats',
        rules: std.map(quietHeartbeat, [
          {
            alert: 'HeartbeatLate',
            // A run past max_runtime is HeartbeatRunningTooLong's, a
            // Celery worker's own heartbeat CeleryWorkerDown's: one alert
            // says what happened.
            expr: '%s < time()\nunless\n(\n%s)\n' % [overReplicas('max', 'heartbeat_deadline_timestamp_seconds{%s}' % notWorker), overrun(notWorker)],
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
            // failure_threshold runs in a row failed, and the latest end
            // on any replica was a failure. metrics: basic exports the
            // failures only from the threshold on, without the threshold
            // (the comparison is then with itself); detailed has both.
            expr: |||
              %s
                >= (%s or %s)
              and
              %s
                > %s
            ||| % [
              overReplicas('max', 'heartbeat_consecutive_failures{%s}' % hb),
              overReplicas('max', 'heartbeat_failure_threshold{%s}' % hb),
              overReplicas('max', 'heartbeat_consecutive_failures{%s}' % hb),
              overReplicas('max', 'heartbeat_last_failure_timestamp_seconds{%s}' % hb),
              overReplicas('max', 'heartbeat_last_success_timestamp_seconds{%s}' % hb),
            ],
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
              'About {{ $value | printf "%%.0f" }} ping(s) refused in %s, reason {{ $labels.reason }} (unknown: a name not configured, or a typo of one; unauthorized: a wrong or missing token; invalid: a malformed ping such as an exit status over 255, a bad rid or metric, a GET where the heartbeat takes POST only; too_large: a body over 1 MiB; limit: max_heartbeats reached). The exporter logs each heartbeat and sender: WARN "Heartbeat ping refused".' % c.heartbeatPingsRejectedWindow,
            ),
          },
          {
            alert: 'CeleryQueueBacklog',
            expr: overReplicas('max', 'heartbeat_last_value{%s, metric="wait_seconds", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]) + ' > %g' % c.celeryQueueBacklogSeconds,
            'for': c.celeryQueueBacklogFor,
            labels: { severity: c.celeryQueueBacklogSeverity },
            annotations: annotations(
              'celeryqueuebacklog',
              'heartbeats',
              'A Celery queue is backed up.',
              'The canary task of {{ $labels.heartbeat }} waited {{ $value | humanizeDuration }} before a worker ran it (threshold %gs): tasks on this queue start that late.' % c.celeryQueueBacklogSeconds,
            ),
          },
          {
            alert: 'CeleryQueueBacklog',
            // The length beat measures through the broker: a backlog
            // shows before the canary that waits in it runs.
            expr: overReplicas('max', 'heartbeat_last_value{%s, metric="queue_length", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]) + ' > %g' % c.celeryQueueBacklogLength,
            'for': c.celeryQueueBacklogFor,
            labels: { severity: c.celeryQueueBacklogSeverity },
            annotations: annotations(
              'celeryqueuebacklog',
              'heartbeats',
              'A Celery queue is backed up.',
              '{{ $value | printf "%%.0f" }} messages wait in the queue of {{ $labels.heartbeat }} (threshold %g), as beat measured it through the broker.' % c.celeryQueueBacklogLength,
            ),
          },
          {
            alert: 'CeleryWorkerDown',
            expr: overReplicas('max', 'heartbeat_deadline_timestamp_seconds{%s, heartbeat=~"%s"}' % [hb, c.celeryWorkerHeartbeats]) + ' < time()',
            'for': c.celeryWorkerDownFor,
            labels: { severity: c.celeryWorkerDownSeverity },
            annotations: annotations(
              'celeryworkerdown',
              'heartbeats',
              'A Celery worker has gone silent.',
              'Celery worker {{ $labels.heartbeat }}{{ with $labels.queues }} (queues {{ . }}){{ end }} was due by {{ $value | humanizeTimestamp }} and has not pinged since: killed, out of memory or hung. A clean shutdown would have removed it. %s' % heartbeatLink,
            ),
          },
        ]),
      },
      {
        name: 'django-health-exporter',
        rules: [
          {
            alert: 'DjangoHealthExporterConfigReloadFailed',
            expr: 'django_health_exporter_config_last_reload_successful{%s} == 0' % c.exporterSelector,
            'for': c.configReloadFailedFor,
            labels: { severity: c.configReloadFailedSeverity },
            annotations: annotations(
              'djangohealthexporterconfigreloadfailed',
              'probes',
              'The exporter runs on an old configuration: the new file did not load.',
              '{{ $labels.instance }} could not load its configuration file; it keeps the previous one. Run django_health_exporter --config.check.',
            ),
          },
          {
            alert: 'DjangoHealthExporterDown',
            expr: 'up{%s} == 0' % c.exporterSelector,
            'for': c.exporterDownFor,
            labels: { severity: c.exporterDownSeverity },
            annotations: annotations(
              'djangohealthexporterdown',
              'heartbeats',
              'A django_health_exporter cannot be scraped.',
              'Prometheus cannot scrape {{ $labels.instance }}: its probes and heartbeats are not watched from there.',
            ),
          },
        ],
      },
    ],
  },
}
