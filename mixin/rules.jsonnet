// The mixin's recording rules as a Prometheus rule file:
//   jsonnet -S rules.jsonnet > prometheus_rules.yaml
std.manifestYamlDoc((import 'mixin.libsonnet').prometheusRules, indent_array_in_object=false, quote_keys=false)
