// The mixin's settings. Override any of them:
//
//   (import 'mixin.libsonnet') + { _config+:: { probeQuorum: 2, locationLabel: 'location' } }
{
  _config+:: {
    // Selectors of the two scrape jobs (examples/prometheus/prometheus.yml).
    probeSelector: 'job="django-probe"',
    exporterSelector: 'job="django-health-exporter"',

    // Alerts keep every label of a target or a heartbeat (team, url,
    // cluster...) so that Alertmanager can route on them, and aggregate
    // away only the labels that tell copies of the same thing apart.
    //
    // Heartbeats: the exporter replica. A pair behind one address each
    // sees some pings, and the freshest view wins.
    heartbeatReplicaLabels: ['instance', 'pod'],
    // Probes: labels that differ between copies of the same probe (a
    // Prometheus HA pair's replica label, say). locationLabel is added.
    probeReplicaLabels: [],
    // Probing from several locations (one exporter per region, each
    // scrape adding a location label)? Name the label, and how many
    // locations must see a failure before an alert fires: one region's
    // network blip then does not page.
    locationLabel: '',
    probeQuorum: 1,

    // Show a cluster variable and cluster labels (node-mixin's showMultiCluster).
    showMultiCluster: false,
    clusterLabel: 'cluster',

    // Where the exporter answers, for the links in alerts and dashboards
    // (/probe?...&debug=true says why a probe failed; /heartbeats/NAME
    // shows a heartbeat's last messages). Left empty, each link goes to
    // the exporter that produced the series: a heartbeat's from its
    // instance label, a probe's from exporterLabel, which
    // examples/prometheus/prometheus.yml sets to the exporter's address.
    // Set it for one fixed URL (a proxy, say).
    exporterURL: '',
    exporterLabel: 'exporter',

    // Heartbeats the Celery helper (examples/celery) registers.
    celeryWorkerHeartbeats: 'celery-worker@.+',
    celeryQueueHeartbeats: 'celery-queue-.+',

    // Thresholds and durations.
    probeFailedFor: '5m',
    checkFailedFor: '5m',
    debugPageFor: '1m',
    disallowedHostFor: '5m',
    healthCheckBackendFor: '5m',
    loginFailedFor: '5m',
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
    // More successes per expected run than this (2: the job ran twice).
    heartbeatRanTooOftenRatio: 1.5,
    heartbeatRanTooOftenFor: '5m',
    heartbeatMultipleSourcesFor: '5m',
    heartbeatPingsRejectedWindow: '10m',
    heartbeatPingsRejectedFor: '0m',
    celeryQueueBacklogSeconds: 300,
    // Messages waiting in a queue (queue_length, measured by beat).
    celeryQueueBacklogLength: 1000,
    celeryQueueBacklogFor: '10m',
    celeryWorkerDownFor: '1m',
    staticAssetsBrokenFor: '5m',
    // Releases (probe_django_release_info, heartbeat_release_info): one
    // group is one deployment, in which the web and every worker, job and
    // beat should run one release. [] (the default): all one Prometheus
    // sees is one deployment; ['cluster'] or ['namespace'] splits it.
    releaseGroupLabels: [],
    // A rolling deploy runs two releases for a while: longer than this
    // is drift.
    releaseDriftFor: '15m',
    configReloadFailedFor: '10m',
    exporterDownFor: '5m',

    // Severities. A failing critical-level check fails its probe, so
    // DjangoProbeFailed pages for it; DjangoCheckFailed names the check.
    // A warning-level check never fails the probe.
    probeFailedSeverity: 'critical',
    checkFailedSeverity: 'warning',
    warningCheckFailedSeverity: 'warning',
    debugPageSeverity: 'critical',
    disallowedHostSeverity: 'critical',
    healthCheckBackendSeverity: 'critical',
    loginFailedSeverity: 'critical',
    contentChangedSeverity: 'info',
    slowResponseSeverity: 'warning',
    heartbeatLateSeverity: 'critical',
    heartbeatFailedSeverity: 'warning',
    heartbeatRunningTooLongSeverity: 'critical',
    heartbeatRanTooOftenSeverity: 'warning',
    heartbeatMultipleSourcesSeverity: 'warning',
    heartbeatPingsRejectedSeverity: 'warning',
    celeryQueueBacklogSeverity: 'warning',
    celeryWorkerDownSeverity: 'warning',
    certExpiryWarningSeverity: 'warning',
    certExpiryCriticalSeverity: 'critical',
    staticAssetsBrokenSeverity: 'critical',
    releaseDriftSeverity: 'warning',
    configReloadFailedSeverity: 'warning',
    exporterDownSeverity: 'warning',

    // Links in the alerts.
    runbookURLPattern: 'https://github.com/django-health/django_health_exporter/blob/main/docs/runbook.md#%s',
    // Grafana's address: alerts carry a dashboard_url when it is set.
    grafanaURL: '',
    dashboardIDs: {
      probes: 'django-health-probes',
      heartbeats: 'django-health-heartbeats',
    },
    dashboardTags: ['django', 'django-health-exporter'],
    dashboardTimezone: 'utc',
    dashboardRefresh: '1m',
  },
}
