"""/healthz: does the database answer, does the broker answer, when did the sweep last run."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from editorial.extensions import db, limiter
from editorial.models import Heartbeat
from editorial.services.publishing import SWEEP_HEARTBEAT
from editorial.timeutil import utcnow

bp = Blueprint("health", __name__)


# The sweep is overdue when it has missed this many of its runs (a stopped scheduler or worker),
# and at least this long: a busy machine may delay a half-second sweep by a second or two.
SWEEP_STALE_RUNS = 5
SWEEP_STALE_SECONDS = 10.0


def _broker_ok() -> str:
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as connection:
            # One attempt, no back-off sleeps: a probe must answer quickly either way.
            connection.ensure_connection(max_retries=0, timeout=2)
        return "ok"
    except Exception as error:
        return f"error: {type(error).__name__}"


def _sweep_report(report: dict[str, object]) -> None:
    """When the publish sweep last ran; informational (a web-only host has no scheduler)."""
    beat = db.session.get(Heartbeat, SWEEP_HEARTBEAT)
    if beat is None:
        report |= {"last_sweep_at": None, "last_sweep_age_seconds": None, "sweep": "never"}
        return
    age = (utcnow() - beat.at).total_seconds()
    every = float(current_app.config["PUBLISH_SWEEP_SECONDS"])
    stale = age > max(SWEEP_STALE_RUNS * every, SWEEP_STALE_SECONDS)
    report |= {
        "last_sweep_at": beat.at.isoformat(),
        "last_sweep_age_seconds": round(age, 1),
        "sweep": "late" if stale else "ok",
    }


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the database and the broker answer, 503 naming the failing part otherwise.

    The sweep's age is reported (and `sweep: late` when it missed several runs) without
    changing the status: the web process answers for itself, not for the scheduler.
    """
    report: dict[str, object] = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
        _sweep_report(report)
    except Exception as error:
        db.session.rollback()
        report["database"] = f"error: {type(error).__name__}"
    report["broker"] = _broker_ok()
    healthy = report["database"] == "ok" and report["broker"] == "ok"
    report["status"] = "ok" if healthy else "error"
    return jsonify(report), 200 if healthy else 503
