// The mixin's alerts as a Prometheus rule file:
//   jsonnet -S alerts.jsonnet > prometheus_alerts.yaml
std.manifestYamlDoc((import 'mixin.libsonnet').prometheusAlerts, indent_array_in_object=false, quote_keys=false)
