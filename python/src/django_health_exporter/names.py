"""Heartbeat names the way the exporter takes them."""

from __future__ import annotations

import re

__all__ = ["heartbeat_name", "node_name"]


def heartbeat_name(name: str) -> str:
    """A beat entry's (or queue's) name as a heartbeat's: lower case,
    characters other than a-z 0-9 . _ - as '-', starting with a letter or
    a digit."""
    out = re.sub(r"[^a-z0-9._-]", "-", str(name).lower()).lstrip("._-")
    return out[:128] or "unnamed"


def node_name(node: str) -> str:
    """A worker's Celery hostname (w1@host) as the tail of a heartbeat
    name: lower case, '@' kept, other characters than a-z 0-9 . _ - as
    '-'."""
    out = re.sub(r"[^a-z0-9._@-]", "-", str(node).lower()).strip("._@-")
    return out[:100] or "unnamed"
