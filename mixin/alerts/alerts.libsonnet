// The mixin's alerts, one file an area: probes, heartbeats, celery,
// deploy and exporter. This file only groups them and applies the holds
// of planned work (lib.libsonnet's quietProbe and quietHeartbeat; deploy's
// alerts hold themselves).
local lib = import 'lib.libsonnet';

(import 'probes.libsonnet') +
(import 'heartbeats.libsonnet') +
(import 'celery.libsonnet') +
(import 'deploy.libsonnet') +
(import 'exporter.libsonnet') +
{
  local l = lib($._config),
  local group(name, rules) = if rules == [] then [] else [{ name: name, rules: rules }],

  prometheusAlerts+:: {
    groups+:
      group('django-probes', std.map(l.quietProbe, $.probeAlertRules))
      + group('django-heartbeats', std.map(l.quietHeartbeat, $.heartbeatAlertRules + $.celeryAlertRules))
      + group('django-deploy', $.deployAlertRules)
      + group('django-health-exporter', $.exporterAlertRules),
  },
}
