// The mixin's Grafana dashboards, one file each:
//   jsonnet -m dashboards_out dashboards.jsonnet
(import 'mixin.libsonnet').grafanaDashboards
