"""Django 6's tasks report through heartbeats, on the immediate backend."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Exporter

pytestmark = pytest.mark.django6


def test_tasks_that_opt_in_report(django_settings: Any, exporter: Exporter, env: Any) -> None:
    from django_health_exporter import default_client

    from .django_tasks import broken_report, send_report

    env.setenv("DJANGO_HEALTH_EXPORTER_URL", exporter.url)
    send_report.enqueue()
    broken_report.enqueue()
    assert default_client.flush(5)
    hb = exporter.heartbeats()
    assert hb["send-report"]["state"] == "up" and hb["send-report"]["pings"]["start"] == 1
    assert hb["send-report"]["release"] == "r9"
    failed = hb["broken-report"]
    assert failed["state"] == "failed"
    assert failed["last_message"].startswith("ValueError: the report has no rows\n"), failed["last_message"]
