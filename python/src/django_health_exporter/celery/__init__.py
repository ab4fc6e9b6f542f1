"""Celery wiring: one call, where the app is made.

    from django_health_exporter.celery import connect_celery
    connect_celery(app, labels={"team": "shop"})

It watches, with no event stream and nothing copied into the exporter's
configuration (the heartbeats register themselves: the exporter needs
heartbeat_defaults.auto_register):

    celery-beat            a task beat schedules every minute and a worker
                           runs: beat, the broker and a worker all work;
    celery-worker          every worker pings it: some worker lives;
    celery-worker@NODE     each worker (NODE its Celery hostname), registered
                           when it starts, removed when it stops cleanly,
                           expired by the exporter when killed;
    celery-queue-QUEUE     a canary task beat sends to each queue; the worker
                           that runs it reports how long it waited
                           (wait_seconds), and beat measures the queue's
                           length through the broker (queue_length);
    each beat entry        registered with its real schedule, from the
                           default scheduler or django-celery-beat's; every
                           run pings start and end. Leave entries out with
                           exclude_beat_tasks (names or fnmatch patterns),
                           or tune one with its options:
                           options={"heartbeat": {"grace": 300,
                           "max_runtime": 3600, "failure_threshold": 2}}
                           ({"heartbeat": False} leaves it out);
    tasks={...}            start, success or failure (with the traceback) of
                           the tasks named; a task declared with
                           heartbeat_progress=SECONDS sends a progress ping
                           that often while it runs.

Every heartbeat it registers carries labels plus celery="entry", "worker"
or "queue", and the release (DJANGO_HEALTH_EXPORTER_RELEASE) goes with the
registrations and pings. Calling it twice for one app does nothing more.
Pings from tasks go through one background sender: a task never waits
for the exporter.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..client import Client, default_client
from . import _beat, _tasks, _worker
from ._state import Options

__all__ = ["connect_celery", "queue_lengths"]

log = logging.getLogger("django_health_exporter")

_connected: "weakref.WeakSet[Any]" = weakref.WeakSet()
_lock = threading.Lock()

queue_lengths = _beat.queue_lengths


def connect_celery(
    app: Any,
    tasks: Optional[Mapping[str, str]] = None,
    beat: Optional[str] = "celery-beat",
    worker: Optional[str] = "celery-worker",
    beat_interval: float = 60,
    worker_interval: float = 60,
    queues: Optional[Sequence[str]] = None,
    canary_interval: float = 60,
    sync_beat: bool = True,
    send_results: bool = False,
    labels: Optional[Mapping[str, str]] = None,
    exclude_beat_tasks: Iterable[str] = (),
    client: Optional[Client] = None,
) -> bool:
    """Wire heartbeats into a Celery app (see the module's documentation).
    Set beat, worker or queues=[] to None or empty to leave them out.
    Returns False when the app was connected already (nothing is done
    twice)."""
    with _lock:
        if app in _connected:
            log.debug("django_health_exporter: connect_celery(%r) again: already connected", app)
            return False
        _connected.add(app)
    opts = Options(
        client=client or default_client,
        labels=dict(labels or {}),
        tasks=dict(tasks or {}),
        beat=beat or None,
        worker=worker or None,
        beat_interval=float(beat_interval),
        worker_interval=float(worker_interval),
        canary_interval=float(canary_interval),
        sync_beat=sync_beat,
        send_results=send_results,
        exclude=tuple(exclude_beat_tasks),
    )
    opts.queues = [] if queues == [] else _beat.queue_names(app, queues)
    _beat.connect(app, opts)
    _worker.connect(app, opts)
    _tasks.connect(app, opts)
    return True
