// Alerts on what the probes of the Django sites find (group django-probes).
local lib = import 'lib.libsonnet';

{
  local c = $._config,
  local l = lib(c),
  local overProbes = l.overProbes,
  local failing = l.failing,
  local locations = l.locations,
  local target = l.target,
  local debugLink = l.debugLink,
  local failedLink = l.failedLink,
  local reasons = l.reasons,
  local annotations = l.annotations,

  probeAlertRules:: [
    {
      alert: 'DjangoProbeFailed',
      expr: failing('probe_success{%s} == 0' % c.probeSelector),
      'for': c.probeFailedFor,
      labels: { severity: c.probeFailedSeverity },
      annotations: annotations(
        'djangoprobefailed',
        'probes',
        'A Django site fails its probe.',
        '%s has failed its probe%s for %s. Why: %s. The failed probe: %s' % [target, locations, c.probeFailedFor, reasons, failedLink],
      ),
    },
    {
      alert: 'DjangoCheckFailed',
      // Critical-level checks (and checks of exporters without the
      // severity label): they also fail the probe.
      expr: failing('probe_check_success{%s, severity!="warning"} == 0' % c.probeSelector),
      'for': c.checkFailedFor,
      // The check's own severity stays as check_severity; severity
      // is the alert's, for routing.
      labels: { severity: c.checkFailedSeverity, check_severity: 'critical' },
      annotations: annotations(
        'djangocheckfailed',
        'probes',
        'A configured check of a Django page fails.',
        'Check {{ $labels.check }} ({{ $labels.type }}) of %s has failed%s for %s, and fails its probe. %s' % [target, locations, c.checkFailedFor, failedLink],
      ),
    },
    {
      alert: 'DjangoCheckFailed',
      // Warning-level checks: reported, never failing the probe.
      expr: failing('probe_check_success{%s, severity="warning"} == 0' % c.probeSelector),
      'for': c.checkFailedFor,
      labels: { severity: c.warningCheckFailedSeverity, check_severity: 'warning' },
      annotations: annotations(
        'djangocheckfailed',
        'probes',
        'A warning-level check of a Django page fails.',
        'Check {{ $labels.check }} ({{ $labels.type }}, warning level) of %s has failed%s for %s; the probe itself still succeeds. %s' % [target, locations, c.checkFailedFor, debugLink],
      ),
    },
    {
      alert: 'DjangoDebugPageExposed',
      expr: overProbes('max', 'probe_django_debug_enabled{%s}' % c.probeSelector) + ' == 1',
      'for': c.debugPageFor,
      labels: { severity: c.debugPageSeverity },
      annotations: annotations(
        'djangodebugpageexposed',
        'probes',
        'A Django site shows its DEBUG=True pages to the world.',
        '%s answers with a Django DEBUG page: settings, paths and tracebacks are public. Set DEBUG = False now.' % target,
      ),
    },
    {
      alert: 'DjangoDisallowedHost',
      expr: overProbes('max', 'probe_django_disallowed_host{%s}' % c.probeSelector) + ' == 1',
      'for': c.disallowedHostFor,
      labels: { severity: c.disallowedHostSeverity },
      annotations: annotations(
        'djangodisallowedhost',
        'probes',
        'Django answers a site with its generic 400 page, most often ALLOWED_HOSTS.',
        "%s answers Django's generic 400 Bad Request page for %s: most often its host name is not in ALLOWED_HOSTS (with DEBUG off any SuspiciousOperation gives the same page). Every visitor gets it. %s" % [target, c.disallowedHostFor, failedLink],
      ),
    },
    {
      alert: 'DjangoHealthCheckBackendDown',
      expr: failing('probe_django_health_check_up{%s} == 0' % c.probeSelector),
      'for': c.healthCheckBackendFor,
      labels: { severity: c.healthCheckBackendSeverity },
      annotations: annotations(
        'djangohealthcheckbackenddown',
        'probes',
        'A backend of a Django health check is down.',
        'Health-check backend {{ $labels.check }} of %s has been failing%s for %s. %s' % [target, locations, c.healthCheckBackendFor, failedLink],
      ),
    },
    {
      // The login probe (django.login): users cannot log in, while
      // the pages anybody can see may all be fine.
      alert: 'DjangoLoginFailed',
      expr: failing('probe_django_login_success{%s} == 0' % c.probeSelector),
      'for': c.loginFailedFor,
      labels: { severity: c.loginFailedSeverity },
      annotations: annotations(
        'djangologinfailed',
        'probes',
        'The probe cannot log in to a Django site.',
        'The login probe of %s has failed%s for %s: people may not be able to log in. The step that failed and why: %s' % [target, locations, c.loginFailedFor, failedLink],
      ),
    },
    {
      alert: 'DjangoContentChanged',
      expr: overProbes('max', 'changes(probe_http_content_hash{%s, %s}[%s])' % [c.probeSelector, c.contentChangeSelector, c.contentChangeWindow]) + ' > 0',
      labels: { severity: c.contentChangedSeverity },
      annotations: annotations(
        'djangocontentchanged',
        'probes',
        'A page that should not change has changed.',
        'The body of %s changed {{ $value }} time(s) in the last %s.' % [target, c.contentChangeWindow],
      ),
    },
    {
      alert: 'DjangoSlowResponse',
      expr: overProbes('avg', 'avg_over_time(probe_duration_seconds{%s}[5m])' % c.probeSelector) + ' > %g' % c.slowResponseSeconds,
      'for': c.slowResponseFor,
      labels: { severity: c.slowResponseSeverity },
      annotations: annotations(
        'djangoslowresponse',
        'probes',
        'A Django site answers slowly.',
        'Probes of %s have taken {{ $value | humanizeDuration }} on average for %s (threshold %gs).' % [target, c.slowResponseFor, c.slowResponseSeconds],
      ),
    },
    {
      alert: 'DjangoTLSCertificateExpiringSoon',
      expr: overProbes('min', 'probe_ssl_earliest_cert_expiry{%s}' % c.probeSelector) + ' - time() < %d * 86400' % c.certExpiryWarningDays,
      'for': c.certExpiryFor,
      labels: { severity: c.certExpiryWarningSeverity },
      annotations: annotations(
        'djangotlscertificateexpiringsoon',
        'probes',
        'A TLS certificate of a Django site expires soon.',
        'The certificate of %s expires in {{ $value | humanizeDuration }}.' % target,
      ),
    },
    {
      alert: 'DjangoTLSCertificateExpiringVerySoon',
      expr: overProbes('min', 'probe_ssl_earliest_cert_expiry{%s}' % c.probeSelector) + ' - time() < %d * 86400' % c.certExpiryCriticalDays,
      'for': c.certExpiryFor,
      labels: { severity: c.certExpiryCriticalSeverity },
      annotations: annotations(
        'djangotlscertificateexpiringverysoon',
        'probes',
        'A TLS certificate of a Django site is about to expire.',
        'The certificate of %s expires in {{ $value | humanizeDuration }}: renew it today.' % target,
      ),
    },
  ],
}
