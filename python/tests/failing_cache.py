"""A cache whose server is gone."""

from typing import Any

from django.core.cache.backends.locmem import LocMemCache


class FailingCache(LocMemCache):
    def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
