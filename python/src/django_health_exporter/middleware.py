"""MIDDLEWARE += ["django_health_exporter.middleware.ReleaseMiddleware"]:
every answer says which release served it, in X-Release, which the
probe reads with django.release: {header: X-Release}."""

from __future__ import annotations

from typing import Any, Callable

from .release import current_release


class ReleaseMiddleware:
    header = "X-Release"

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        # Read once: a process runs one release.
        self.release = current_release()

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        if self.release and not response.has_header(self.header):
            response[self.header] = self.release
        return response
