// django_health_exporter monitoring mixin: alerts, recording rules and
// Grafana dashboards for the exporter's probes and heartbeats.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
