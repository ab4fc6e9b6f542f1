"""The client: pings, registrations, pauses and resumes, standard library
only.

    from django_health_exporter import ping
    ping("nightly-report")                              # success
    ping("nightly-report", "start", rid=run_id)         # a run started
    ping("nightly-report", "fail", message=tb, rid=run_id)
    ping("nightly-report", 3)                           # exit status 3
    ping("import", metrics={"rows": 1234})              # a number to watch

A call never raises and gives up after its timeout (2 seconds) unless it
is strict: the monitoring must never break, or hold up, the work it
watches. It returns True when the exporter stored what it was sent.
ping(..., wait=False) queues the ping to one background sender and
returns at once (the Celery integration's way).

Settings are read at each call, from the environment, else from Django's
settings (DJANGO_HEALTH_EXPORTER = {"URL": ..., "TOKEN": ...}):

    DJANGO_HEALTH_EXPORTER_URL         the exporter (http://localhost:9716);
                                       several, separated by commas, for
                                       replicas (each gets every request);
                                       dns+http://NAME:PORT for every
                                       address NAME resolves to; with
                                       user:password@, basic auth, and the
                                       token in X-Heartbeat-Token
    DJANGO_HEALTH_EXPORTER_TOKEN       the token, or
    DJANGO_HEALTH_EXPORTER_TOKEN_FILE  a file holding it
    DJANGO_HEALTH_EXPORTER_RELEASE     the release this process runs (sent
                                       with pings and registrations)
    DJANGO_HEALTH_EXPORTER_TIMEOUT     seconds a call may take (2)
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _transport
from ._sender import BackgroundSender

log = logging.getLogger("django_health_exporter")

DEFAULT_TIMEOUT = 2.0
# The exporter keeps 10 KiB of a message by default; the end of a
# traceback is the useful part.
MAX_MESSAGE = 10 * 1024
# Problems are logged at most once this often (seconds).
WARN_EVERY = 60.0

Seconds = Union[float, int, timedelta]
Kind = Union[str, int]


class HeartbeatError(Exception):
    """What a strict call raises when the exporter did not store it."""


@dataclass(frozen=True)
class Settings:
    """Where and how the client sends."""

    url: str = _transport.DEFAULT_URL
    token: str = ""
    timeout: float = DEFAULT_TIMEOUT
    release: str = ""

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        """The environment's settings, else Django's (when Django is
        configured), else the defaults."""
        env = os.environ if environ is None else environ
        django = _django_settings()

        def get(key: str) -> str:
            return env.get("DJANGO_HEALTH_EXPORTER_" + key) or str(django.get(key) or "")

        token = get("TOKEN")
        path = get("TOKEN_FILE")
        if path:
            try:
                with open(path, encoding="utf-8") as f:
                    token = f.read().strip()
            except OSError as e:
                log.warning("django_health_exporter: token file %s: %s", path, e)
        return cls(url=get("URL") or _transport.DEFAULT_URL, token=token, release=get("RELEASE"),
                   timeout=_timeout(get("TIMEOUT")))


def _timeout(raw: str) -> float:
    """DJANGO_HEALTH_EXPORTER_TIMEOUT: seconds (2.5), or as the exporter's
    CLI reads the same variable (500ms, 10s, 1m)."""
    raw = raw.strip()
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if raw.endswith(unit):
            raw, factor = raw[: -len(unit)], scale
            break
    else:
        factor = 1.0
    try:
        value = float(raw) * factor
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def _django_settings() -> Mapping[str, Any]:
    """settings.DJANGO_HEALTH_EXPORTER, when Django is imported and
    configured: never imports Django itself."""
    conf = sys.modules.get("django.conf")
    if conf is None:
        return {}
    try:
        settings = getattr(conf, "settings")
        if not settings.configured:
            return {}
        value = getattr(settings, "DJANGO_HEALTH_EXPORTER", None)
        return value if isinstance(value, Mapping) else {}
    except Exception:  # noqa: BLE001 - settings that fail to load are not ours to report
        return {}


def _ms(value: Seconds) -> str:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return "%dms" % max(1, round(seconds * 1000))


def _quote(name: str) -> str:
    return urllib.parse.quote(str(name), safe="@")


class Client:
    """Sends to the exporters of its settings (None: read at each call)."""

    def __init__(self, settings: Optional[Settings] = None, sender: Optional[BackgroundSender] = None) -> None:
        self._settings = settings
        self.sender = sender or BackgroundSender()
        self._warn_lock = threading.Lock()
        self._warned_at = 0.0
        self._suppressed = 0

    @property
    def settings(self) -> Settings:
        return self._settings if self._settings is not None else Settings.from_environment()

    def ping(
        self,
        name: str,
        kind: Kind = "",
        *,
        message: Optional[str] = None,
        rid: Optional[str] = None,
        source: Optional[str] = None,
        metrics: Optional[Mapping[str, float]] = None,
        release: Optional[str] = None,
        wait: bool = True,
        strict: bool = False,
        timeout: Optional[float] = None,
        url: Optional[str] = None,
    ) -> bool:
        """Send one ping. kind is "" (success), "start", "fail", "log",
        "progress" or an exit status (0 is a success). With wait=False the
        ping goes to the background sender: True means queued."""
        try:
            path = _transport.PING_PREFIX + _quote(name)
            if kind != "" and kind is not None:
                path += "/" + str(kind)
            settings = self._settings_for(timeout, url)
            query: List[Tuple[str, str]] = []
            if rid:
                query.append(("rid", str(rid)))
            if source:
                query.append(("source", str(source)))
            for key, value in (metrics or {}).items():
                query.append(("metric", "%s:%r" % (key, float(value))))
            if release or settings.release:
                query.append(("release", str(release or settings.release)))
            if query:
                path += "?" + urllib.parse.urlencode(query)
            body = str(message).encode("utf-8", "replace")[-MAX_MESSAGE:] if message else b""
        except Exception as e:  # noqa: BLE001
            return self._failed(strict, "ping %s: %s" % (name, e))
        if not wait and not strict:
            return self.sender.submit(lambda: self._send(settings, "POST", path, body, "text/plain; charset=utf-8", (200,), False))
        return self._send(settings, "POST", path, body, "text/plain; charset=utf-8", (200,), strict)

    def register(
        self,
        name: str,
        *,
        interval: Optional[Seconds] = None,
        schedule: Optional[Union[str, Sequence[str]]] = None,
        timezone: Optional[str] = None,
        grace: Optional[Seconds] = None,
        max_runtime: Optional[Seconds] = None,
        failure_threshold: Optional[int] = None,
        labels: Optional[Mapping[str, str]] = None,
        exclusive: Optional[bool] = None,
        expire_after: Optional[Seconds] = None,
        release: Optional[str] = None,
        configured_ok: bool = False,
        strict: bool = False,
        timeout: Optional[float] = None,
        url: Optional[str] = None,
    ) -> bool:
        """Register a heartbeat (the exporter needs allow_registration or
        auto_register; configured_ok: a name the exporter's file has
        already, 409, counts as registered): an
        interval, or a cron schedule (one line or several) read in
        timezone. exclusive: it must run once per period, from one sender
        (the default for a schedule). expire_after removes it once silent
        that long (a worker killed without a goodbye)."""
        settings = self._settings_for(timeout, url)
        reg: Dict[str, Any] = {}
        if interval is not None:
            reg["interval"] = _ms(interval)
        if schedule:
            reg["schedule"] = schedule if isinstance(schedule, str) else list(schedule)
            reg["timezone"] = timezone or "UTC"
        if grace is not None:
            reg["grace"] = _ms(grace) if _seconds(grace) > 0 else "0s"
        if max_runtime is not None:
            reg["max_runtime"] = _ms(max_runtime)
        if failure_threshold is not None:
            reg["failure_threshold"] = int(failure_threshold)
        if labels:
            reg["labels"] = dict(labels)
        if exclusive is not None:
            reg["exclusive"] = bool(exclusive)
        if expire_after:
            reg["expire_after"] = _ms(expire_after)
        if release or settings.release:
            reg["release"] = str(release or settings.release)
        body = json.dumps(reg).encode("utf-8")
        path = _transport.API_PREFIX + "/" + _quote(name)
        ok = (200, 201, 409) if configured_ok else (200, 201)
        return self._send(settings, "PUT", path, body, "application/json", ok, strict)

    def unregister(self, name: str, *, strict: bool = False, timeout: Optional[float] = None, url: Optional[str] = None) -> bool:
        """Remove a registered heartbeat (a worker shutting down cleanly)."""
        settings = self._settings_for(timeout, url)
        return self._send(settings, "DELETE", _transport.API_PREFIX + "/" + _quote(name), b"", "", (204,), strict)

    def pause(
        self,
        name: str,
        for_: Optional[Seconds] = None,
        *,
        until: Optional[datetime] = None,
        strict: bool = False,
        timeout: Optional[float] = None,
        url: Optional[str] = None,
    ) -> bool:
        """Pause a heartbeat for a while, until a time, or (neither) until
        its next ping: no alert for it meanwhile."""
        if for_ is not None and until is not None:
            raise ValueError("give for_ or until, not both")
        if for_ is not None and _seconds(for_) <= 0:
            # 0 or less would pause until the next ping, for ever for a
            # dead job.
            raise ValueError("for_ must be above 0 (leave it out to pause until the next ping)")
        settings = self._settings_for(timeout, url)
        body = b""
        if for_ is not None:
            body = json.dumps({"for": _ms(for_)}).encode("utf-8")
        elif until is not None:
            when = until if until.tzinfo else until.replace(tzinfo=timezone.utc)
            body = json.dumps({"until": when.isoformat()}).encode("utf-8")
        path = _transport.API_PREFIX + "/" + _quote(name) + "/pause"
        return self._send(settings, "POST", path, body, "application/json", (200,), strict)

    def resume(self, name: str, *, strict: bool = False, timeout: Optional[float] = None, url: Optional[str] = None) -> bool:
        """End a heartbeat's pause: it is due a full period plus grace from now."""
        settings = self._settings_for(timeout, url)
        return self._send(settings, "DELETE", _transport.API_PREFIX + "/" + _quote(name) + "/pause", b"", "", (200,), strict)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait for the background sender; True when nothing is left."""
        return self.sender.flush(timeout)

    def _settings_for(self, timeout: Optional[float], url: Optional[str]) -> Settings:
        s = self.settings
        if timeout is not None or url is not None:
            s = replace(s, timeout=s.timeout if timeout is None else float(timeout), url=url or s.url)
        return s

    def _send(self, s: Settings, method: str, path: str, body: bytes, content_type: str,
              ok: Tuple[int, ...], strict: bool) -> bool:
        """One request to every exporter; True when any stored it."""
        headers = {"Content-Type": content_type} if content_type else {}
        stored, problems = False, []
        try:
            exporters = _transport.targets(s.url)
        except Exception as e:  # noqa: BLE001
            exporters, problems = [], [str(e)]
        for base, addr in exporters:
            where = base if addr is None else "%s at %s" % (base, addr)
            try:
                status, text = _transport.request(base, addr, method, path, body, headers, s.token, s.timeout)
            except Exception as e:  # noqa: BLE001 - monitoring must never break the caller
                problems.append("%s: %s" % (where, e))
                continue
            if status in ok:
                stored = True
            else:
                problems.append("%s answered %d: %s" % (where, status, text))
        if not exporters and not problems:
            problems.append("no exporter address")
        if stored:
            return True
        return self._failed(strict, "%s %s: %s" % (method, path.split("?", 1)[0], "; ".join(problems)))

    def _failed(self, strict: bool, problem: str) -> bool:
        """Raise when strict; else log, at most once a minute (an exporter
        that is down would otherwise log every ping of every task)."""
        if strict:
            raise HeartbeatError(problem)
        now = time.monotonic()
        with self._warn_lock:
            if now - self._warned_at < WARN_EVERY and self._warned_at:
                self._suppressed += 1
                return False
            suppressed, self._suppressed, self._warned_at = self._suppressed, 0, now
        if suppressed:
            problem += " (and %d more problems in the last minute)" % suppressed
        log.warning("django_health_exporter: %s", problem)
        return False


def _seconds(value: Seconds) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# The client the module's functions are: made at import, it reads nothing
# and starts nothing until it is used.
default_client = Client()

ping = default_client.ping
register = default_client.register
unregister = default_client.unregister
pause = default_client.pause
resume = default_client.resume
flush = default_client.flush
