"""Error reporting to Sentry when SENTRY_DSN is set; nothing at all when it is not.

The Flask integration reports unhandled errors of requests, the Celery one those of tasks and
(monitor_beat_tasks) a cron check-in for every beat entry of whole minutes, so a stopped
scheduler is reported as missed check-ins. No personal data is sent (send_default_pii is
False: no cookies, no user, no client address), Sentry's scrubber removes secret-looking keys
everywhere in the event, and passwords inside URLs (a DATABASE_URL in an error message) are
cut out of every string.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any, cast

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from editorial.logs import REDACTED, URL_PASSWORD

# Our own configuration names that hold secrets, beyond Sentry's list.
DENYLIST = [*DEFAULT_DENYLIST, "secret_key", "mail_password", "dsn", "database_url", "redis_url"]


def _scrub_urls(value: Any) -> Any:
    if isinstance(value, str):
        return URL_PASSWORD.sub(r"\1" + REDACTED + "@", value)
    if isinstance(value, dict):
        return {key: _scrub_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_urls(item) for item in value]
    return value


def before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """The last look at an event before it leaves: no password of any URL in it."""
    return cast(dict[str, Any], _scrub_urls(event))


def _whole_minutes(every: Any) -> bool:
    seconds = every.total_seconds() if isinstance(every, timedelta) else every
    if not isinstance(seconds, int | float):
        return True  # a crontab: Sentry takes those as they are
    return seconds >= 60 and seconds % 60 == 0


def unmonitored_beat_entries(app: Flask) -> list[str]:
    """Sentry Crons takes whole-minute intervals only (it warns on every tick otherwise):
    the 2-second publish sweep is watched by editorial_publish_sweep_age_seconds instead."""
    schedule = app.extensions["celery"].conf.beat_schedule or {}
    return [
        f"^{re.escape(name)}$"
        for name, entry in schedule.items()
        if not _whole_minutes(entry.get("schedule"))
    ]


def _monitor_quiet_scheduler() -> None:
    """Sentry adds its check-ins by wrapping celery.beat.Scheduler.apply_entry, which our
    QuietScheduler overrides (to log a lost broker once): wrap ours the same way."""
    from sentry_sdk.integrations.celery.beat import _wrap_beat_scheduler

    from editorial.celery_app import QuietScheduler

    QuietScheduler.apply_entry = _wrap_beat_scheduler(QuietScheduler.apply_entry)  # type: ignore[method-assign]


def init_app(app: Flask) -> bool:
    """Start reporting if SENTRY_DSN is configured; True if it was."""
    dsn = app.config.setdefault("SENTRY_DSN", os.environ.get("SENTRY_DSN") or None)
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["EDITORIAL_ENV"],
        integrations=[
            FlaskIntegration(),
            CeleryIntegration(
                monitor_beat_tasks=True, exclude_beat_tasks=unmonitored_beat_entries(app)
            ),
        ],
        # send_default_pii stays at its default, False: sentry-sdk 2.75 deprecates passing it,
        # and its replacement (data_collection) would switch the scrubber below off.
        event_scrubber=EventScrubber(denylist=DENYLIST, recursive=True),
        before_send=before_send,  # type: ignore[arg-type]
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
    _monitor_quiet_scheduler()
    return True
