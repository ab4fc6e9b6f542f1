import os
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from . import views


def health_check_url():
    """/ht/: django-health-check 4.x is one view listing its checks (Django
    3.2 to 6.x); 3.x brings its URLs and an app per check."""
    if not settings.HEALTH_CHECK_4:
        return path("ht/", include("health_check.urls"))
    from health_check.views import HealthCheckView

    checks = ["health_check.checks.Database", "health_check.checks.Cache", "health_check.checks.Storage"]
    if settings.CELERY_BROKER_URL:
        checks.append(("health_check.contrib.celery.Ping", {"timeout": timedelta(seconds=1)}))
    return path("ht/", HealthCheckView.as_view(checks=checks))


urlpatterns = [
    path("", views.home, name="home"),
    path("styled/", views.styled, name="styled"),
    path("products/<int:pk>/", views.product, name="product"),
    path("api/status/", views.api_status, name="api-status"),
    path("boom/", views.boom, name="boom"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    health_check_url(),
    # /healthz (liveness) and /readyz (readiness) of django-health-exporter.
    path("", include("django_health_exporter.urls")),
    path("admin/", admin.site.urls),
]

if os.environ.get("DJANGO_CATCH_ALL") == "1":
    # A catch-all route, as single-page apps and CMSs have: it answers any
    # path, a missing stylesheet included, with a page (200).
    urlpatterns.append(re_path(r"^.*$", views.home))
