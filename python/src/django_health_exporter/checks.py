"""What readyz checks: every database alias (SELECT 1, within a short
timeout), every cache (a set and a get), no unapplied migrations, and the
static files manifest where the storage keeps one (ManifestStaticFiles-
Storage, WhiteNoise's CompressedManifestStaticFilesStorage): the one
collectstatic writes.

Each result's status is django-health-check's: "working", or
"unavailable: <why>".

settings.DJANGO_HEALTH_EXPORTER["READYZ_TIMEOUT"] (seconds, 2) bounds
each database and cache check.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional

WORKING = "working"


@dataclass(frozen=True)
class Result:
    name: str
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        return WORKING if self.error is None else "unavailable: " + self.error


def _timeout() -> float:
    from django.conf import settings

    try:
        return float(getattr(settings, "DJANGO_HEALTH_EXPORTER", {}).get("READYZ_TIMEOUT", 2.0))
    except (TypeError, ValueError, AttributeError):
        return 2.0


def _within(name: str, seconds: float, check: Callable[[], None]) -> Result:
    """Run check on a thread of its own (its own database connection, closed
    after), and give up waiting after seconds."""
    outcome: List[Optional[str]] = []

    def run() -> None:
        from django.db import connections

        try:
            check()
            outcome.append(None)
        except Exception as e:  # noqa: BLE001 - a failing backend is the answer
            outcome.append("%s: %s" % (type(e).__name__, e))
        finally:
            connections.close_all()

    t = threading.Thread(target=run, name="readyz-" + name, daemon=True)
    t.start()
    t.join(seconds)
    if not outcome:
        return Result(name, "no answer within %gs" % seconds)
    return Result(name, outcome[0])


def check_databases(timeout: float) -> List[Result]:
    from django.db import connections

    results = []
    for alias in connections:

        def select_one(alias: str = alias) -> None:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        results.append(_within("database:" + alias, timeout, select_one))
    return results


def check_caches(timeout: float) -> List[Result]:
    from django.core.cache import caches

    results = []
    for alias in caches:

        def set_and_get(alias: str = alias) -> None:
            cache = caches[alias]
            key, value = "django_health_exporter:readyz:" + uuid.uuid4().hex, uuid.uuid4().hex
            cache.set(key, value, 10)
            got = cache.get(key)
            cache.delete(key)
            if got != value and type(cache).__name__ != "DummyCache":
                raise RuntimeError("a value set was not read back")

        results.append(_within("cache:" + alias, timeout, set_and_get))
    return results


def check_migrations() -> Result:
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as e:  # noqa: BLE001
        return Result("migrations", "%s: %s" % (type(e).__name__, e))
    if plan:
        names = ", ".join("%s.%s" % (m.app_label, m.name) for m, _ in plan[:5])
        more = " and %d more" % (len(plan) - 5) if len(plan) > 5 else ""
        return Result("migrations", "%d unapplied migration(s): %s%s (run manage.py migrate)" % (len(plan), names, more))
    return Result("migrations")


def check_static_manifest() -> Optional[Result]:
    """The manifest collectstatic writes, when the storage keeps one; None
    when it does not (or staticfiles is not installed)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.staticfiles"):
        return None
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
    from django.utils.functional import empty

    if staticfiles_storage._wrapped is empty:  # a LazyObject
        staticfiles_storage._setup()
    storage = staticfiles_storage._wrapped
    if not isinstance(storage, ManifestFilesMixin):
        return None
    try:
        content = storage.read_manifest()
    except Exception as e:  # noqa: BLE001
        return Result("staticfiles", "the manifest %s cannot be read: %s" % (storage.manifest_name, e))
    if not content:
        return Result("staticfiles", "no manifest %s: collectstatic has not run" % storage.manifest_name)
    return Result("staticfiles")


def run_checks() -> List[Result]:
    """Every check, in a fixed order."""
    timeout = _timeout()
    results = check_databases(timeout) + check_caches(timeout) + [check_migrations()]
    static = check_static_manifest()
    if static is not None:
        results.append(static)
    return results
