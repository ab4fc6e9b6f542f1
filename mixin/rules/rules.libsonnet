// Recording rules the dashboards reuse, named level:metric:operations.
// Like the alerts, they keep every label but those telling copies apart.
local agg = import '../lib/aggregate.libsonnet';

{
  local c = $._config,
  local overProbes(fn, expr) = agg.overProbes(c, fn, expr),
  local overReplicas(fn, expr) = agg.overReplicas(c, fn, expr),

  prometheusRules+:: {
    groups+: [
      {
        name: 'django-probes.rules',
        rules: [
          {
            // Share of successful probes over 5m, averaged over locations;
            // uptime over any range is avg_over_time of it.
            record: 'instance:probe_success:avg_over_time5m',
            expr: overProbes('avg', 'avg_over_time(probe_success{%s}[5m])' % c.probeSelector),
          },
          {
            record: 'instance:probe_duration_seconds:avg_over_time5m',
            expr: overProbes('avg', 'avg_over_time(probe_duration_seconds{%s}[5m])' % c.probeSelector),
          },
          {
            record: 'instance_phase:probe_http_duration_seconds:avg_over_time5m',
            expr: overProbes('avg', 'avg_over_time(probe_http_duration_seconds{%s}[5m])' % c.probeSelector),
          },
          {
            record: 'instance:probe_ssl_earliest_cert_expiry:min',
            expr: overProbes('min', 'probe_ssl_earliest_cert_expiry{%s}' % c.probeSelector),
          },
        ],
      },
      {
        name: 'django-heartbeats.rules',
        rules: [
          {
            // The freshest deadline over exporter replicas.
            record: 'heartbeat:heartbeat_deadline_timestamp_seconds:max',
            expr: overReplicas('max', 'heartbeat_deadline_timestamp_seconds{%s}' % c.exporterSelector),
          },
          {
            record: 'heartbeat:heartbeat_last_success_timestamp_seconds:max',
            expr: overReplicas('max', 'heartbeat_last_success_timestamp_seconds{%s}' % c.exporterSelector),
          },
          {
            record: 'heartbeat:heartbeat_last_failure_timestamp_seconds:max',
            expr: overReplicas('max', 'heartbeat_last_failure_timestamp_seconds{%s}' % c.exporterSelector),
          },
          {
            // The last ping of any kind (metrics: detailed); with basic,
            // which has no such series, the last success.
            record: 'heartbeat:heartbeat_last_ping_timestamp_seconds:max',
            expr: '%s\nor\n%s' % [
              overReplicas('max', 'heartbeat_last_ping_timestamp_seconds{%s}' % c.exporterSelector),
              overReplicas('max', 'heartbeat_last_success_timestamp_seconds{%s}' % c.exporterSelector),
            ],
          },
          {
            // 1 while the freshest deadline has not passed and the last
            // run anywhere did not fail.
            record: 'heartbeat:heartbeat_up:max',
            expr: overReplicas('max', 'heartbeat_up{%s}' % c.exporterSelector),
          },
        ],
      },
    ],
  },
}
