"""The shop's Celery app, with django_health_exporter heartbeats.

    celery -A shop worker --loglevel=INFO
    celery -A shop beat --loglevel=INFO

HEARTBEAT_BEAT_INTERVAL, HEARTBEAT_WORKER_INTERVAL and
HEARTBEAT_CANARY_INTERVAL (seconds, default 60) set how often the
celery-beat, celery-worker and queue canary heartbeats are sent; the
exporter's heartbeats for the first two should expect the same interval.
The beat entries, the workers and the queues register their own
heartbeats (the exporter needs heartbeat_defaults.allow_registration: true).
"""
import os

from celery import Celery
from django_health_exporter.celery import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# pip install django-health-exporter; one line (here with the example's
# knobs for the tests' short intervals).
connect_celery(
    app,
    beat_interval=float(os.environ.get("HEARTBEAT_BEAT_INTERVAL", "60")),
    worker_interval=float(os.environ.get("HEARTBEAT_WORKER_INTERVAL", "60")),
    canary_interval=float(os.environ.get("HEARTBEAT_CANARY_INTERVAL", "60")),
    tasks={"shop.tasks.nightly_report": "nightly-report", "shop.tasks.rebuild_search_index": "search-index"},
    # On every heartbeat the helper registers: Alertmanager routes on it.
    labels={"team": "web"},
)
