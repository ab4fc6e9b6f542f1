"""/healthz (liveness) and /readyz (readiness), the pair the deploy guides
ask for.

healthz answers 200 without touching the database, the cache or
anything else: the process serves requests. readyz runs every check of
checks.py and answers 200 when all pass, 503 when one fails, with JSON
of one entry per check in django-health-check's format (which the probe
reads as probe_django_health_check_up{check}), plus the release:

    {"database:default": "working", "cache:default": "working",
     "migrations": "working", "staticfiles": "working", "release": "r42"}
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .checks import run_checks
from .release import current_release


@never_cache
@require_GET
def healthz(request: Any) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def readyz(request: Any) -> JsonResponse:
    results = run_checks()
    body: dict[str, str] = {r.name: r.status for r in results}
    release = current_release()
    if release:
        body["release"] = release
    status = 200 if all(r.ok for r in results) else 503
    response = JsonResponse(body, status=status)
    if release:
        response["X-Release"] = release
    return response
