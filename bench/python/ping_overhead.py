"""What the Celery integration adds to a task when the exporter is down
(issue: at most 1 ms at p99), measured side by side in one run: the same
eager Celery task in an app wired with connect_celery (a start and an
end ping each run, through the background sender, to an exporter that
refuses connections) and in one without it, interleaved, and the same
with an exporter that accepts connections and never answers.

    .build/venv/bin/python bench/python/ping_overhead.py
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import time

from celery import Celery

from django_health_exporter import Client, Settings
from django_health_exporter._sender import BackgroundSender
from django_health_exporter.celery import connect_celery

RUNS = int(os.environ.get("RUNS", "5000"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app(name: str, url: str = "") -> Celery:
    a = Celery(name, broker="memory://")
    a.conf.task_always_eager = True

    @a.task(name=name + ".work")
    def work() -> int:
        return sum(range(100))

    if url:
        client = Client(Settings(url=url, timeout=2.0), sender=BackgroundSender())
        connect_celery(a, client=client, beat=None, worker=None, queues=[], tasks={name + ".work": "work"})
    a.work = work  # type: ignore[attr-defined]
    return a


def p(values: list, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1e6


def measure(label: str, url: str) -> bool:
    plain, wired = app("plain"), app("wired-" + label.split()[0], url)
    times = {"without": [], "with": []}
    for i in range(RUNS):
        for name, a in (("without", plain), ("with", wired)) if i % 2 else (("with", wired), ("without", plain)):
            t = time.perf_counter()
            a.work.delay()
            times[name].append(time.perf_counter() - t)
    added = p(times["with"], 0.99) - p(times["without"], 0.99)
    print("%-42s p50 %6.0f µs / %6.0f µs   p99 %6.0f µs / %6.0f µs   added at p99 %6.0f µs  (goal <= 1000 µs) %s" % (
        label, p(times["with"], 0.5), p(times["without"], 0.5), p(times["with"], 0.99), p(times["without"], 0.99),
        added, "PASS" if added <= 1000 else "FAIL"))
    return added <= 1000


def main() -> int:
    print("an eager Celery task, %d runs each, with / without connect_celery (2 pings a run):" % RUNS)
    down = "http://127.0.0.1:%d" % free_port()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(1024)
    ok = measure("exporter down (connection refused)", down)
    ok = measure("exporter hung (accepts, never answers)", "http://127.0.0.1:%d" % hung.getsockname()[1]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
