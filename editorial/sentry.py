"""Error reporting to Sentry when SENTRY_DSN is set; nothing at all when it is not.

The Flask integration reports unhandled errors of requests, the Celery one those of tasks and
(monitor_beat_tasks) a cron check-in for every beat entry, so a stopped scheduler is reported
as missed check-ins. No personal data is sent (send_default_pii is False: no cookies, no user,
no client address), Sentry's scrubber removes secret-looking keys everywhere in the event, and
passwords inside URLs (a DATABASE_URL in an error message) are cut out of every string.
"""

from __future__ import annotations

import os
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


def init_app(app: Flask) -> bool:
    """Start reporting if SENTRY_DSN is configured; True if it was."""
    dsn = app.config.setdefault("SENTRY_DSN", os.environ.get("SENTRY_DSN") or None)
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["EDITORIAL_ENV"],
        integrations=[FlaskIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        # send_default_pii stays at its default, False: sentry-sdk 2.75 deprecates passing it,
        # and its replacement (data_collection) would switch the scrubber below off.
        event_scrubber=EventScrubber(denylist=DENYLIST, recursive=True),
        before_send=before_send,  # type: ignore[arg-type]
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
    return True
