"""Heartbeats for django_health_exporter, from Celery, cron and scripts.

Standard library only: copy this file into your project.

    from django_health_heartbeat import ping
    ping("nightly-report")                              # success
    ping("nightly-report", "start", rid=run_id)         # a run started
    ping("nightly-report", "fail", message=tb, rid=run_id)
    ping("nightly-report", 3)                           # exit status 3: a failure

A ping never raises and gives up after a short timeout (2 seconds): the
monitoring must never break, or hold up, the work it watches. It returns
True when the exporter stored the ping.

Celery, in the module that creates the app:

    import django_health_heartbeat as heartbeat
    heartbeat.connect_celery(app, tasks={"shop.tasks.nightly_report": "nightly-report"})

which sends three kinds of heartbeats:

    celery-beat     a task that beat schedules every minute and a worker runs:
                    it proves beat, the broker and a worker all work;
    celery-worker   a thread in every worker, every minute: it proves the
                    worker process lives, so when celery-beat goes quiet the
                    two together tell which part died;
    nightly-report  start, success or failure (with the traceback) of each
                    run of the tasks named in `tasks`.

Settings, from the environment:

    DJANGO_HEALTH_EXPORTER_URL         the exporter (http://localhost:9716)
    DJANGO_HEALTH_EXPORTER_TOKEN       a bearer token, or
    DJANGO_HEALTH_EXPORTER_TOKEN_FILE  a file holding it
"""

import logging
import os
import threading
import traceback
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["ping", "start_periodic", "connect_celery"]

log = logging.getLogger("django_health_heartbeat")

DEFAULT_URL = "http://localhost:9716"
DEFAULT_TIMEOUT = 2.0
# The exporter keeps 10 KiB of a message by default; the end of a
# traceback is the useful part.
MAX_MESSAGE = 10 * 1024


def _token():
    token = os.environ.get("DJANGO_HEALTH_EXPORTER_TOKEN", "")
    path = os.environ.get("DJANGO_HEALTH_EXPORTER_TOKEN_FILE", "")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            log.warning("heartbeat token file %s: %s", path, e)
    return token


def ping(name, kind="", message=None, rid=None, timeout=DEFAULT_TIMEOUT, url=None):
    """Send one ping; never raise. kind is "" (success), "start", "fail",
    "log" or an exit status (0 is a success). Returns True when stored."""
    try:
        base = (url or os.environ.get("DJANGO_HEALTH_EXPORTER_URL") or DEFAULT_URL).rstrip("/")
        target = base + "/heartbeat/" + urllib.parse.quote(str(name), safe="")
        if kind != "" and kind is not None:
            target += "/" + str(kind)
        if rid:
            target += "?" + urllib.parse.urlencode({"rid": rid})
        body = b""
        if message:
            body = str(message).encode("utf-8", "replace")[-MAX_MESSAGE:]
        req = urllib.request.Request(target, data=body, method="POST")
        req.add_header("Content-Type", "text/plain; charset=utf-8")
        token = _token()
        if token:
            req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status == 200
    except urllib.error.HTTPError as e:
        log.warning("heartbeat %s: the exporter answered %s", name, e.code)
    except Exception as e:  # noqa: BLE001 - a ping must never break the caller
        log.warning("heartbeat %s: %s", name, e)
    return False


def start_periodic(name, interval, stop=None):
    """Ping name every interval seconds from a daemon thread."""
    stop = stop or threading.Event()

    def loop():
        while True:
            ping(name)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name="heartbeat-" + str(name), daemon=True)
    thread.start()
    return thread


def connect_celery(
    app,
    beat="celery-beat",
    worker="celery-worker",
    beat_interval=60.0,
    worker_interval=60.0,
    tasks=None,
):
    """Wire heartbeats into a Celery app; see the module's documentation.
    Set beat or worker to None to leave that heartbeat out."""
    from celery import signals

    if beat:

        @app.task(name="django_health_heartbeat.beat", ignore_result=True)
        def beat_heartbeat():
            # Runs on a worker: beat scheduled it and the broker carried it.
            ping(beat)

        schedule = dict(app.conf.beat_schedule or {})
        schedule["django-health-heartbeat"] = {
            "task": "django_health_heartbeat.beat",
            "schedule": float(beat_interval),
            # A heartbeat that waited in the queue longer than its
            # interval proves nothing: let it expire.
            "options": {"expires": float(beat_interval)},
        }
        app.conf.beat_schedule = schedule

    if worker:

        @signals.worker_ready.connect(weak=False)
        def start_worker_heartbeat(sender=None, **kwargs):
            # worker_ready fires once, in the worker's main process.
            start_periodic(worker, worker_interval)

    task_heartbeats = dict(tasks or {})
    if task_heartbeats:

        def heartbeat_for(sender):
            return task_heartbeats.get(getattr(sender, "name", None))

        @signals.task_prerun.connect(weak=False)
        def task_started(sender=None, task_id=None, **kwargs):
            name = heartbeat_for(sender)
            if name:
                ping(name, "start", rid=task_id)

        @signals.task_success.connect(weak=False)
        def task_succeeded(sender=None, result=None, **kwargs):
            name = heartbeat_for(sender)
            if name:
                ping(name, rid=_task_id(sender), message=repr(result))

        @signals.task_failure.connect(weak=False)
        def task_failed(sender=None, task_id=None, exception=None, einfo=None, **kwargs):
            name = heartbeat_for(sender)
            if name:
                text = str(einfo) if einfo else "".join(traceback.format_exception_only(type(exception), exception))
                ping(name, "fail", rid=task_id, message=text)


def _task_id(task):
    try:
        return task.request.id
    except Exception:  # noqa: BLE001
        return None
