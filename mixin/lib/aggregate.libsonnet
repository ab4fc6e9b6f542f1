// How the alerts, recording rules and dashboards aggregate: over copies
// of the same thing only (`without` the labels telling them apart), so
// that every other label (team, url, cluster) stays for routing.
{
  // probeCopies are the labels that differ between copies of one probe.
  // The exporter's address (exporterLabel) differs between locations
  // too, and is read by the alerts' links from the series themselves.
  probeCopies(c):: c.probeReplicaLabels + [c.exporterLabel] + (if c.locationLabel != '' then [c.locationLabel] else []),

  // overProbes aggregates a probe expression over copies of the probe.
  overProbes(c, fn, expr)::
    local copies = $.probeCopies(c);
    if std.length(copies) == 0 then expr
    else '%s without (%s) (%s)' % [fn, std.join(', ', copies), expr],

  // overReplicas aggregates a heartbeat expression over exporter replicas.
  overReplicas(c, fn, expr):: '%s without (%s) (%s)' % [fn, std.join(', ', c.heartbeatReplicaLabels), expr],
}
