"""The client against the real exporter binary."""

from __future__ import annotations

import http.server
import logging
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

import django_health_exporter as dhe
from django_health_exporter import Client, HeartbeatError, Settings
from django_health_exporter._sender import BackgroundSender

from .conftest import REPO, Exporter, free_port


def client(url: str, **kw: Any) -> Client:
    return Client(Settings(url=url, **kw))


def test_version_is_the_repository_version() -> None:
    assert dhe.__version__ == (REPO / "VERSION").read_text().strip()


def test_import_reads_nothing_and_starts_nothing() -> None:
    code = (
        "import sys, threading, os\n"
        "os.environ['DJANGO_HEALTH_EXPORTER_TOKEN_FILE'] = '/nonexistent'\n"
        "import django_health_exporter, django_health_exporter.celery, django_health_exporter.client\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert not {'celery', 'django'} & set(sys.modules), sorted(m for m in sys.modules if m in ('celery', 'django'))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok" and "token file" not in out.stderr


def test_every_kind_of_ping(exporter: Exporter) -> None:
    c = client(exporter.url, release="r1")
    assert c.ping("job")
    assert c.ping("nightly", "start", rid="42")
    assert c.ping("nightly", "fail", rid="42", message="Traceback (most recent call last):\nValueError: boom")
    assert c.ping("exits", 3)
    assert c.ping("import", metrics={"rows": 1234}, source="deployer")
    hb = exporter.heartbeats()
    assert hb["job"]["state"] == "up" and hb["job"]["release"] == "r1"
    assert hb["nightly"]["state"] == "failed" and hb["nightly"]["last_message"].endswith("ValueError: boom")
    assert hb["exits"]["state"] == "failed"
    assert hb["import"]["values"] == {"rows": 1234} and "deployer" in hb["import"]["sources"]
    assert 'heartbeat_release_info{heartbeat="job",release="r1"} 1' in exporter.metrics()


def test_register_pause_resume_unregister(exporter: Exporter) -> None:
    c = client(exporter.url)
    assert c.register("refresh-prices", schedule=["0 * * * *", "30 * * * *"], timezone="Europe/Berlin", grace=120,
                      max_runtime=timedelta(minutes=10), failure_threshold=2, labels={"celery": "entry"}, release="r7")
    assert c.register("celery-worker@w1", interval=60, expire_after=3600)
    hb = exporter.heartbeats()
    entry = hb["refresh-prices"]
    assert entry["schedule"] == "0 * * * *; 30 * * * *" and entry["timezone"] == "Europe/Berlin"
    assert entry["grace_seconds"] == 120 and entry["max_runtime_seconds"] == 600 and entry["failure_threshold"] == 2
    assert entry["labels"] == {"celery": "entry"} and entry["release"] == "r7"
    assert c.pause("refresh-prices", 1800)
    assert exporter.heartbeats()["refresh-prices"]["paused"]
    assert c.resume("refresh-prices")
    assert not exporter.heartbeats()["refresh-prices"]["paused"]
    until = datetime.now(timezone.utc) + timedelta(hours=2)
    assert c.pause("job", until=until)
    assert exporter.heartbeats()["job"]["paused_until"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert c.unregister("celery-worker@w1")
    assert "celery-worker@w1" not in exporter.heartbeats()
    assert not c.unregister("job")  # a configured heartbeat is the file's


def test_a_pause_never_lasts_for_ever(exporter: Exporter) -> None:
    c = client(exporter.url)
    for bad in (0, -300, timedelta(0)):
        with pytest.raises(ValueError):
            c.pause("job", bad)
    with pytest.raises(ValueError):
        c.pause("job", 60, until=datetime.now(timezone.utc))
    assert not exporter.heartbeats()["job"]["paused"]


def test_token_from_the_environment_a_file_or_django(make_exporter: Any, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    e = make_exporter("heartbeat_defaults: {auto_register: true, token: s3cret}\nheartbeats:\n  - {name: job, interval: 1h}\n")
    env.setenv("DJANGO_HEALTH_EXPORTER_URL", e.url)
    c = Client()  # settings read at each call
    assert not c.ping("job")  # 401
    env.setenv("DJANGO_HEALTH_EXPORTER_TOKEN", "s3cret")
    assert c.ping("job")
    env.setenv("DJANGO_HEALTH_EXPORTER_TOKEN", "wrong")
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    env.setenv("DJANGO_HEALTH_EXPORTER_TOKEN_FILE", str(token_file))
    assert c.ping("job")  # the file wins
    assert Settings.from_environment({"DJANGO_HEALTH_EXPORTER_TIMEOUT": "500ms"}).timeout == 0.5
    assert Settings.from_environment({"DJANGO_HEALTH_EXPORTER_TIMEOUT": "10s"}).timeout == 10
    assert Settings.from_environment({"DJANGO_HEALTH_EXPORTER_TIMEOUT": "1.5"}).timeout == 1.5


def test_every_replica_gets_every_request(make_exporter: Any) -> None:
    a, b = make_exporter(), make_exporter()
    dead = "http://127.0.0.1:%d" % free_port()
    c = client("%s, %s,%s" % (a.url, dead, b.url))
    assert c.ping("job", rid="1", source="deployer")
    assert c.register("w1", interval=60)
    for e in (a, b):
        hb = e.heartbeats()
        assert hb["job"]["pings"]["success"] == 1 and "w1" in hb
    # dns+: every address of the name; localhost is 127.0.0.1 in /etc/hosts.
    assert client("dns+http://localhost:%d" % a.port).ping("job")
    assert a.heartbeats()["job"]["pings"]["success"] == 2


@pytest.fixture
def hung_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield "http://127.0.0.1:%d" % s.getsockname()[1]
    s.close()


def test_never_raises_unless_strict(hung_server: str, exporter: Exporter, caplog: pytest.LogCaptureFixture) -> None:
    dead = "http://127.0.0.1:%d" % free_port()
    c = client(dead)
    assert c.ping("job") is False
    assert c.register("x", interval=60) is False and c.unregister("x") is False
    assert c.pause("job", 60) is False and c.resume("job") is False
    with pytest.raises(HeartbeatError, match="Connection refused"):
        c.ping("job", strict=True)
    with pytest.raises(HeartbeatError, match="answered 400"):
        client(exporter.url).ping("job", metrics={"rows": float("nan")}, strict=True)
    assert client(exporter.url).ping("no such name!") is False
    start = time.monotonic()
    assert client(hung_server, timeout=0.5).ping("job") is False
    assert time.monotonic() - start < 2


class _Redirect(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: Any, host: str = "127.0.0.1") -> Tuple[http.server.HTTPServer, str]:
    srv = http.server.HTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://%s:%d" % (host, srv.server_address[1])


def test_a_redirect_is_not_followed() -> None:
    reached: List[str] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reached.append(str(self.headers.get("Authorization")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    other, other_url = _serve(Elsewhere, "127.0.0.2")
    _Redirect.target = other_url
    replica, url = _serve(_Redirect)
    try:
        assert client(url, token="s3cret").ping("job") is False
        with pytest.raises(HeartbeatError, match="307"):
            client(url, token="s3cret").ping("job", strict=True)
        assert reached == []
    finally:
        replica.shutdown()
        other.shutdown()


def test_the_background_sender_never_blocks(exporter: Exporter, hung_server: str, caplog: pytest.LogCaptureFixture) -> None:
    c = client(exporter.url)
    assert c.ping("job", wait=False) is True
    assert c.flush(5)
    assert exporter.heartbeats()["job"]["pings"]["success"] == 1
    # A hung exporter: the queue fills, pings are dropped, counted and
    # said once; submit never waits.
    slow = Client(Settings(url=hung_server, timeout=5), sender=BackgroundSender(size=2))
    caplog.set_level(logging.WARNING, "django_health_exporter")
    start = time.monotonic()
    results = [slow.ping("job", wait=False) for _ in range(50)]
    assert time.monotonic() - start < 0.5
    assert results.count(False) == slow.sender.dropped >= 47
    assert sum("dropping pings" in r.message for r in caplog.records) == 1
