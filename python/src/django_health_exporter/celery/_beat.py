"""Beat: its own heartbeat, the queue canaries, each entry's registration,
and the marks on the messages it sends (who, when, which entry)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from ..names import heartbeat_name
from . import _state
from ._state import ENTRY, OPTION, PREFIX, SENT_AT, SOURCE, Options, of_app, request_header

log = logging.getLogger("django_health_exporter")


def queue_names(app: Any, queues: Optional[Sequence[str]]) -> List[str]:
    """The queues to watch: the ones given, else the app's task_queues, else
    its default queue."""
    if queues:
        return list(queues)
    names = [str(getattr(q, "name", q)) for q in (app.conf.task_queues or [])]
    return names or [app.conf.task_default_queue or "celery"]


def connect(app: Any, opts: Options) -> None:
    from celery import signals

    client = opts.client
    if opts.beat:
        beat_name = opts.beat

        @app.task(name=PREFIX + ".beat", ignore_result=True, bind=True)
        def beat_heartbeat(self: Any) -> None:
            # Runs on a worker: beat scheduled it and the broker carried it.
            client.ping(beat_name, source=request_header(self, SOURCE), wait=False)

        # A heartbeat that waited in the queue longer than its interval
        # proves nothing: let it expire.
        app.add_periodic_task(opts.beat_interval, beat_heartbeat.s(), name=PREFIX, expires=opts.beat_interval)

    if opts.queues:

        @app.task(name=PREFIX + ".canary", ignore_result=True, bind=True)
        def canary(self: Any, queue_name: str) -> None:
            sent = request_header(self, SENT_AT)
            metrics = {"wait_seconds": max(0.0, time.time() - float(sent))} if sent else None
            client.ping("celery-queue-" + heartbeat_name(queue_name), source=request_header(self, SOURCE),
                        metrics=metrics, wait=False)

        for q in opts.queues:
            # A canary stuck behind a backlog still runs, and says how long
            # it waited; one older than this is dropped.
            app.add_periodic_task(opts.canary_interval, canary.s(q), name="%s-canary-%s" % (PREFIX, q),
                                  queue=q, expires=max(600.0, 10.0 * opts.canary_interval))

    beat = _Beat(app, opts)
    signals.beat_init.connect(beat.started, weak=False, dispatch_uid="django_health_exporter.beat_init.%d" % id(app))
    signals.before_task_publish.connect(beat.mark_message, weak=False,
                                        dispatch_uid="django_health_exporter.before_task_publish.%d" % id(app))


class _Beat:
    def __init__(self, app: Any, opts: Options) -> None:
        self.app = app
        self.opts = opts
        self.source = ""
        self.registered: Set[str] = set()
        self.lock = threading.Lock()
        # In beat, while it sends an entry: the entry's name (mark_message
        # reads it).
        self.sending = threading.local()
        # Each entry's options[OPTION]: a mapping that tunes its
        # heartbeat, or False to leave it out.
        self.entry_options: Dict[str, Any] = {}

    def started(self, sender: Any = None, **kwargs: Any) -> None:
        """beat_init: mark what beat sends, then register its entries and
        measure the queues from one thread (beat's start is not held)."""
        if not of_app(sender, self.app):
            return
        self.source = _state.source()
        scheduler = sender.scheduler  # the service's own, which beat runs
        self.wrap(scheduler)
        threading.Thread(target=self.run, args=(scheduler,), name="django-health-exporter-beat", daemon=True).start()

    def wrap(self, scheduler: Any) -> None:
        """Make beat say, while it sends an entry, which one: the
        scheduler's apply_async (the default scheduler's and
        django-celery-beat's alike) is wrapped, once. An entry beat did not
        have when it started is registered when it is first sent."""
        if getattr(scheduler, "_django_health_exporter", False):
            return
        original = scheduler.apply_async

        def apply_async(entry: Any, *args: Any, **kwargs: Any) -> Any:
            name = getattr(entry, "name", None)
            options = getattr(entry, "options", None)
            if isinstance(options, dict) and OPTION in options:
                # Ours, not apply_async's: read at registration, kept off the message.
                self.entry_options[str(name)] = options.pop(OPTION)
            if name and self.watched(str(name)):
                self.register_soon(str(name), entry)
            self.sending.entry = name
            try:
                return original(entry, *args, **kwargs)
            finally:
                self.sending.entry = None

        scheduler.apply_async = apply_async
        scheduler._django_health_exporter = True

    def watched(self, name: str) -> bool:
        return (self.opts.sync_beat and not name.startswith(PREFIX) and not self.opts.excluded(name)
                and self.entry_options.get(name, {}) is not False)

    def register_soon(self, name: str, entry: Any) -> None:
        with self.lock:
            if name in self.registered:
                return
            self.registered.add(name)
        self.opts.client.sender.submit(lambda: self.register_entry(name, entry))

    def mark_message(self, sender: Any = None, headers: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        """before_task_publish: in beat, while it sends an entry, who sent
        it, when, and for which heartbeat; elsewhere, a retry keeps the
        marks of the run it retries."""
        if headers is None:
            return
        entry = getattr(self.sending, "entry", None)
        if entry is not None:
            headers[SOURCE] = self.source
            headers[SENT_AT] = time.time()
            if self.watched(str(entry)):
                headers[ENTRY] = heartbeat_name(str(entry))
            return
        keep_marks_on_retry(headers)

    def run(self, scheduler: Any) -> None:
        client, opts = self.opts.client, self.opts
        if opts.beat:
            # Registered, so that the exporter may leave auto_register off
            # (a typo then never becomes a heartbeat); the file's own wins.
            client.register(opts.beat, interval=opts.beat_interval, exclusive=True,
                            labels=dict(opts.labels, celery="beat"), configured_ok=True)
        for q in opts.queues:
            # Not exclusive: when a backlog clears, the canaries that waited
            # in it run at once, and that is no double run. queues names it
            # as a worker's queues label does.
            client.register("celery-queue-" + heartbeat_name(q), interval=opts.canary_interval,
                            labels=dict(opts.labels, celery="queue", queues=q))
        if opts.sync_beat:
            try:
                entries = list(scheduler.schedule.items())
            except Exception as e:  # noqa: BLE001
                log.warning("django_health_exporter: cannot read the beat schedule: %s", e)
                entries = []
            for name, entry in entries:
                options = getattr(entry, "options", None)
                if isinstance(options, dict) and OPTION in options:
                    self.entry_options[str(name)] = options[OPTION]
                if not self.watched(str(name)):
                    continue
                with self.lock:
                    if name in self.registered:
                        continue
                    self.registered.add(name)
                self.register_entry(str(name), entry)
        while opts.queues:
            for q, n in queue_lengths(self.app, opts.queues).items():
                # A log ping: it says how long the queue is, not that a
                # worker consumes it.
                client.ping("celery-queue-" + heartbeat_name(q), "log", source=self.source, metrics={"queue_length": n})
            time.sleep(opts.canary_interval)

    def register_entry(self, name: str, entry: Any) -> None:
        try:
            reg = entry_registration(entry, self.app)
        except Exception as e:  # noqa: BLE001
            log.warning("django_health_exporter: beat entry %s: %s", name, e)
            return
        if reg is None:
            log.info("django_health_exporter: beat entry %s has a schedule cron cannot say; not watched", name)
            return
        tune = self.entry_options.get(name)
        if isinstance(tune, Mapping):
            for key in ("grace", "max_runtime", "failure_threshold"):
                if key in tune:
                    reg[key] = tune[key]
        self.opts.client.register(heartbeat_name(name), labels=dict(self.opts.labels, celery="entry"), **reg)


def entry_registration(entry: Any, app: Any) -> Optional[Dict[str, Any]]:
    """The registration of a beat entry: its interval, or its crontab as a
    cron line in its time zone; None for schedules cron cannot say."""
    from celery.schedules import crontab, schedule

    sched = entry.schedule
    if isinstance(sched, crontab):
        fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
        line = " ".join(str(getattr(sched, "_orig_" + f, "*")) for f in fields)
        # A crontab runs in the app's time zone, unless it carries its own
        # (django-celery-beat's entries do, as an attribute).
        tz = vars(sched).get("tz") or app.conf.timezone or getattr(sched, "tz", None) or "UTC"
        return {"schedule": line, "timezone": str(tz)}
    if isinstance(sched, schedule):
        # Beat runs it once per interval: a second run, or a second
        # sender, is a second beat.
        return {"interval": sched.run_every.total_seconds(), "exclusive": True}
    return None


def keep_marks_on_retry(headers: Dict[str, Any]) -> None:
    """A task that retries itself publishes its next attempt: keep its entry
    and source, so that the retry's end ends the run."""
    try:
        from celery import current_task
    except Exception:  # noqa: BLE001
        return
    task = current_task
    if task is None or getattr(task.request, "id", None) != headers.get("id"):
        return
    for key in (ENTRY, SOURCE):
        value = request_header(task, key)
        if value is not None and key not in headers:
            headers[key] = value


def queue_lengths(app: Any, names: Sequence[str]) -> Dict[str, int]:
    """Each queue's length through the broker, {name: messages}; a queue the
    broker does not know is left out. A passive declare counts a Redis list
    with the priority sub-queues Celery makes, and an AMQP queue's ready
    messages. Never raises."""
    out: Dict[str, int] = {}
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            for q in names:
                try:
                    # A channel per queue: an unknown queue closes the AMQP
                    # channel that asked.
                    with conn.channel() as channel:
                        out[q] = int(channel.queue_declare(queue=q, passive=True).message_count)
                except Exception as e:  # noqa: BLE001
                    if getattr(conn.transport, "driver_type", "") == "redis":
                        out[q] = 0  # Redis deletes an empty list: not found is empty
                    else:
                        log.info("django_health_exporter: length of queue %s: %s", q, e)
    except Exception as e:  # noqa: BLE001
        log.warning("django_health_exporter: measuring queue lengths: %s", e)
    return out
