"""Celery, created with the Flask app so every task runs inside the app context."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.beat import PersistentScheduler, ScheduleEntry, SchedulingError
from celery.signals import after_setup_logger
from celery.worker.consumer import Consumer
from flask import Flask
from kombu import Connection, Producer, Queue
from kombu.exceptions import OperationalError as KombuOperationalError

from editorial.jobs import Job

log = logging.getLogger(__name__)

# Gossip, mingle and the event heartbeat talk to the other workers over the broker; on a broker
# restart they failed with "AttributeError: 'NoneType' object has no attribute 'hostname'" and
# the worker exited. We use none of them (the database holds the schedule), so they are off
# here, whatever the command line says.
PEER_STEPS_OFF = {"without_gossip": True, "without_mingle": True, "without_heartbeat": True}
# kombu retries a lost broker after 2 s, 4 s, 6 s ...: a 2-second outage cost 4-6 s of
# lateness. Connecting to a refused port is cheap, so retry four times a second.
RECONNECT = {"interval_start": 0.1, "interval_step": 0.1, "interval_max": 0.25}

# Publishing is the latency-critical path: its tasks have a queue of their own, consumed by
# workers of their own (`-Q publishing`), so a slow SMTP server or a backlog of e-mail can
# never hold a due story back. E-mail has its queue too; anything else (housekeeping) goes to
# Celery's default queue. A worker started without -Q consumes all three.
PUBLISHING_QUEUE, MAIL_QUEUE, DEFAULT_QUEUE = "publishing", "mail", "celery"
# Each with its own routing key: queues bound by one key to the default exchange would each
# get a copy of every message.
TASK_QUEUES = tuple(
    Queue(name, routing_key=name) for name in (PUBLISHING_QUEUE, MAIL_QUEUE, DEFAULT_QUEUE)
)
# By task name (tasks may be sent by name, without importing them). Patterns, so that a new
# publish/unpublish/republish or e-mail task lands in its family's queue; the first match wins.
TASK_ROUTES = {
    # Renditions are slow CPU work: on the default queue, never in front of a due story.
    Job.MAKE_RENDITIONS.value: {"queue": DEFAULT_QUEUE},
    Job.REQUEUE_RENDITIONS.value: {"queue": DEFAULT_QUEUE},
    Job.REMOVE_RENDITIONS.value: {"queue": DEFAULT_QUEUE},
    # A published story's photo is a broken image until its public copy exists (S3): a few
    # server-side copies, so with publishing, not behind a backlog of renditions.
    Job.SYNC_PUBLIC_MEDIA.value: {"queue": PUBLISHING_QUEUE},
    Job.SWEEP_PUBLIC_MEDIA.value: {"queue": PUBLISHING_QUEUE},
    "editorial.tasks.*email*": {"queue": MAIL_QUEUE},
    "editorial.tasks.*publish*": {"queue": PUBLISHING_QUEUE},
    "editorial.tasks.*_stories": {"queue": PUBLISHING_QUEUE},  # the sweep, the upcoming step
}

BEAT_SCHEDULE_DEFAULTS: dict[str, dict[str, str | float]] = {
    "publish:due": {"task": Job.SWEEP_DUE},
    "publish:upcoming": {"task": Job.QUEUE_UPCOMING, "schedule": 60.0},
    "unpublish:due": {"task": Job.SWEEP_UNPUBLISH_DUE},
    "unpublish:upcoming": {"task": Job.QUEUE_UPCOMING_UNPUBLISHES, "schedule": 60.0},
    "updates:due": {"task": Job.SWEEP_UPDATES_DUE},
    "updates:upcoming": {"task": Job.QUEUE_UPCOMING_UPDATES, "schedule": 60.0},
    "mail:retry": {"task": Job.RETRY_PENDING_EMAILS},
    "mail:digests": {"task": Job.QUEUE_DIGEST_EMAILS},
    "broker:tidy": {"task": Job.TIDY_EMBEDDED_BROKER, "schedule": 3600.0},
    "retention:prune": {"task": Job.PRUNE_OLD_ROWS, "schedule": 3600.0},
    "photos:renditions": {"task": Job.REQUEUE_RENDITIONS},
    "media:public": {"task": Job.SWEEP_PUBLIC_MEDIA},  # S3 only; a no-op on local files
}


def celery_init_app(app: Flask) -> Celery:
    """The Flask docs' pattern: a Celery app whose tasks push the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app: Celery = Celery(app.name, task_cls=FlaskTask)
    config = dict(app.config["CELERY"])
    broker = config["broker_url"]
    if broker.startswith("redis"):
        # Longer than any ETA we queue (ETA_HORIZON), so Redis never redelivers a waiting task;
        # short socket timeouts and no reconnect loop (kombu's default retries for about 6 s,
        # even with apply_async(retry=False)) so a request never hangs on a dead broker. The
        # worker's own reconnects follow broker_connection_max_retries instead.
        config.setdefault(
            "broker_transport_options",
            {
                "visibility_timeout": 2 * 3600,
                "socket_timeout": 2,
                "socket_connect_timeout": 2,
                "max_retries": 0,
            },
        )
        if prefix := app.config.get("BROKER_KEY_PREFIX"):
            options = config["broker_transport_options"]
            config["broker_transport_options"] = {"global_keyprefix": prefix, **options}
    config.setdefault("task_queues", TASK_QUEUES)
    config.setdefault("task_default_queue", DEFAULT_QUEUE)
    config.setdefault("task_routes", TASK_ROUTES)
    config.setdefault("worker_consumer", "editorial.celery_app:BrokerTolerantConsumer")
    config.setdefault("beat_scheduler", "editorial.celery_app:QuietScheduler")
    schedule = {name: dict(entry) for name, entry in BEAT_SCHEDULE_DEFAULTS.items()}
    schedule["publish:due"]["schedule"] = float(app.config["PUBLISH_SWEEP_SECONDS"])
    schedule["unpublish:due"]["schedule"] = float(app.config["PUBLISH_SWEEP_SECONDS"])
    schedule["updates:due"]["schedule"] = float(app.config["PUBLISH_SWEEP_SECONDS"])
    # Twice per lease: a mail left "sending" by a dead worker waits at most half a lease more.
    lease = float(app.config["MAIL_SENDING_LEASE_SECONDS"])
    schedule["mail:retry"]["schedule"] = min(60.0, lease / 2)
    # Often enough that a lost rendition job waits at most about one grace period more.
    grace = float(app.config["PHOTO_RENDITIONS_GRACE_SECONDS"])
    schedule["photos:renditions"]["schedule"] = max(1.0, min(60.0, grace))
    schedule["media:public"]["schedule"] = float(app.config["MEDIA_PUBLIC_SWEEP_SECONDS"])
    schedule["mail:digests"]["schedule"] = float(app.config["DIGEST_SWEEP_SECONDS"])
    config.setdefault("beat_schedule", schedule)
    celery_app.config_from_object(config)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


@after_setup_logger.connect
def _quiet_routine_task_logs(**_kwargs: object) -> None:
    """The sweep runs every few seconds: log what it does (editorial.*), not each delivery."""
    for name in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(name).setLevel(logging.WARNING)


class BrokerTolerantConsumer(Consumer):
    """The worker's consumer without the peer steps, reconnecting quickly to a lost broker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["worker_options"] = {**(kwargs.get("worker_options") or {}), **PEER_STEPS_OFF}
        super().__init__(*args, **kwargs)

    def ensure_connected(self, conn: Connection) -> Connection:
        # Patched on this connection only: kombu has no setting for the back-off. (celery-types
        # declares the intervals int; kombu sleeps on them, so fractions of a second work.)
        conn.ensure_connection = functools.partial(  # type: ignore[method-assign]
            conn.ensure_connection,
            **RECONNECT,  # type: ignore[arg-type]
        )
        conn.close = conn.release = functools.partial(  # type: ignore[method-assign]
            _close_lost_connection, conn.close
        )
        return super().ensure_connected(conn)


def _close_lost_connection(close: Callable[[], None]) -> None:
    """Close a connection the broker dropped, even while the worker holds unacked messages.

    On a lost connection Celery collects it (dropping the transport) and then closes it; the
    close restores the unacked messages (ETA tasks, acks_late tasks in progress) through the
    dropped transport and fails with "AttributeError: 'NoneType' object has no attribute
    'hostname'", which stopped the worker ("Unrecoverable error"). Nothing is lost by
    skipping that restore: on Redis the messages wait in its unacked hash for the visibility
    timeout, and the database (the publish sweep, the mail retry job) is the truth anyway.
    """
    try:
        close()
    except AttributeError as error:
        log.warning("closing the lost broker connection: %s; unacked messages left", error)


class QuietScheduler(PersistentScheduler):
    """Beat that says once that the broker is away, and once that it is back, and sends what
    it could not send (the publish sweep) the moment the broker answers again.

    Celery's scheduler logs a traceback for every entry it cannot send: with the sweep every
    2 s, an outage filled the log. It also moved a failed entry on to its next run, so a sweep
    due during an outage went out up to one sweep interval after the broker was back (2 s
    measured); here the failed entries are retried every RECONNECT["interval_max"]. Each tick
    also touches `beat_health_file` (if set), which the container health check reads.
    """

    _broker_lost_at: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._unsent: dict[str | None, ScheduleEntry] = {}
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if health := self.app.conf.get("beat_health_file"):
            Path(health).touch()
        try:
            self.producer  # noqa: B018  (connect before an entry is taken off the heap)
            self._send_unsent()
        except (OSError, KombuOperationalError, SchedulingError) as error:
            self._broker_lost(error)
            return RECONNECT["interval_max"]
        return super().tick(*args, **kwargs)

    def _send_unsent(self) -> None:
        for name, entry in list(self._unsent.items()):
            self.apply_async(entry, producer=self.producer, advance=False)
            del self._unsent[name]
        self._broker_back()

    def _ensure_connected(self) -> Connection:
        """One attempt, no back-off: tick() retries quickly without blocking."""
        return self.connection.ensure_connection(max_retries=0)

    def _broker_lost(self, error: BaseException) -> None:
        if self._broker_lost_at is None:
            self._broker_lost_at = time.monotonic()
            log.warning("beat: cannot reach the broker (%s); retrying quietly", error)

    def _broker_back(self) -> None:
        if self._broker_lost_at is not None:
            away = time.monotonic() - self._broker_lost_at
            self._broker_lost_at = None
            log.warning("beat: the broker is back after %.1f s", away)

    def apply_entry(self, entry: ScheduleEntry, producer: Producer | None = None) -> None:
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as error:
            self._broker_lost(error)
            self._unsent[entry.name] = entry
            return
        self._broker_back()
