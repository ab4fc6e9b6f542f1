// Alerts on what a deploy leaves behind: static files that do not load,
// a release that differs between the web and the workers (group
// django-deploy).
local lib = import 'lib.libsonnet';

{
  local c = $._config,
  local l = lib(c),
  local failing = l.failing,
  local locations = l.locations,
  local target = l.target,
  local failedLink = l.failedLink,
  local annotations = l.annotations,
  local quietProbe = l.quietProbe,
  local hb = c.exporterSelector,
  local groups = c.releaseGroupLabels,
  local by(extra) = std.join(', ', groups + extra),

  // Who runs which release: each probed target (instance) and each
  // heartbeat, replicas and locations aggregated away, leaving out the
  // targets in a maintenance window and the paused heartbeats (a deploy
  // holds them while it runs).
  local releases =
    |||
      (
        max by (%(heartbeat)s) (heartbeat_release_info{%(hb)s})
        unless on (%(heartbeatOnly)s)
        max by (%(heartbeatOnly)s) (heartbeat_paused{%(hb)s} == 1)
      )
      or
      (
        max by (%(instance)s) (probe_django_release_info{%(probe)s})
        unless on (%(instanceOnly)s)
        max by (%(instanceOnly)s) (probe_maintenance{%(probe)s} == 1)
      )
    ||| % {
      heartbeat: by(['heartbeat', 'release']),
      heartbeatOnly: by(['heartbeat']),
      instance: by(['instance', 'release']),
      instanceOnly: by(['instance']),
      hb: hb,
      probe: c.probeSelector,
    },
  local whoRuns =
    '{{ range printf "max by (release, heartbeat) (heartbeat_release_info{%s}) or max by (release, instance) (probe_django_release_info{%s})" | query | sortByLabel "release" }}'
    % [std.strReplace(hb, '"', '\\"'), std.strReplace(c.probeSelector, '"', '\\"')]
    + '{{ .Labels.release }}: {{ with .Labels.heartbeat }}heartbeat {{ . }}{{ end }}{{ with .Labels.instance }}target {{ . }}{{ end }}; {{ end }}',

  deployAlertRules:: [
    quietProbe({
      // A stylesheet, script or image the page links is missing (404),
      // forbidden (403) or answered with an HTML page: collectstatic did
      // not run, the manifest or the static alias points at another
      // release, a bucket's permissions changed.
      alert: 'DjangoStaticAssetsBroken',
      expr: failing('probe_django_static_assets_broken{%s} > 0' % c.probeSelector),
      'for': c.staticAssetsBrokenFor,
      labels: { severity: c.staticAssetsBrokenSeverity },
      annotations: annotations(
        'djangostaticassetsbroken',
        'probes',
        "A Django page's static files do not load.",
        '%s links static assets that are broken%s for %s: the page loads without its styles or scripts. Each broken asset, its status and why: %s' % [target, locations, c.staticAssetsBrokenFor, failedLink],
      ),
    }),
    {
      // The web, the workers and beat should run one release once a
      // deploy is over: a worker never restarted still runs the old code.
      alert: 'DjangoReleaseDrift',
      expr: 'count by (%s) (count by (%s) (\n%s)) > 1\n' % [std.join(', ', groups), by(['release']), releases],
      'for': c.releaseDriftFor,
      labels: { severity: c.releaseDriftSeverity },
      annotations: annotations(
        'djangoreleasedrift',
        'heartbeats',
        'The web and the workers of a Django deployment run different releases.',
        '{{ $value }} releases have been running side by side for %s: a web server or a worker was not restarted by the deploy. Who runs which: %s' % [c.releaseDriftFor, whoRuns],
      ),
    },
  ],
}
