// Alerts on Celery's queues and workers, from the heartbeats the Celery
// helper makes (group django-heartbeats, after the heartbeats' own).
local lib = import 'lib.libsonnet';

{
  local c = $._config,
  local l = lib(c),
  local overReplicas = l.overReplicas,
  local heartbeatLink = l.heartbeatLink,
  local annotations = l.annotations,
  local hb = l.hb,

  celeryAlertRules:: [
    {
      // One rule, two measures (promtool's lint refuses two rules of one
      // name): how long the canary waited, and the length beat measures
      // through the broker, which shows a backlog before the canary that
      // waits in it runs. The metric label tells them apart.
      alert: 'CeleryQueueBacklog',
      expr: '%s > %g\nor\n%s > %g\n' % [
        overReplicas('max', 'heartbeat_last_value{%s, metric="wait_seconds", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]),
        c.celeryQueueBacklogSeconds,
        overReplicas('max', 'heartbeat_last_value{%s, metric="queue_length", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]),
        c.celeryQueueBacklogLength,
      ],
      'for': c.celeryQueueBacklogFor,
      labels: { severity: c.celeryQueueBacklogSeverity },
      annotations: annotations(
        'celeryqueuebacklog',
        'heartbeats',
        'A Celery queue is backed up.',
        ('{{ if eq $labels.metric "queue_length" }}{{ $value | printf "%%.0f" }} messages wait in the queue of {{ $labels.heartbeat }} (threshold %g), as beat measured it through the broker.'
         + '{{ else }}The canary task of {{ $labels.heartbeat }} waited {{ $value | humanizeDuration }} before a worker ran it (threshold %gs): tasks on this queue start that late.{{ end }}')
        % [c.celeryQueueBacklogLength, c.celeryQueueBacklogSeconds],
      ),
    },
    {
      alert: 'CeleryWorkerDown',
      expr: overReplicas('max', 'heartbeat_deadline_timestamp_seconds{%s, heartbeat=~"%s"}' % [hb, c.celeryWorkerHeartbeats]) + ' < time()',
      'for': c.celeryWorkerDownFor,
      labels: { severity: c.celeryWorkerDownSeverity },
      annotations: annotations(
        'celeryworkerdown',
        'heartbeats',
        'A Celery worker has gone silent.',
        'Celery worker {{ $labels.heartbeat }}{{ with $labels.queues }} (queues {{ . }}){{ end }} was due by {{ $value | humanizeTimestamp }} and has not pinged since: killed, out of memory or hung. A clean shutdown would have removed it. %s' % heartbeatLink,
      ),
    },
  ],
}
