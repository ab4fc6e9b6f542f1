"""One bounded background sender a process: what a Celery task sends goes
through it, so that a task never waits for the exporter. Nothing starts
at import: the thread starts with the first ping, again in a forked
child (a pool process), and the process flushes it at exit."""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from typing import Callable, Optional

log = logging.getLogger("django_health_exporter")

Job = Callable[[], object]


class BackgroundSender:
    """Runs jobs in order on one daemon thread. A full queue drops the job,
    counts it and says so once; submit never blocks."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self.dropped = 0
        self._pid: Optional[int] = None
        self._queue: "Optional[queue.Queue[Job]]" = None
        self._lock = threading.Lock()
        self._warned = False
        self._atexit = False

    def submit(self, job: Job) -> bool:
        """Queue a job; False when it was dropped."""
        q = self._queue
        if q is None or self._pid != os.getpid():
            q = self._start()
        try:
            q.put_nowait(job)
            return True
        except queue.Full:
            self.dropped += 1
            if not self._warned:
                self._warned = True
                log.warning(
                    "django_health_exporter: %d pings wait for the exporter; dropping pings "
                    "(sender.dropped counts them; this is said once)", self.size)
            return False

    def _start(self) -> "queue.Queue[Job]":
        with self._lock:
            if self._queue is None or self._pid != os.getpid():  # first use, or a forked child
                q: "queue.Queue[Job]" = queue.Queue(self.size)
                threading.Thread(target=self._run, args=(q,), name="django-health-exporter-sender", daemon=True).start()
                self._pid, self._queue = os.getpid(), q
                if not self._atexit:
                    self._atexit = True
                    atexit.register(self.flush, 2.0)
            return self._queue

    @staticmethod
    def _run(q: "queue.Queue[Job]") -> None:
        while True:
            job = q.get()
            try:
                job()
            except Exception as e:  # noqa: BLE001 - the sender must live on
                log.warning("django_health_exporter: %s", e)
            finally:
                q.task_done()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait at most timeout seconds for the queued jobs; True when none
        is left."""
        q = self._queue
        if q is None or self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        with q.all_tasks_done:
            while q.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                q.all_tasks_done.wait(left)
        return True
