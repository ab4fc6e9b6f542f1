#!/usr/bin/env bash
# Renders the mixin into OUT (default: this directory): prometheus_alerts.yaml,
# prometheus_rules.yaml, dashboards_out/*.json and tests/quorum_alerts.yaml
# (the probe-quorum variant the rule tests exercise). `make mixin` runs it;
# the tests render into a temporary directory and compare.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
jsonnet() { (cd "$here/.." && go tool jsonnet -J "$here" "$@"); }
yaml() { jsonnet -S -e "std.manifestYamlDoc($1, indent_array_in_object=false, quote_keys=false)"; }
mkdir -p "$out/dashboards_out" "$out/tests"
yaml '(import "mixin.libsonnet").prometheusAlerts' > "$out/prometheus_alerts.yaml"
yaml '(import "mixin.libsonnet").prometheusRules' > "$out/prometheus_rules.yaml"
yaml '((import "mixin.libsonnet") + { _config+:: { locationLabel: "location", probeQuorum: 2 } }).prometheusAlerts' > "$out/tests/quorum_alerts.yaml"
rm -f "$out"/dashboards_out/*.json
jsonnet -m "$out/dashboards_out" -e '(import "mixin.libsonnet").grafanaDashboards' >/dev/null
