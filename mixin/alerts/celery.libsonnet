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
      alert: 'CeleryQueueBacklog',
      expr: overReplicas('max', 'heartbeat_last_value{%s, metric="wait_seconds", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]) + ' > %g' % c.celeryQueueBacklogSeconds,
      'for': c.celeryQueueBacklogFor,
      labels: { severity: c.celeryQueueBacklogSeverity },
      annotations: annotations(
        'celeryqueuebacklog',
        'heartbeats',
        'A Celery queue is backed up.',
        'The canary task of {{ $labels.heartbeat }} waited {{ $value | humanizeDuration }} before a worker ran it (threshold %gs): tasks on this queue start that late.' % c.celeryQueueBacklogSeconds,
      ),
    },
    {
      alert: 'CeleryQueueBacklog',
      // The length beat measures through the broker: a backlog
      // shows before the canary that waits in it runs.
      expr: overReplicas('max', 'heartbeat_last_value{%s, metric="queue_length", heartbeat=~"%s"}' % [hb, c.celeryQueueHeartbeats]) + ' > %g' % c.celeryQueueBacklogLength,
      'for': c.celeryQueueBacklogFor,
      labels: { severity: c.celeryQueueBacklogSeverity },
      annotations: annotations(
        'celeryqueuebacklog',
        'heartbeats',
        'A Celery queue is backed up.',
        '{{ $value | printf "%%.0f" }} messages wait in the queue of {{ $labels.heartbeat }} (threshold %g), as beat measured it through the broker.' % c.celeryQueueBacklogLength,
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
