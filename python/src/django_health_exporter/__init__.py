"""django_health_exporter: heartbeats for the exporter of the same name,
from cron jobs, scripts, Celery and Django, plus Django readiness views.

    from django_health_exporter import ping, pause, resume
    ping("nightly-report")

    # Celery, where the app is made:
    from django_health_exporter.celery import connect_celery
    connect_celery(app)

    # Django: INSTALLED_APPS += ["django_health_exporter"], and
    # path("", include("django_health_exporter.urls")) for /healthz, /readyz.

Importing the package reads nothing, starts nothing and imports neither
Celery nor Django.
"""

from __future__ import annotations

from typing import Any

from .client import (
    Client,
    HeartbeatError,
    Settings,
    default_client,
    flush,
    pause,
    ping,
    register,
    resume,
    unregister,
)
from .names import heartbeat_name, node_name

__all__ = [
    "Client",
    "HeartbeatError",
    "Settings",
    "default_client",
    "flush",
    "heartbeat_name",
    "node_name",
    "pause",
    "ping",
    "register",
    "resume",
    "unregister",
]


def __getattr__(name: str) -> Any:
    # The installed distribution's version (the repository's VERSION),
    # read when asked for, not at import.
    if name == "__version__":
        from importlib.metadata import version

        return version("django-health-exporter")
    raise AttributeError(name)
