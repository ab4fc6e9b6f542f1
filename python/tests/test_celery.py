"""The Celery integration against the real exporter: beat entries,
workers, task runs, idempotency. Celery runs in this process (signals
sent as Celery sends them, tasks run eagerly); the Go end-to-end tests
run real workers and beat on this package."""

from __future__ import annotations

import time
from typing import Any, Dict

import pytest

pytestmark = pytest.mark.celery

from celery import Celery, signals  # noqa: E402
from celery.beat import Service  # noqa: E402
from celery.schedules import crontab  # noqa: E402

from django_health_exporter import Client, Settings  # noqa: E402
from django_health_exporter.celery import connect_celery  # noqa: E402

from .conftest import Exporter  # noqa: E402


def make_app(schedule: Dict[str, Any]) -> Any:
    app = Celery("shop", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = True
    app.conf.beat_schedule = schedule
    app.conf.timezone = "Europe/Berlin"
    return app


def test_beat_entries_register_with_their_schedules_and_options(exporter: Exporter, tmp_path: Any) -> None:
    app = make_app({
        "refresh-prices": {"task": "shop.refresh", "schedule": crontab(minute="*/15"),
                           "options": {"heartbeat": {"grace": 300, "max_runtime": 600, "failure_threshold": 2}}},
        "Send Reports": {"task": "shop.report", "schedule": 3600.0},
        "cleanup-sessions": {"task": "shop.cleanup", "schedule": 60.0},
        "noisy": {"task": "shop.noisy", "schedule": 60.0, "options": {"heartbeat": False}},
    })
    c = Client(Settings(url=exporter.url, release="r5"))
    assert connect_celery(app, client=c, labels={"team": "shop"}, exclude_beat_tasks=["cleanup-*"], queues=[])
    assert not connect_celery(app, client=c)  # a second call does nothing
    service = Service(app, schedule_filename=str(tmp_path / "beat-schedule"))
    signals.beat_init.send(sender=service)
    hb = exporter.wait_for(lambda: (lambda h: h if "send-reports" in h and "refresh-prices" in h else None)(exporter.heartbeats()))
    assert hb, exporter.heartbeats()
    entry = hb["refresh-prices"]
    assert entry["schedule"] == "*/15 * * * *" and entry["timezone"] == "Europe/Berlin"
    assert entry["grace_seconds"] == 300 and entry["max_runtime_seconds"] == 600 and entry["failure_threshold"] == 2
    assert entry["labels"] == {"team": "shop", "celery": "entry"} and entry["release"] == "r5"
    assert hb["send-reports"]["interval_seconds"] == 3600 and hb["send-reports"]["exclusive"]
    assert "cleanup-sessions" not in hb and "noisy" not in hb
    # The beat heartbeat's own entry is there, and not registered.
    assert "django-health-heartbeat" in service.scheduler.schedule and "django-health-heartbeat" not in hb
    # Beat's apply_async is wrapped once, whatever calls it.
    scheduler = service.scheduler
    wrapped = scheduler.apply_async
    signals.beat_init.send(sender=service)
    assert service.scheduler.apply_async is wrapped


def test_task_runs_ping_start_and_end(exporter: Exporter) -> None:
    app = make_app({})
    c = Client(Settings(url=exporter.url))

    @app.task(name="shop.report")
    def report() -> int:
        return 1

    @app.task(name="shop.broken")
    def broken() -> None:
        raise ValueError("the report has no rows")

    @app.task(name="shop.slow", heartbeat_progress=1)
    def slow() -> None:
        time.sleep(2.6)

    connect_celery(app, client=c, beat=None, worker=None, queues=[],
                   tasks={"shop.report": "report", "shop.broken": "broken", "shop.slow": "slow"})
    report.delay()
    broken.delay()
    slow.delay()
    assert c.flush(5)
    hb = exporter.heartbeats()
    assert hb["report"]["state"] == "up" and hb["report"]["pings"]["start"] == 1
    assert hb["broken"]["state"] == "failed" and "the report has no rows" in hb["broken"]["last_message"]
    assert hb["slow"]["pings"]["progress"] >= 2, hb["slow"]["pings"]


class _Sender:
    """A signal's sender: hashable, with the attributes Celery's have."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


def test_a_worker_registers_pings_and_leaves(exporter: Exporter) -> None:
    app = make_app({})
    c = Client(Settings(url=exporter.url, release="r6"))
    connect_celery(app, client=c, beat=None, queues=[], worker_interval=0.2, labels={"team": "shop"})
    app.amqp.queues.select(["celery", "reports"])
    controller = _Sender(app=app)  # what Celery sends: the worker's controller, its consumer
    consumer = _Sender(app=app, hostname="w1@Host-A")
    signals.celeryd_init.send(sender="w1@Host-A", instance=controller, conf=app.conf)
    signals.worker_ready.send(sender=consumer)
    own = "celery-worker@w1@host-a"
    hb = exporter.wait_for(lambda: (lambda h: h if own in h and h[own]["pings"]["success"] >= 2
                                    and h["celery-worker"]["pings"]["success"] >= 2 else None)(exporter.heartbeats()))
    assert hb, exporter.heartbeats()
    assert hb[own]["labels"] == {"team": "shop", "celery": "worker", "queues": "celery,reports"}
    assert hb[own]["release"] == "r6" and hb["celery-worker"]["pings"]["success"] >= 2
    signals.worker_shutdown.send(sender=controller)
    assert exporter.wait_for(lambda: own not in exporter.heartbeats())


def test_everything_registers_without_auto_register(make_exporter: Any, tmp_path: Any) -> None:
    """With allow_registration and auto_register off, the integration
    registers every heartbeat it makes, celery-beat and celery-worker
    included: a typo then never becomes a heartbeat."""
    e = make_exporter("heartbeat_defaults: {allow_registration: true}\nheartbeats: []\n")
    app = make_app({"refresh-prices": {"task": "shop.refresh", "schedule": 60.0}})
    c = Client(Settings(url=e.url))
    connect_celery(app, client=c, queues=[], worker_interval=0.2, labels={"team": "shop"})
    service = Service(app, schedule_filename=str(tmp_path / "beat-schedule"))
    signals.beat_init.send(sender=service)
    consumer = _Sender(app=app, hostname="w1@host")
    signals.worker_ready.send(sender=consumer)
    want = {"celery-beat", "celery-worker", "refresh-prices", "celery-worker@w1@host"}
    hb = e.wait_for(lambda: (lambda h: h if want <= set(h) else None)(e.heartbeats()))
    assert hb, e.heartbeats()
    assert hb["celery-beat"]["labels"] == {"team": "shop", "celery": "beat"} and hb["celery-beat"]["exclusive"]
    assert hb["celery-worker"]["labels"] == {"team": "shop", "celery": "worker"}
    assert not c.ping("celery-beta")  # a typo: refused, not a new heartbeat
    assert "celery-beta" not in e.heartbeats()
    signals.worker_shutdown.send(sender=_Sender(app=app))
