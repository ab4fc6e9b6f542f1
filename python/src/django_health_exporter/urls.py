"""path("", include("django_health_exporter.urls")): /healthz and /readyz."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "django_health_exporter"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
