"""Celery, created with the Flask app so every task runs inside the app context."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.signals import after_setup_logger
from celery.worker.consumer import Consumer
from flask import Flask
from kombu import Connection, Producer
from kombu.exceptions import OperationalError as KombuOperationalError

log = logging.getLogger(__name__)

# Gossip, mingle and the event heartbeat talk to the other workers over the broker; on a broker
# restart they failed with "AttributeError: 'NoneType' object has no attribute 'hostname'" and
# the worker exited. We use none of them (the database holds the schedule), so they are off
# here, whatever the command line says.
PEER_STEPS_OFF = {"without_gossip": True, "without_mingle": True, "without_heartbeat": True}
# kombu retries a lost broker after 2 s, 4 s, 6 s ...: a 2-second outage cost 4-6 s of
# lateness. Connecting to a refused port is cheap, so retry every half second.
RECONNECT = {"interval_start": 0.25, "interval_step": 0.25, "interval_max": 0.5}

# Publishing is the latency-critical path; e-mail and housekeeping must not queue ahead of it.
BEAT_SCHEDULE_DEFAULTS: dict[str, dict[str, str | float]] = {
    "publish:due": {"task": "editorial.tasks.sweep_due_stories"},
    "publish:upcoming": {"task": "editorial.tasks.queue_upcoming_stories", "schedule": 60.0},
    "mail:retry": {"task": "editorial.tasks.retry_pending_emails", "schedule": 60.0},
    "broker:tidy": {"task": "editorial.tasks.tidy_embedded_broker", "schedule": 3600.0},
    "retention:prune": {"task": "editorial.tasks.prune_old_rows", "schedule": 3600.0},
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
    config.setdefault("worker_consumer", "editorial.celery_app:BrokerTolerantConsumer")
    config.setdefault("beat_scheduler", "editorial.celery_app:QuietScheduler")
    schedule = {name: dict(entry) for name, entry in BEAT_SCHEDULE_DEFAULTS.items()}
    schedule["publish:due"]["schedule"] = float(app.config["PUBLISH_SWEEP_SECONDS"])
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
        return super().ensure_connected(conn)


class QuietScheduler(PersistentScheduler):
    """Beat that says once that the broker is away, and once that it is back.

    Celery's scheduler logs a traceback for every entry it cannot send: with the sweep every
    2 s, an outage filled the log. Each tick also touches `beat_health_file` (if set), which
    the container health check reads.
    """

    _broker_lost_at: float | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if health := self.app.conf.get("beat_health_file"):
            Path(health).touch()
        try:
            self.producer  # noqa: B018  (connect before an entry is taken off the heap)
        except (OSError, KombuOperationalError) as error:
            self._broker_lost(error)
            return RECONNECT["interval_max"]
        return super().tick(*args, **kwargs)

    def _ensure_connected(self) -> Connection:
        """One attempt, no back-off: tick() retries every half second without blocking."""
        return self.connection.ensure_connection(max_retries=0)

    def _broker_lost(self, error: BaseException) -> None:
        if self._broker_lost_at is None:
            self._broker_lost_at = time.monotonic()
            log.warning("beat: cannot reach the broker (%s); retrying quietly", error)

    def apply_entry(self, entry: ScheduleEntry, producer: Producer | None = None) -> None:
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as error:
            self._broker_lost(error)
            return
        if self._broker_lost_at is not None:
            away = time.monotonic() - self._broker_lost_at
            self._broker_lost_at = None
            log.warning("beat: the broker is back after %.1f s", away)
