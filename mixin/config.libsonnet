// The mixin's settings. Override any of them:
//
//   (import 'mixin.libsonnet') + { _config+:: { probeQuorum: 2, locationLabel: 'location' } }
{
  _config+:: {
    // Selectors of the two scrape jobs (examples/prometheus/prometheus.yml).
    probeSelector: 'job="django-probe"',
    exporterSelector: 'job="django-health-exporter"',

    // Probe alerts are evaluated per target; the labels they keep.
    probeGroupBy: 'job, instance',
    // Probing from several locations (one exporter per region, each
    // scrape adding a location label)? Name the label, and how many
    // locations must see a failure before an alert fires: one region's
    // network blip then does not page.
    locationLabel: '',
    probeQuorum: 1,

    // Heartbeat alerts aggregate over exporter replicas: a pair behind
    // one address each sees some pings, and the freshest wins.
    heartbeatGroupBy: 'heartbeat',

    // Show a cluster variable and cluster labels (node-mixin's showMultiCluster).
    showMultiCluster: false,
    clusterLabel: 'cluster',

    // Thresholds and durations.
    probeFailedFor: '5m',
    checkFailedFor: '5m',
    debugPageFor: '1m',
    disallowedHostFor: '5m',
    healthCheckBackendFor: '5m',
    // Content-change alerts are for pages that should not change between
    // deploys (static pages, robots.txt, security.txt, bundles): targets
    // opt in with a label. Pages with CSRF tokens change on every probe.
    contentChangeSelector: 'watch_content="true"',
    contentChangeWindow: '10m',
    slowResponseSeconds: 2,
    slowResponseFor: '15m',
    certExpiryWarningDays: 14,
    certExpiryCriticalDays: 3,
    certExpiryFor: '15m',
    heartbeatLateFor: '1m',
    heartbeatFailedFor: '0m',
    heartbeatRunningTooLongFor: '0m',
    configReloadFailedFor: '10m',
    exporterDownFor: '5m',

    // Severities.
    probeFailedSeverity: 'critical',
    checkFailedSeverity: 'warning',
    debugPageSeverity: 'critical',
    disallowedHostSeverity: 'critical',
    healthCheckBackendSeverity: 'critical',
    contentChangedSeverity: 'info',
    slowResponseSeverity: 'warning',
    heartbeatLateSeverity: 'critical',
    heartbeatFailedSeverity: 'warning',
    heartbeatRunningTooLongSeverity: 'warning',
    certExpiryWarningSeverity: 'warning',
    certExpiryCriticalSeverity: 'critical',
    configReloadFailedSeverity: 'warning',
    exporterDownSeverity: 'warning',

    // Links in the alerts.
    runbookURLPattern: 'https://github.com/django-health/django_health_exporter/blob/main/docs/runbook.md#%s',
    grafanaURL: 'http://localhost:3000',
    dashboardIDs: {
      probes: 'django-health-probes',
      heartbeats: 'django-health-heartbeats',
    },
    dashboardTags: ['django', 'django-health-exporter'],
    dashboardTimezone: 'utc',
    dashboardRefresh: '1m',
  },
}
