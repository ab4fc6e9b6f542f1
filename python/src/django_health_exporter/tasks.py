"""Django 6's own tasks (django.tasks) report through heartbeats, as Celery
tasks do, when they opt in by name in the settings:

    DJANGO_HEALTH_EXPORTER = {"TASKS": {"shop.tasks.send_report": "send-report"}}

A run pings start when it starts, then success or fail (with the
traceback's last line first) when it ends, through the background
sender: a task never waits for the exporter. Before Django 6 there is
nothing to connect.
"""

from __future__ import annotations

from typing import Any, Dict

from .client import default_client


def watched_tasks() -> Dict[str, str]:
    """settings.DJANGO_HEALTH_EXPORTER["TASKS"]: task path -> heartbeat."""
    from django.conf import settings

    value = getattr(settings, "DJANGO_HEALTH_EXPORTER", {}).get("TASKS", {})
    return {str(k): str(v) for k, v in dict(value).items()}


def connect() -> bool:
    """Connect the task signals; False before Django 6."""
    try:
        from django.tasks import signals
    except ImportError:
        return False
    signals.task_started.connect(task_started, weak=False, dispatch_uid="django_health_exporter.task_started")
    signals.task_finished.connect(task_finished, weak=False, dispatch_uid="django_health_exporter.task_finished")
    return True


def _heartbeat(task_result: Any) -> str:
    try:
        return watched_tasks().get(task_result.task.module_path, "")
    except Exception:  # noqa: BLE001
        return ""


def task_started(sender: Any = None, task_result: Any = None, **kwargs: Any) -> None:
    name = _heartbeat(task_result)
    if name:
        default_client.ping(name, "start", rid=str(task_result.id), wait=False)


def task_finished(sender: Any = None, task_result: Any = None, **kwargs: Any) -> None:
    name = _heartbeat(task_result)
    if not name:
        return
    if str(getattr(task_result, "status", "")).endswith("SUCCESSFUL"):
        default_client.ping(name, rid=str(task_result.id), wait=False)
        return
    errors = list(getattr(task_result, "errors", []) or [])
    message = "failed"
    if errors:
        tb = str(getattr(errors[-1], "traceback", "") or "")
        lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
        last = lines[-1] if lines else str(getattr(errors[-1], "exception_class_path", "failed"))
        # The error line first: a status page and an alert show the head.
        message = last + "\n\n" + tb
    default_client.ping(name, "fail", rid=str(task_result.id), message=message, wait=False)
