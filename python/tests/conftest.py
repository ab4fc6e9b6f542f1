"""Fixtures: the real exporter binary on loopback, and Django's settings
for the tests that need Django (configured only when Django is there)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]

DEFAULT_CONFIG = """
heartbeat_defaults: {auto_register: true, metrics: detailed}
heartbeats:
  - {name: job, interval: 1h}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The exporter: DJANGO_HEALTH_EXPORTER_BIN (make test sets it), else
    built here with go. Missing both is a failure, not a skip."""
    path = os.environ.get("DJANGO_HEALTH_EXPORTER_BIN")
    if path:
        if not os.access(path, os.X_OK):
            pytest.fail("DJANGO_HEALTH_EXPORTER_BIN=%s is not an executable" % path)
        return path
    go = shutil.which("go")
    if go is None:
        pytest.fail("no exporter binary: set DJANGO_HEALTH_EXPORTER_BIN or install Go (make test does both)")
    out = tmp_path_factory.mktemp("bin") / "django_health_exporter"
    subprocess.run([go, "build", "-o", str(out), "."], cwd=REPO, check=True)
    return str(out)


class Exporter:
    """A running exporter on 127.0.0.1."""

    def __init__(self, binary: str, workdir: Path, config: str) -> None:
        self.binary, self.workdir = binary, workdir
        self.config = workdir / "config.yml"
        self.config.write_text(config)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.start()

    def start(self) -> None:
        self.log = open(self.workdir / "exporter.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--config.file", str(self.config), "--storage.path", str(self.workdir / "data"),
             "--web.listen-address", "127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the exporter did not start: %s" % (self.workdir / "exporter.log").read_text())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
            self.log.close()

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return str(r.read().decode("utf-8"))

    def heartbeats(self) -> Dict[str, Dict[str, Any]]:
        data = json.loads(self.get("/api/v1/heartbeats"))
        return {h["name"]: h for h in data["heartbeats"]}

    def metrics(self) -> List[str]:
        return [line for line in self.get("/metrics").splitlines() if line.startswith("heartbeat_")]

    def wait_for(self, check: Any, timeout: float = 5.0) -> Any:
        """Poll check() until it returns something true."""
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got or time.monotonic() > deadline:
                return got
            time.sleep(0.05)


@pytest.fixture
def exporter(binary: str, tmp_path: Path) -> Iterator[Exporter]:
    e = Exporter(binary, tmp_path, DEFAULT_CONFIG)
    yield e
    e.stop()


@pytest.fixture
def make_exporter(binary: str, tmp_path: Path) -> Iterator[Any]:
    started: List[Exporter] = []

    def make(config: str = DEFAULT_CONFIG) -> Exporter:
        d = tmp_path / ("exporter-%d" % len(started))
        d.mkdir()
        e = Exporter(binary, d, config)
        started.append(e)
        return e

    yield make
    for e in started:
        e.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean DJANGO_HEALTH_EXPORTER_* environment."""
    for key in list(os.environ):
        if key.startswith("DJANGO_HEALTH_EXPORTER_"):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture(scope="session")
def django_settings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Django configured once for the process: two databases (one whose
    directory does not exist yet), a cache, static files in a manifest
    storage, the app, its URLs and middleware, and Django 6's immediate
    task backend where there is one."""
    import django
    from django.conf import settings

    if settings.configured:
        return settings
    root = tmp_path_factory.mktemp("django")
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    storage: Dict[str, Any] = (
        {"STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                      "staticfiles": {"BACKEND": manifest}}}
        if django.VERSION >= (4, 2) else {"STATICFILES_STORAGE": manifest})
    extra: Dict[str, Any] = {}
    if django.VERSION >= (6, 0):
        extra["TASKS"] = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.staticfiles",
                        "django_health_exporter"],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(root / "db.sqlite3")},
            "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(root / "later" / "db.sqlite3")},
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        ROOT_URLCONF="tests.django_urls",
        MIDDLEWARE=["django_health_exporter.middleware.ReleaseMiddleware"],
        STATIC_URL="/static/",
        STATIC_ROOT=str(root / "static"),
        DJANGO_HEALTH_EXPORTER={
            "RELEASE": "r9",
            "TASKS": {"tests.django_tasks.send_report": "send-report", "tests.django_tasks.broken_report": "broken-report"},
        },
        **storage,
        **extra,
    )
    django.setup()
    settings.TEST_ROOT = root
    return settings
