"""The Django app: healthz, readyz, the release middleware, settings."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.django


@pytest.fixture
def web(django_settings: Any) -> Any:
    from django.test import Client

    return Client()


def test_healthz_touches_nothing(web: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        r = web.get("/healthz")
    assert r.status_code == 200 and r.content == b"ok\n" and len(queries) == 0
    assert r["X-Release"] == "r9"  # the middleware
    assert web.post("/healthz").status_code == 405


def test_readyz_until_the_deploy_is_done(web: Any, django_settings: Any) -> None:
    from django.core.management import call_command

    r = web.get("/readyz")
    body = json.loads(r.content)
    assert r.status_code == 503, body
    assert body["database:default"] == "working" and body["cache:default"] == "working"
    assert body["database:replica"].startswith("unavailable: OperationalError")
    assert body["migrations"].startswith("unavailable: ") and "unapplied migration" in body["migrations"]
    assert body["staticfiles"] == "unavailable: no manifest staticfiles.json: collectstatic has not run"
    assert body["release"] == "r9" and r["X-Release"] == "r9"
    (django_settings.TEST_ROOT / "later").mkdir()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    r = web.get("/readyz")
    body = json.loads(r.content)
    assert r.status_code == 200, body
    assert body == {"database:default": "working", "database:replica": "working", "cache:default": "working",
                    "migrations": "working", "staticfiles": "working", "release": "r9"}


def test_readyz_names_a_cache_that_is_down(web: Any) -> None:
    from django.test import override_settings

    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
              "sessions": {"BACKEND": "tests.failing_cache.FailingCache"}}
    with override_settings(CACHES=caches):
        r = web.get("/readyz")
    body = json.loads(r.content)
    assert r.status_code == 503
    assert body["cache:sessions"] == "unavailable: ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused."


def test_a_check_that_hangs_gives_up(django_settings: Any) -> None:
    from django_health_exporter.checks import _within

    start = time.monotonic()
    result = _within("database:slow", 0.2, lambda: time.sleep(2))
    assert result.status == "unavailable: no answer within 0.2s" and time.monotonic() - start < 1


def test_settings_come_from_django(django_settings: Any, env: Any) -> None:
    from django.test import override_settings

    from django_health_exporter import Settings

    with override_settings(DJANGO_HEALTH_EXPORTER={"URL": "http://exporter:9716", "TOKEN": "t0k", "RELEASE": "r10"}):
        s = Settings.from_environment()
        assert (s.url, s.token, s.release) == ("http://exporter:9716", "t0k", "r10")
        env.setenv("DJANGO_HEALTH_EXPORTER_RELEASE", "r11")  # the environment wins
        assert Settings.from_environment().release == "r11"
