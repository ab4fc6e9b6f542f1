"""What one connect_celery call chose, shared by beat, the workers and the
tasks, and the message headers they pass one another."""

from __future__ import annotations

import fnmatch
import os
import socket
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..client import Client

# Names of the integration's own beat entries and tasks.
PREFIX = "django-health-heartbeat"

# Message headers: who sent a beat entry, when, for which heartbeat.
SOURCE = "dhh_source"
SENT_AT = "dhh_sent_at"
ENTRY = "dhh_entry"

# The key of a beat entry's options that tunes (or, False, leaves out)
# its heartbeat.
OPTION = "heartbeat"


@dataclass
class Options:
    client: Client
    labels: Dict[str, str]
    tasks: Dict[str, str]
    beat: Optional[str]
    worker: Optional[str]
    beat_interval: float
    worker_interval: float
    canary_interval: float
    sync_beat: bool
    send_results: bool
    exclude: Tuple[str, ...]
    queues: List[str] = field(default_factory=list)

    def excluded(self, entry: str) -> bool:
        """A beat entry left out by name or fnmatch pattern."""
        return any(entry == p or fnmatch.fnmatchcase(entry, p) for p in self.exclude)


def of_app(obj: Any, app: Any) -> bool:
    """A signal's sender (a task, beat's service, a worker's consumer or
    controller) belongs to app: with several Celery apps in a process,
    each connection answers its own."""
    return getattr(obj, "app", None) is app


def source() -> str:
    """This process, as a ping's source."""
    return "%s:%d" % (socket.gethostname(), os.getpid())


def request_header(task: Any, key: str) -> Any:
    """A header of the message a task runs; None when there is none."""
    try:
        return getattr(task.request, key, None)
    except Exception:  # noqa: BLE001
        return None
