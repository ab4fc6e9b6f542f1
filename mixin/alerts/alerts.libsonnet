{
  local c = $._config,
  local cluster = if c.showMultiCluster then ', ' + c.clusterLabel else '',
  local probeBy = c.probeGroupBy + cluster,
  local heartbeatBy = c.heartbeatGroupBy + cluster,

  // failing(expr, by) fires when the series selected by expr fail in at
  // least probeQuorum locations (or, without a location label, at all).
  local failing(expr, by) =
    if c.locationLabel == '' then
      'count by (%s) (%s) >= %d' % [by, expr, c.probeQuorum]
    else
      'count by (%s) (count by (%s, %s) (%s)) >= %d' % [by, by, c.locationLabel, expr, c.probeQuorum],

  local locations =
    if c.locationLabel == '' then ''
    else ' from {{ $value }} location(s) (quorum %d)' % c.probeQuorum,

  local annotations(anchor, dashboard, summary, description) = {
    summary: summary,
    description: description,
    runbook_url: c.runbookURLPattern % anchor,
    dashboard_url: '%s/d/%s' % [c.grafanaURL, c.dashboardIDs[dashboard]],
  },

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'django-probes',
        rules: [
          {
            alert: 'DjangoProbeFailed',
            expr: failing('probe_success{%s} == 0' % c.probeSelector, probeBy),
            'for': c.probeFailedFor,
            labels: { severity: c.probeFailedSeverity },
            annotations: annotations(
              'djangoprobefailed',
              'probes',
              'A Django site fails its probe.',
              '{{ $labels.instance }} has failed its probe%s for %s: /probe?target={{ $labels.instance }}&debug=true on the exporter says why.' % [locations, c.probeFailedFor],
            ),
          },
          {
            alert: 'DjangoCheckFailed',
            expr: failing('probe_check_success{%s} == 0' % c.probeSelector, probeBy + ', check, type'),
            'for': c.checkFailedFor,
            labels: { severity: c.checkFailedSeverity },
            annotations: annotations(
              'djangocheckfailed',
              'probes',
              'A configured check of a Django page fails.',
              'Check {{ $labels.check }} ({{ $labels.type }}) of {{ $labels.instance }} has failed%s for %s.' % [locations, c.checkFailedFor],
            ),
          },
          {
            alert: 'DjangoDebugPageExposed',
            expr: 'max by (%s) (probe_django_debug_enabled{%s}) == 1' % [probeBy, c.probeSelector],
            'for': c.debugPageFor,
            labels: { severity: c.debugPageSeverity },
            annotations: annotations(
              'djangodebugpageexposed',
              'probes',
              'A Django site shows its DEBUG=True pages to the world.',
              '{{ $labels.instance }} answers with a Django DEBUG page: settings, paths and tracebacks are public. Set DEBUG = False now.',
            ),
          },
          {
            alert: 'DjangoDisallowedHost',
            expr: 'max by (%s) (probe_django_disallowed_host{%s}) == 1' % [probeBy, c.probeSelector],
            'for': c.disallowedHostFor,
            labels: { severity: c.disallowedHostSeverity },
            annotations: annotations(
              'djangodisallowedhost',
              'probes',
              'Django refuses the Host header of a site (ALLOWED_HOSTS).',
              '{{ $labels.instance }} answers 400 Bad Request because its host name is not in ALLOWED_HOSTS; every visitor gets the same for %s.' % c.disallowedHostFor,
            ),
          },
          {
            alert: 'DjangoHealthCheckBackendDown',
            expr: failing('probe_django_health_check_up{%s} == 0' % c.probeSelector, probeBy + ', check'),
            'for': c.healthCheckBackendFor,
            labels: { severity: c.healthCheckBackendSeverity },
            annotations: annotations(
              'djangohealthcheckbackenddown',
              'probes',
              'A backend of a Django health check is down.',
              'Health-check backend {{ $labels.check }} of {{ $labels.instance }} has been failing%s for %s.' % [locations, c.healthCheckBackendFor],
            ),
          },
          {
            alert: 'DjangoContentChanged',
            expr: 'max by (%s) (changes(probe_http_content_hash{%s, %s}[%s])) > 0' % [probeBy, c.probeSelector, c.contentChangeSelector, c.contentChangeWindow],
            labels: { severity: c.contentChangedSeverity },
            annotations: annotations(
              'djangocontentchanged',
              'probes',
              'A page that should not change has changed.',
              'The body of {{ $labels.instance }} changed {{ $value }} time(s) in the last %s.' % c.contentChangeWindow,
            ),
          },
          {
            alert: 'DjangoSlowResponse',
            expr: 'avg by (%s) (avg_over_time(probe_duration_seconds{%s}[5m])) > %g' % [probeBy, c.probeSelector, c.slowResponseSeconds],
            'for': c.slowResponseFor,
            labels: { severity: c.slowResponseSeverity },
            annotations: annotations(
              'djangoslowresponse',
              'probes',
              'A Django site answers slowly.',
              'Probes of {{ $labels.instance }} have taken {{ $value | humanizeDuration }} on average for %s (threshold %gs).' % [c.slowResponseFor, c.slowResponseSeconds],
            ),
          },
          {
            alert: 'DjangoTLSCertificateExpiringSoon',
            expr: 'min by (%s) (probe_ssl_earliest_cert_expiry{%s}) - time() < %d * 86400' % [probeBy, c.probeSelector, c.certExpiryWarningDays],
            'for': c.certExpiryFor,
            labels: { severity: c.certExpiryWarningSeverity },
            annotations: annotations(
              'djangotlscertificateexpiringsoon',
              'probes',
              'A TLS certificate of a Django site expires soon.',
              'The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}.',
            ),
          },
          {
            alert: 'DjangoTLSCertificateExpiringVerySoon',
            expr: 'min by (%s) (probe_ssl_earliest_cert_expiry{%s}) - time() < %d * 86400' % [probeBy, c.probeSelector, c.certExpiryCriticalDays],
            'for': c.certExpiryFor,
            labels: { severity: c.certExpiryCriticalSeverity },
            annotations: annotations(
              'djangotlscertificateexpiringverysoon',
              'probes',
              'A TLS certificate of a Django site is about to expire.',
              'The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}: renew it today.',
            ),
          },
        ],
      },
      {
        name: 'django-heartbeats',
        rules: [
          {
            alert: 'HeartbeatLate',
            expr: 'max by (%s) (heartbeat_deadline_timestamp_seconds{%s}) < time()' % [heartbeatBy, c.exporterSelector],
            'for': c.heartbeatLateFor,
            labels: { severity: c.heartbeatLateSeverity },
            annotations: annotations(
              'heartbeatlate',
              'heartbeats',
              'A background job has gone silent.',
              'Heartbeat {{ $labels.heartbeat }} was due by {{ $value | humanizeTimestamp }} and no exporter replica has heard from it since.',
            ),
          },
          {
            alert: 'HeartbeatFailed',
            expr: 'max by (%(by)s) (heartbeat_last_failure_timestamp_seconds{%(sel)s}) > max by (%(by)s) (heartbeat_last_success_timestamp_seconds{%(sel)s})' % { by: heartbeatBy, sel: c.exporterSelector },
            'for': c.heartbeatFailedFor,
            labels: { severity: c.heartbeatFailedSeverity },
            annotations: annotations(
              'heartbeatfailed',
              'heartbeats',
              'The last run of a background job failed.',
              'Heartbeat {{ $labels.heartbeat }} reported a failure at {{ $value | humanizeTimestamp }}, and no success since; its last message is on the exporter status page.',
            ),
          },
          {
            alert: 'HeartbeatRunningTooLong',
            // The oldest run in progress is past max_runtime, and no
            // replica has seen a run end since it started (a run may start
            // on one replica and end on the other).
            expr: |||
              (
                time() - min by (%(by)s) (heartbeat_running_since_timestamp_seconds{%(sel)s} > 0)
              ) > max by (%(by)s) (heartbeat_max_runtime_seconds{%(sel)s} > 0)
              and on (%(by)s)
              min by (%(by)s) (heartbeat_running_since_timestamp_seconds{%(sel)s} > 0)
                > max by (%(by)s) ({__name__=~"heartbeat_last_(success|failure)_timestamp_seconds", %(sel)s})
            ||| % { by: heartbeatBy, sel: c.exporterSelector },
            'for': c.heartbeatRunningTooLongFor,
            labels: { severity: c.heartbeatRunningTooLongSeverity },
            annotations: annotations(
              'heartbeatrunningtoolong',
              'heartbeats',
              'A background job has been running longer than it may.',
              'A run of {{ $labels.heartbeat }} started {{ $value | humanizeDuration }} ago and has not ended: past its max_runtime.',
            ),
          },
        ],
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
