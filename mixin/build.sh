#!/usr/bin/env bash
# Renders the mixin into OUT (default: this directory) from its standard
# entry points: prometheus_alerts.yaml (alerts.jsonnet),
# prometheus_rules.yaml (rules.jsonnet), dashboards_out/*.json
# (dashboards.jsonnet), examples/kubernetes/prometheus-rule.yaml
# (prometheus_rule.jsonnet), and tests/quorum_alerts.yaml (the probe-quorum
# variant the rule tests exercise). `make mixin` runs it; the tests render
# into a temporary directory and compare.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
jsonnet() { (cd "$here/.." && go tool jsonnet -J "$here" "$@"); }
mkdir -p "$out/dashboards_out" "$out/tests"
jsonnet -S "$here/alerts.jsonnet" > "$out/prometheus_alerts.yaml"
jsonnet -S "$here/rules.jsonnet" > "$out/prometheus_rules.yaml"
# The prometheus-operator's PrometheusRule, beside the other Kubernetes
# examples (into OUT when one is given, for the tests to compare).
rule_out=$here/../examples/kubernetes/prometheus-rule.yaml
[ "$out" != "$here" ] && rule_out=$out/prometheus-rule.yaml
jsonnet -S "$here/prometheus_rule.jsonnet" > "$rule_out"
jsonnet -S -e 'std.manifestYamlDoc(((import "mixin.libsonnet") + { _config+:: { locationLabel: "location", probeQuorum: 2 } }).prometheusAlerts, indent_array_in_object=false, quote_keys=false)' > "$out/tests/quorum_alerts.yaml"
rm -f "$out"/dashboards_out/*.json
jsonnet -m "$out/dashboards_out" "$here/dashboards.jsonnet" >/dev/null
