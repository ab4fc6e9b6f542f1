"""The Django app: INSTALLED_APPS += ["django_health_exporter"]."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoHealthExporterConfig(AppConfig):
    name = "django_health_exporter"
    verbose_name = "django_health_exporter"

    def ready(self) -> None:
        # Django 6's own tasks report through heartbeats when they opt in;
        # before 6 there is nothing to wire.
        from . import tasks

        tasks.connect()
