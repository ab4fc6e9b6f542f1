"""Heartbeats for django_health_exporter, from Celery, cron and scripts.

Standard library only: copy this file into your project.

    from django_health_heartbeat import ping
    ping("nightly-report")                              # success
    ping("nightly-report", "start", rid=run_id)         # a run started
    ping("nightly-report", "fail", message=tb, rid=run_id)
    ping("nightly-report", 3)                           # exit status 3: a failure
    ping("import", metrics={"rows": 1234})              # a number to watch

A ping never raises and gives up after a short timeout (2 seconds): the
monitoring must never break, or hold up, the work it watches. It returns
True when the exporter stored the ping.

Celery, in the module that creates the app:

    import django_health_heartbeat as heartbeat
    heartbeat.connect_celery(app)

which watches, with no event stream and nothing copied into the
exporter's configuration (it needs heartbeat_defaults.auto_register):

    celery-beat            a task beat schedules every minute and a worker
                           runs: beat, the broker and a worker all work;
    celery-worker          a thread in every worker: some worker lives;
    celery-worker@NODE     the same for each worker (NODE its Celery
                           hostname, e.g. w1@host), registered when it
                           starts and removed when it stops cleanly: a
                           killed worker goes down on its own;
    celery-queue-QUEUE     a canary task beat sends to each queue; the
                           worker that runs it reports how long it waited
                           (metric wait_seconds), and beat measures its
                           length through the broker (metric
                           queue_length): a queue nobody consumes
                           goes late, a backlog shows as a rising wait;
    each beat entry        registered with its real schedule (an interval,
                           or a crontab as cron in its time zone) when beat
                           starts, from the default scheduler or
                           django-celery-beat's DatabaseScheduler; every
                           run pings start and end, with the beat that sent
                           it as the source (two beats: two sources);
    tasks={...}            start, success or failure (with the traceback) of
                           the tasks named, as before; a task declared with
                           heartbeat_progress=SECONDS also sends a progress
                           ping that often while it runs, which keeps a long
                           run alive past max_runtime.

A task that fails and is retried sends a log ping; only its last failure
fails the run. Task results are not sent unless send_results=True (they
may hold personal data). Pings from tasks go through a background thread:
a task never waits for the exporter.

Settings, from the environment:

    DJANGO_HEALTH_EXPORTER_URL         the exporter (http://localhost:9716);
                                       with user:password@, sent as basic
                                       auth, and the token then goes in
                                       X-Heartbeat-Token; several URLs,
                                       separated by commas, for replicas:
                                       each gets every ping (each waits
                                       at most the timeout); or
                                       dns+http://NAME:PORT, every
                                       address NAME resolves to (the pods
                                       of a headless Service)
    DJANGO_HEALTH_WORKER_EXPIRE_AFTER  seconds a worker's own heartbeat
                                       may stay silent before the
                                       exporter forgets it (3600; 0:
                                       never): workers killed without a
                                       goodbye do not stay for ever
    DJANGO_HEALTH_EXPORTER_TOKEN       a token, or
    DJANGO_HEALTH_EXPORTER_TOKEN_FILE  a file holding it
"""

import base64
import http.client
import json
import logging
import os
import queue
import re
import socket
import ssl
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["ping", "register", "unregister", "heartbeat_name", "start_periodic", "connect_celery"]

log = logging.getLogger("django_health_heartbeat")

DEFAULT_URL = "http://localhost:9716"
DEFAULT_TIMEOUT = 2.0
# The exporter keeps 10 KiB of a message by default; the end of a
# traceback is the useful part.
MAX_MESSAGE = 10 * 1024
# Names of the helper's own beat entries and tasks.
PREFIX = "django-health-heartbeat"


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


def _urls(url=None):
    """The exporters to send to: one URL, or several separated by commas
    (the replicas of a highly available pair, each of which should see
    every ping and every registration)."""
    raw = url or os.environ.get("DJANGO_HEALTH_EXPORTER_URL") or DEFAULT_URL
    return [u for u in re.split(r"[,\s]+", raw) if u] or [DEFAULT_URL]


def _targets(url=None):
    """(base URL, address) for each exporter: a dns+http://NAME:PORT URL
    is each address NAME resolves to now (the pods of a headless Service),
    reached with NAME as the Host and TLS server name; address is None for
    a plain URL."""
    out = []
    for base in _urls(url):
        if not base.startswith("dns+"):
            out.append((base, None))
            continue
        base = base[len("dns+"):]
        parts = urllib.parse.urlsplit(base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError as e:
            log.warning("heartbeat: cannot resolve the exporters of %s: %s", base, e)
            continue
        for addr in sorted({info[4][0] for info in infos}):
            out.append((base, addr))
    return out


class _HTTPSAt(http.client.HTTPSConnection):
    """HTTPS to an address, verified against the name the URL gives."""

    def __init__(self, name, addr, port, timeout, context):
        super().__init__(addr, port, timeout=timeout, context=context)
        self._name = name

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._name)


def _request_at(addr, base, method, path, body, headers, timeout):
    """One request to base's path at an address; its status."""
    parts = urllib.parse.urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https":
        conn = _HTTPSAt(parts.hostname, addr, port, timeout, ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(addr, port, timeout=timeout)
    try:
        conn.request(method, parts.path + path, body=body, headers=dict(headers, Host=parts.netloc.rsplit("@", 1)[-1]))
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 400:
            log.warning("heartbeat %s %s: the exporter at %s answered %s", method, path, addr, resp.status)
        return resp.status
    finally:
        conn.close()


def _send(method, path, body=b"", timeout=DEFAULT_TIMEOUT, url=None, content_type="text/plain; charset=utf-8"):
    """One request to each exporter; the best status (a 2xx from any), or
    None. Never raises."""
    best = None
    for base, addr in _targets(url):
        status = _send_one(base, method, path, body, timeout, content_type, addr)
        if status is not None and (best is None or 200 <= status < 300):
            best = status
    return best


def _send_one(base, method, path, body, timeout, content_type, addr=None):
    try:
        base = base.rstrip("/")
        parts = urllib.parse.urlsplit(base)
        headers = {"Content-Type": content_type}
        token = _token()
        if parts.username is not None:
            # Basic auth for the exporter's web configuration: the token
            # then goes in its own header.
            netloc = parts.hostname + (":%d" % parts.port if parts.port else "")
            base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
            creds = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
            headers["Authorization"] = "Basic " + base64.b64encode(creds.encode("utf-8")).decode("ascii")
            if token:
                headers["X-Heartbeat-Token"] = token
        elif token:
            headers["Authorization"] = "Bearer " + token
        if addr is not None:
            return _request_at(addr, base, method, path, body, headers, timeout)
        req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        log.warning("heartbeat %s %s: the exporter answered %s", method, path, e.code)
        return e.code
    except Exception as e:  # noqa: BLE001 - monitoring must never break the caller
        log.warning("heartbeat %s %s: %s", method, path, e)
    return None


def ping(name, kind="", message=None, rid=None, timeout=DEFAULT_TIMEOUT, url=None, source=None, metrics=None):
    """Send one ping; never raise. kind is "" (success), "start", "fail",
    "log" or an exit status (0 is a success); metrics are numbers to keep
    ({"rows": 1234}); source names the sender. Returns True when stored."""
    try:
        path = "/heartbeat/" + urllib.parse.quote(str(name), safe="@")
        if kind != "" and kind is not None:
            path += "/" + str(kind)
        query = []
        if rid:
            query.append(("rid", str(rid)))
        if source:
            query.append(("source", str(source)))
        for key, value in (metrics or {}).items():
            query.append(("metric", "%s:%r" % (key, float(value))))
        if query:
            path += "?" + urllib.parse.urlencode(query)
        body = b""
        if message:
            body = str(message).encode("utf-8", "replace")[-MAX_MESSAGE:]
        return _send("POST", path, body, timeout, url) == 200
    except Exception as e:  # noqa: BLE001
        log.warning("heartbeat %s: %s", name, e)
        return False


def register(name, interval=None, schedule=None, timezone=None, grace=None, max_runtime=None, labels=None,
             exclusive=None, timeout=DEFAULT_TIMEOUT, url=None, expire_after=None):
    """Register a heartbeat with the exporter (needs auto_register): an
    interval in seconds, or a 5-field cron schedule read in timezone;
    exclusive when the job must run once per period, from one sender
    (the default: true for a schedule, false for an interval);
    expire_after, in seconds, removes it once silent that long (a worker
    killed without a goodbye). Returns True when registered; never raises."""
    reg = {} if exclusive is None else {"exclusive": bool(exclusive)}
    if expire_after:
        reg["expire_after"] = "%ds" % max(1, round(float(expire_after)))
    if interval is not None:
        reg["interval"] = "%dms" % max(1, round(float(interval) * 1000))
    if schedule:
        reg["schedule"] = schedule
        reg["timezone"] = timezone or "UTC"
    if grace is not None:
        reg["grace"] = "%dms" % round(float(grace) * 1000)
    if max_runtime is not None:
        reg["max_runtime"] = "%dms" % round(float(max_runtime) * 1000)
    if labels:
        reg["labels"] = dict(labels)
    path = "/api/v1/heartbeats/" + urllib.parse.quote(str(name), safe="@")
    status = _send("PUT", path, json.dumps(reg).encode("utf-8"), timeout, url, "application/json")
    return status in (200, 201)


def unregister(name, timeout=DEFAULT_TIMEOUT, url=None):
    """Remove a registered heartbeat; never raises."""
    path = "/api/v1/heartbeats/" + urllib.parse.quote(str(name), safe="@")
    return _send("DELETE", path, b"", timeout, url) == 204


def _node_name(node):
    """A worker's Celery hostname (w1@host) as the tail of a heartbeat
    name: lower case, '@' kept, other characters than a-z 0-9 . _ - as
    '-'."""
    node = re.sub(r"[^a-z0-9._@-]", "-", str(node).lower()).strip("._@-")
    return node[:100] or "unnamed"


def heartbeat_name(name):
    """A beat entry's name as a heartbeat's: lower case, characters other
    than a-z 0-9 . _ - as '-', starting with a letter or digit."""
    name = re.sub(r"[^a-z0-9._-]", "-", str(name).lower()).lstrip("._-")
    return name[:128] or "unnamed"


def start_periodic(name, interval, stop=None, source=None):
    """Ping name every interval seconds from a daemon thread."""
    stop = stop or threading.Event()

    def loop():
        while True:
            ping(name, source=source)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name="heartbeat-" + str(name), daemon=True)
    thread.start()
    return thread


class _Background:
    """Sends pings from a thread, in order, so that a task never waits for
    the exporter; a full queue drops pings (and says so)."""

    def __init__(self, size=1000):
        self.size = size
        self.pid = None
        self.queue = None
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            if self.pid != os.getpid():  # first use, or a forked pool child
                self.pid, self.queue = os.getpid(), queue.Queue(self.size)
                threading.Thread(target=self._run, args=(self.queue,), name="heartbeat-sender", daemon=True).start()
            q = self.queue
        try:
            q.put_nowait((args, kwargs))
        except queue.Full:
            log.warning("heartbeat: %d pings waiting, dropping one for %s", self.size, args[0] if args else "?")

    @staticmethod
    def _run(q):
        while True:
            args, kwargs = q.get()
            ping(*args, **kwargs)


_background = _Background()
_beat = threading.local()


def _source():
    return "%s:%d" % (socket.gethostname(), os.getpid())


def _request_header(task, key):
    try:
        return getattr(task.request, key, None)
    except Exception:  # noqa: BLE001
        return None


def _entry_registration(entry, app):
    """The registration of a beat entry: its interval, or its crontab as a
    cron line in its time zone; None for schedules cron cannot say."""
    from celery.schedules import crontab, schedule

    sched = entry.schedule
    if isinstance(sched, crontab):
        fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        line = " ".join(str(getattr(sched, "_orig_" + f, "*")) for f in fields)
        tz = getattr(sched, "tz", None) or app.conf.timezone or "UTC"
        return {"schedule": line, "timezone": str(tz)}
    if isinstance(sched, schedule):
        # Beat runs it once per interval: a second run, or a second
        # sender, is a second beat.
        return {"interval": sched.run_every.total_seconds(), "exclusive": True}
    return None


def _queue_names(app, queues):
    if queues:
        return list(queues)
    names = [getattr(q, "name", q) for q in (app.conf.task_queues or [])]
    return names or [app.conf.task_default_queue or "celery"]


def connect_celery(app, tasks=None, beat="celery-beat", worker="celery-worker", beat_interval=60,
                   worker_interval=60, queues=None, canary_interval=60, sync_beat=True, send_results=False,
                   labels=None):
    """Wire heartbeats into a Celery app; see the module's documentation.
    Set beat, worker or queues=[] to None or empty to leave them out.
    labels (such as {"team": "shop"}) go on every heartbeat it registers,
    so that alerts reach the right team, with celery="entry", "worker" or
    "queue" (the dashboards' Celery row selects on it)."""
    from celery import signals

    _labels.update(labels or {})

    queue_names = [] if queues == [] else _queue_names(app, queues)

    if beat:

        @app.task(name=PREFIX + ".beat", ignore_result=True, bind=True)
        def beat_heartbeat(self):
            # Runs on a worker: beat scheduled it and the broker carried it.
            ping(beat, source=_request_header(self, "dhh_source"))

        # A heartbeat that waited in the queue longer than its interval
        # proves nothing: let it expire.
        app.add_periodic_task(float(beat_interval), beat_heartbeat.s(), name=PREFIX, expires=float(beat_interval))

    if queue_names:

        @app.task(name=PREFIX + ".canary", ignore_result=True, bind=True)
        def canary(self, queue_name):
            sent = _request_header(self, "dhh_sent_at")
            metrics = {"wait_seconds": max(0.0, time.time() - float(sent))} if sent else None
            ping("celery-queue-" + heartbeat_name(queue_name), source=_request_header(self, "dhh_source"), metrics=metrics)

        for q in queue_names:
            # A canary stuck behind a backlog still runs, and says how long
            # it waited; one older than this is dropped.
            app.add_periodic_task(float(canary_interval), canary.s(q), name="%s-canary-%s" % (PREFIX, q),
                                  queue=q, expires=max(600.0, 10.0 * float(canary_interval)))

    @signals.beat_init.connect(weak=False)
    def beat_started(sender=None, **kwargs):
        scheduler = sender.scheduler  # the service's own, which beat runs
        _mark_beat_entries(scheduler, app, sync_beat)
        threading.Thread(target=_register_beat, name="heartbeat-register", daemon=True,
                         args=(app, scheduler, queue_names, canary_interval, sync_beat)).start()
        if queue_names:
            threading.Thread(target=_measure_queues, name="heartbeat-queue-length", daemon=True,
                             args=(app, queue_names, canary_interval)).start()

    @signals.before_task_publish.connect(weak=False)
    def mark_message(sender=None, headers=None, **kwargs):
        if headers is None:
            return
        entry = getattr(_beat, "entry", None)
        if entry is not None:
            # In beat, while it sends an entry: who sent it, when, and
            # for which entry.
            headers["dhh_source"] = _beat_source
            headers["dhh_sent_at"] = time.time()
            if not entry.startswith(PREFIX) and sync_beat:
                headers["dhh_entry"] = heartbeat_name(entry)
            return
        _keep_marks_on_retry(headers)

    if worker:
        _connect_worker(signals, worker, float(worker_interval))
    _connect_tasks(signals, dict(tasks or {}), send_results)


def _keep_marks_on_retry(headers):
    """A task that retries itself publishes its next attempt: keep its
    entry and source, so that the retry's end ends the run."""
    try:
        from celery import current_task
    except Exception:  # noqa: BLE001
        return
    task = current_task
    if task is None or getattr(task.request, "id", None) != headers.get("id"):
        return
    for key in ("dhh_entry", "dhh_source"):
        value = _request_header(task, key)
        if value is not None and key not in headers:
            headers[key] = value


_beat_source = None
_beat_registered = set()
_labels = {}


def _mark_beat_entries(scheduler, app, sync_beat):
    """Make beat say, while it sends an entry, which one (mark_message reads
    it): the scheduler's apply_async, of the default scheduler and of
    django-celery-beat's alike, is wrapped. An entry beat did not have when
    it started (added to the database since) is registered when it is
    first sent."""
    global _beat_source
    _beat_source = _source()
    original = scheduler.apply_async

    def apply_async(entry, *args, **kwargs):
        name = getattr(entry, "name", None)
        if sync_beat and name and not name.startswith(PREFIX) and name not in _beat_registered:
            _beat_registered.add(name)
            threading.Thread(target=_register_entry, args=(app, name, entry), name="heartbeat-register",
                             daemon=True).start()
        _beat.entry = name
        try:
            return original(entry, *args, **kwargs)
        finally:
            _beat.entry = None

    scheduler.apply_async = apply_async


def _register_entry(app, name, entry):
    try:
        reg = _entry_registration(entry, app)
    except Exception as e:  # noqa: BLE001
        log.warning("heartbeat: beat entry %s: %s", name, e)
        return
    if reg is None:
        log.info("heartbeat: beat entry %s has a schedule cron cannot say; not watched", name)
        return
    register(heartbeat_name(name), labels=dict(_labels, celery="entry"), **reg)


def queue_lengths(app, queue_names):
    """Each queue's length through the broker, {name: messages}; a queue
    the broker does not know is left out. A passive declare counts a Redis
    list with the priority sub-queues Celery makes, and an AMQP queue's
    ready messages. Never raises."""
    out = {}
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            for q in queue_names:
                try:
                    # A channel per queue: an unknown queue closes the
                    # AMQP channel that asked.
                    with conn.channel() as channel:
                        out[q] = int(channel.queue_declare(queue=q, passive=True).message_count)
                except Exception as e:  # noqa: BLE001
                    if getattr(conn.transport, "driver_type", "") == "redis":
                        out[q] = 0  # Redis deletes an empty list: not found is empty
                    else:
                        log.info("heartbeat: length of queue %s: %s", q, e)
    except Exception as e:  # noqa: BLE001
        log.warning("heartbeat: measuring queue lengths: %s", e)
    return out


def _measure_queues(app, queue_names, interval):
    """In beat: every interval, each watched queue's length, sent on its
    canary heartbeat as a log ping with metric queue_length (a log ping:
    it says how long the queue is, not that a worker consumes it)."""
    while True:
        for q, n in queue_lengths(app, queue_names).items():
            ping("celery-queue-" + heartbeat_name(q), kind="log", source=_beat_source, metrics={"queue_length": n})
        time.sleep(float(interval))


def _register_beat(app, scheduler, queue_names, canary_interval, sync_beat):
    """Register each beat entry with its schedule, and each queue's canary."""
    for q in queue_names:
        # Not exclusive (an interval's default): when a backlog clears, the
        # canaries that waited in it run at once, and that is no double run.
        # queues names it as a worker's queues label does: all the workers
        # of a queue down is one alert (the canary's), not one per worker.
        register("celery-queue-" + heartbeat_name(q), interval=canary_interval, labels=dict(_labels, celery="queue", queues=q))
    if not sync_beat:
        return
    try:
        entries = list(scheduler.schedule.items())
    except Exception as e:  # noqa: BLE001
        log.warning("heartbeat: cannot read the beat schedule: %s", e)
        return
    for name, entry in entries:
        if name.startswith(PREFIX) or name in _beat_registered:
            continue
        _beat_registered.add(name)
        _register_entry(app, name, entry)


def _worker_expire_after():
    """How long a worker's own heartbeat may stay silent before the
    exporter forgets it: an hour by default, long enough for
    CeleryWorkerDown to page; autoscaled workers then come and go without
    leaving a heartbeat each behind."""
    try:
        return float(os.environ.get("DJANGO_HEALTH_WORKER_EXPIRE_AFTER", "3600"))
    except ValueError:
        return 3600.0


def _worker_queues(consumer):
    try:
        return sorted(consumer.app.amqp.queues.consume_from)
    except Exception:  # noqa: BLE001
        return []


def _connect_worker(signals, worker, interval):
    state = {}

    @signals.worker_ready.connect(weak=False)
    def worker_started(sender=None, **kwargs):
        # worker_ready fires once, in the worker's main process; sender is
        # its consumer.
        node = getattr(sender, "hostname", None) or socket.gethostname()
        # celery-worker@w1@host: Celery's own name for the worker, as
        # `celery inspect ping` prints it, so the two can be matched.
        own = "%s@%s" % (heartbeat_name(worker), _node_name(node))
        queues = ",".join(_worker_queues(sender))
        state["own"], state["stop"] = own, threading.Event()

        def run():
            # The queues it consumes, as a label: dashboards count the
            # workers alive for each set of queues.
            register(own, interval=interval, labels=dict(_labels, celery="worker", **({"queues": queues} if queues else {})),
                     expire_after=_worker_expire_after())
            start_periodic(own, interval, state["stop"])

        threading.Thread(target=run, name="heartbeat-register", daemon=True).start()
        # Every worker pings the shared heartbeat too (an interval
        # heartbeat, not exclusive: many senders are expected).
        start_periodic(worker, interval, state["stop"], source=node)

    @signals.worker_shutdown.connect(weak=False)
    def worker_stopped(sender=None, **kwargs):
        if "own" in state:
            state["stop"].set()
            unregister(state["own"])


# Progress pings of the task runs in progress, by task id: a task that
# opts in with heartbeat_progress=SECONDS (@shared_task(heartbeat_progress=60))
# keeps its run alive past the heartbeat's max_runtime while it works.
_progress_lock = threading.Lock()
_progress_stops = {}


def _progress_interval(task):
    try:
        return float(getattr(task, "heartbeat_progress", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def _send_progress(name, task_id, every, stop):
    while not stop.wait(max(1.0, every)):
        ping(name, "progress", rid=task_id)


def _connect_tasks(signals, tasks, send_results):
    def heartbeat_for(task):
        name = tasks.get(getattr(task, "name", None))
        return name or _request_header(task, "dhh_entry")

    def task_id(task):
        try:
            return task.request.id
        except Exception:  # noqa: BLE001
            return None

    @signals.task_prerun.connect(weak=False)
    def task_started(sender=None, task_id=None, **kwargs):
        name = heartbeat_for(sender)
        if name:
            _background(name, "start", rid=task_id, source=_request_header(sender, "dhh_source"))
            every = _progress_interval(sender)
            if every and task_id:
                stop = threading.Event()
                with _progress_lock:
                    _progress_stops[task_id] = stop
                threading.Thread(target=_send_progress, args=(name, task_id, every, stop),
                                 name="heartbeat-progress", daemon=True).start()

    @signals.task_postrun.connect(weak=False)
    def task_ended(sender=None, task_id=None, **kwargs):
        # After success, failure or retry alike: the progress pings stop.
        with _progress_lock:
            stop = _progress_stops.pop(task_id, None)
        if stop is not None:
            stop.set()

    @signals.task_success.connect(weak=False)
    def task_succeeded(sender=None, result=None, **kwargs):
        name = heartbeat_for(sender)
        if name:
            message = repr(result) if send_results else None
            _background(name, rid=task_id(sender), message=message, source=_request_header(sender, "dhh_source"))

    @signals.task_retry.connect(weak=False)
    def task_retried(sender=None, request=None, reason=None, **kwargs):
        # Not a failed run until its last retry fails: a message only.
        name = heartbeat_for(sender)
        if name:
            _background(name, "log", rid=getattr(request, "id", None), message="retrying: %s" % (reason,),
                        source=_request_header(sender, "dhh_source"))

    @signals.task_failure.connect(weak=False)
    def task_failed(sender=None, task_id=None, exception=None, einfo=None, **kwargs):
        name = heartbeat_for(sender)
        if name:
            text = str(einfo) if einfo else "".join(traceback.format_exception_only(type(exception), exception))
            _background(name, "fail", rid=task_id, message=text, source=_request_header(sender, "dhh_source"))
