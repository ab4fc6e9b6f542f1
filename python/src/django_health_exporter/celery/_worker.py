"""Workers: the shared celery-worker heartbeat, and each worker's own
celery-worker@NODE, registered when it is ready and removed when it
stops cleanly. One thread a worker sends both."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Dict, List, Optional

from ..names import heartbeat_name, node_name
from ._state import Options, of_app


def expire_after() -> float:
    """How long a worker's own heartbeat may stay silent before the exporter
    forgets it (DJANGO_HEALTH_WORKER_EXPIRE_AFTER seconds, 3600; 0:
    never): workers killed without a goodbye do not stay for ever."""
    try:
        return float(os.environ.get("DJANGO_HEALTH_WORKER_EXPIRE_AFTER", "3600"))
    except ValueError:
        return 3600.0


def consumed_queues(consumer: Any) -> List[str]:
    try:
        return sorted(consumer.app.amqp.queues.consume_from)
    except Exception:  # noqa: BLE001
        return []


def connect(app: Any, opts: Options) -> None:
    if not opts.worker:
        return
    from celery import signals

    worker = _Worker(app, opts, opts.worker)
    signals.celeryd_init.connect(worker.init, weak=False, dispatch_uid="django_health_exporter.celeryd_init.%d" % id(app))
    signals.worker_ready.connect(worker.ready, weak=False, dispatch_uid="django_health_exporter.worker_ready.%d" % id(app))
    signals.worker_shutdown.connect(worker.shutdown, weak=False,
                                    dispatch_uid="django_health_exporter.worker_shutdown.%d" % id(app))


class _Worker:
    def __init__(self, app: Any, opts: Options, shared: str) -> None:
        self.app = app
        self.opts = opts
        self.shared = shared
        self.node: Optional[str] = None
        self.own: Optional[str] = None
        self.stop = threading.Event()

    def init(self, sender: Any = None, **kwargs: Any) -> None:
        """celeryd_init, in the worker's main process before its pool
        starts: which node this is."""
        instance = kwargs.get("instance")
        if instance is not None and not of_app(instance, self.app):
            return
        self.node = str(sender) if sender else None

    def ready(self, sender: Any = None, **kwargs: Any) -> None:
        """worker_ready, once, in the main process (sender is its
        consumer): register the worker's own heartbeat and ping both."""
        if not of_app(sender, self.app) or self.own is not None:
            return
        node = getattr(sender, "hostname", None) or self.node or socket.gethostname()
        # celery-worker@w1@host: Celery's own name for the worker, as
        # `celery inspect ping` prints it.
        self.own = "%s@%s" % (heartbeat_name(self.shared), node_name(node))
        queues = ",".join(consumed_queues(sender))
        labels: Dict[str, str] = dict(self.opts.labels, celery="worker")
        if queues:
            labels["queues"] = queues
        threading.Thread(target=self.run, args=(str(node), labels), name="django-health-exporter-worker",
                         daemon=True).start()

    def run(self, node: str, labels: Dict[str, str]) -> None:
        client, own, every = self.opts.client, self.own, self.opts.worker_interval
        assert own is not None
        client.register(own, interval=every, labels=labels, expire_after=expire_after())
        # The shared heartbeat too (the file's own wins): the exporter may
        # leave auto_register off.
        client.register(self.shared, interval=every, labels=dict(self.opts.labels, celery="worker"), configured_ok=True)
        while True:
            client.ping(own)
            # Every worker pings the shared heartbeat too (an interval
            # heartbeat, not exclusive: many senders are expected).
            client.ping(self.shared, source=node)
            if self.stop.wait(every):
                return

    def shutdown(self, sender: Any = None, **kwargs: Any) -> None:
        if sender is not None and not of_app(sender, self.app):
            return
        if self.own is not None:
            self.stop.set()
            self.opts.client.unregister(self.own)
