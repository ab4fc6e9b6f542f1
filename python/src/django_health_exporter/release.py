"""The release this process runs: settings.DJANGO_HEALTH_EXPORTER["RELEASE"]
or DJANGO_HEALTH_EXPORTER_RELEASE (the commit a deploy ships), "" when
neither is set."""

from __future__ import annotations

from .client import Settings


def current_release() -> str:
    return Settings.from_environment().release
