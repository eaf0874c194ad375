"""Celery, created with the Flask app so every task runs inside the app context."""

from __future__ import annotations

import logging

from celery import Celery, Task
from celery.signals import after_setup_logger
from flask import Flask

# Publishing is the latency-critical path; e-mail and housekeeping must not queue ahead of it.
BEAT_SCHEDULE_DEFAULTS = {
    "publish:due": {"task": "editorial.tasks.sweep_due_stories"},
    "publish:upcoming": {"task": "editorial.tasks.queue_upcoming_stories", "schedule": 60.0},
    "mail:retry": {"task": "editorial.tasks.retry_pending_emails", "schedule": 60.0},
    "broker:tidy": {"task": "editorial.tasks.tidy_embedded_broker", "schedule": 3600.0},
}


def celery_init_app(app: Flask) -> Celery:
    """The Flask docs' pattern: a Celery app whose tasks push the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
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
