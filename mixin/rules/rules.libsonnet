// Recording rules the dashboards reuse, named level:metric:operations.
{
  local c = $._config,
  local cluster = if c.showMultiCluster then ', ' + c.clusterLabel else '',
  local probeBy = c.probeGroupBy + cluster,
  local heartbeatBy = c.heartbeatGroupBy + cluster,

  prometheusRules+:: {
    groups+: [
      {
        name: 'django-probes.rules',
        rules: [
          {
            // Share of successful probes over 5m, averaged over locations;
            // uptime over any range is avg_over_time of it.
            record: 'instance:probe_success:avg_over_time5m',
            expr: 'avg by (%s) (avg_over_time(probe_success{%s}[5m]))' % [probeBy, c.probeSelector],
          },
          {
            record: 'instance:probe_duration_seconds:avg_over_time5m',
            expr: 'avg by (%s) (avg_over_time(probe_duration_seconds{%s}[5m]))' % [probeBy, c.probeSelector],
          },
          {
            record: 'instance_phase:probe_http_duration_seconds:avg_over_time5m',
            expr: 'avg by (%s, phase) (avg_over_time(probe_http_duration_seconds{%s}[5m]))' % [probeBy, c.probeSelector],
          },
          {
            record: 'instance:probe_ssl_earliest_cert_expiry:min',
            expr: 'min by (%s) (probe_ssl_earliest_cert_expiry{%s})' % [probeBy, c.probeSelector],
          },
        ],
      },
      {
        name: 'django-heartbeats.rules',
        rules: [
          {
            // The freshest deadline over exporter replicas.
            record: 'heartbeat:heartbeat_deadline_timestamp_seconds:max',
            expr: 'max by (%s) (heartbeat_deadline_timestamp_seconds{%s})' % [heartbeatBy, c.exporterSelector],
          },
          {
            record: 'heartbeat:heartbeat_last_success_timestamp_seconds:max',
            expr: 'max by (%s) (heartbeat_last_success_timestamp_seconds{%s})' % [heartbeatBy, c.exporterSelector],
          },
          {
            record: 'heartbeat:heartbeat_last_failure_timestamp_seconds:max',
            expr: 'max by (%s) (heartbeat_last_failure_timestamp_seconds{%s})' % [heartbeatBy, c.exporterSelector],
          },
          {
            record: 'heartbeat:heartbeat_last_ping_timestamp_seconds:max',
            expr: 'max by (%s) (heartbeat_last_ping_timestamp_seconds{%s})' % [heartbeatBy, c.exporterSelector],
          },
          {
            // 1 while the freshest deadline has not passed and the last
            // run anywhere did not fail: the dashboard's state timeline.
            record: 'heartbeat:heartbeat_up:max',
            expr: 'max by (%s) (heartbeat_up{%s})' % [heartbeatBy, c.exporterSelector],
          },
        ],
      },
    ],
  },
}
