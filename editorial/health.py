"""/healthz: does the database answer, does the broker answer, when did the sweep last run."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from editorial.extensions import db, limiter
from editorial.models import Heartbeat
from editorial.services.publishing import SWEEP_HEARTBEAT
from editorial.timeutil import utcnow

bp = Blueprint("health", __name__)


def _broker_ok() -> str:
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:
        return f"error: {type(error).__name__}"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the database and the broker answer, 503 naming the failing part otherwise."""
    report: dict[str, object] = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
        beat = db.session.get(Heartbeat, SWEEP_HEARTBEAT)
        report["last_sweep_at"] = beat.at.isoformat() if beat else None
        report["last_sweep_age_seconds"] = (
            round((utcnow() - beat.at).total_seconds(), 1) if beat else None
        )
    except Exception as error:
        db.session.rollback()
        report["database"] = f"error: {type(error).__name__}"
    report["broker"] = _broker_ok()
    healthy = report["database"] == "ok" and report["broker"] == "ok"
    report["status"] = "ok" if healthy else "error"
    return jsonify(report), 200 if healthy else 503
