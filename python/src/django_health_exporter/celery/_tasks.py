"""Task runs: start, success and failure of the tasks named and of the
beat entries' runs, and progress pings of tasks that opt in. Every ping
goes through the background sender: a task never waits."""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Dict, Optional, Tuple

from ._state import ENTRY, SOURCE, Options, of_app, request_header


def progress_interval(task: Any) -> float:
    """heartbeat_progress=SECONDS of a task (@shared_task(heartbeat_progress=60)); 0: none."""
    try:
        return float(getattr(task, "heartbeat_progress", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


class Progress:
    """The progress pings of the runs in progress, from one thread a
    process (not one a run): each run's next ping is due every SECONDS
    until the run ends."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.runs: Dict[str, Tuple[str, float, float]] = {}  # task id -> (heartbeat, every, next due)
        self.cond = threading.Condition()
        self.pid: Optional[int] = None

    def start(self, task_id: str, name: str, every: float) -> None:
        import os

        every = max(1.0, every)
        with self.cond:
            self.runs[task_id] = (name, every, time.monotonic() + every)
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self.loop, name="django-health-exporter-progress", daemon=True).start()
            self.cond.notify()

    def end(self, task_id: Optional[str]) -> None:
        if task_id is None:
            return
        with self.cond:
            self.runs.pop(task_id, None)

    def loop(self) -> None:
        while True:
            due = []
            with self.cond:
                now = time.monotonic()
                wait = 60.0
                for task_id, (name, every, at) in list(self.runs.items()):
                    if at <= now:
                        due.append((task_id, name))
                        self.runs[task_id] = (name, every, now + every)
                        at = now + every
                    wait = min(wait, at - now)
                if not due:
                    self.cond.wait(max(0.05, wait))
            for task_id, name in due:
                self.opts.client.ping(name, "progress", rid=task_id, wait=False)


def connect(app: Any, opts: Options) -> None:
    from celery import signals

    client = opts.client
    progress = Progress(opts)

    def heartbeat_for(task: Any) -> Optional[str]:
        if not of_app(task, app):
            return None
        name = opts.tasks.get(getattr(task, "name", None) or "")
        return name or request_header(task, ENTRY)

    def task_id_of(task: Any) -> Optional[str]:
        try:
            return str(task.request.id)
        except Exception:  # noqa: BLE001
            return None

    def started(sender: Any = None, task_id: Optional[str] = None, **kwargs: Any) -> None:
        name = heartbeat_for(sender)
        if name:
            client.ping(name, "start", rid=task_id, source=request_header(sender, SOURCE), wait=False)
            every = progress_interval(sender)
            if every and task_id:
                progress.start(task_id, name, every)

    def ended(sender: Any = None, task_id: Optional[str] = None, **kwargs: Any) -> None:
        # After success, failure or retry alike: the progress pings stop.
        progress.end(task_id)

    def succeeded(sender: Any = None, result: Any = None, **kwargs: Any) -> None:
        name = heartbeat_for(sender)
        if name:
            message = repr(result) if opts.send_results else None
            client.ping(name, rid=task_id_of(sender), message=message, source=request_header(sender, SOURCE), wait=False)

    def retried(sender: Any = None, request: Any = None, reason: Any = None, **kwargs: Any) -> None:
        # Not a failed run until its last retry fails: a message only.
        name = heartbeat_for(sender)
        if name:
            client.ping(name, "log", rid=getattr(request, "id", None), message="retrying: %s" % (reason,),
                        source=request_header(sender, SOURCE), wait=False)

    def failed(sender: Any = None, task_id: Optional[str] = None, exception: Optional[BaseException] = None,
               einfo: Any = None, **kwargs: Any) -> None:
        name = heartbeat_for(sender)
        if name:
            if einfo:
                text = str(einfo)
            elif exception is not None:
                text = "".join(traceback.format_exception_only(type(exception), exception))
            else:
                text = "failed"
            client.ping(name, "fail", rid=task_id, message=text, source=request_header(sender, SOURCE), wait=False)

    uid = "django_health_exporter.%s.%d"
    signals.task_prerun.connect(started, weak=False, dispatch_uid=uid % ("task_prerun", id(app)))
    signals.task_postrun.connect(ended, weak=False, dispatch_uid=uid % ("task_postrun", id(app)))
    signals.task_success.connect(succeeded, weak=False, dispatch_uid=uid % ("task_success", id(app)))
    signals.task_retry.connect(retried, weak=False, dispatch_uid=uid % ("task_retry", id(app)))
    signals.task_failure.connect(failed, weak=False, dispatch_uid=uid % ("task_failure", id(app)))
