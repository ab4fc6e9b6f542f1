// Alerts on the exporter itself (group django-health-exporter).
local lib = import 'lib.libsonnet';

{
  local c = $._config,
  local l = lib(c),
  local annotations = l.annotations,

  exporterAlertRules:: [
    {
      alert: 'DjangoHealthExporterConfigReloadFailed',
      expr: 'django_health_exporter_config_last_reload_successful{%s} == 0' % c.exporterSelector,
      'for': c.configReloadFailedFor,
      labels: { severity: c.configReloadFailedSeverity },
      annotations: annotations(
        'djangohealthexporterconfigreloadfailed',
        'probes',
        'The exporter runs on an old configuration: the new file did not load.',
        '{{ $labels.instance }} could not load its configuration file; it keeps the previous one. Run django_health_exporter --config.check.',
      ),
    },
    {
      alert: 'DjangoHealthExporterDown',
      expr: 'up{%s} == 0' % c.exporterSelector,
      'for': c.exporterDownFor,
      labels: { severity: c.exporterDownSeverity },
      annotations: annotations(
        'djangohealthexporterdown',
        'heartbeats',
        'A django_health_exporter cannot be scraped.',
        'Prometheus cannot scrape {{ $labels.instance }}: its probes and heartbeats are not watched from there.',
      ),
    },
  ],
}
