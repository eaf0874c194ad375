"""/readyz: may a load balancer send traffic here? The database at the code's migration head
and the broker reachable; 503 naming the failing part otherwise. /healthz stays liveness."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from editorial.extensions import db, limiter
from editorial.health import _broker_ok

bp = Blueprint("readiness", __name__)


def code_heads() -> set[str]:
    """The migration heads this code expects (read from the migrations folder)."""
    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


def _database_state() -> str:
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as error:
        db.session.rollback()
        return f"error: {type(error).__name__}"
    db.session.rollback()
    heads = code_heads()
    if current != heads:
        return f"error: migrated to {sorted(current) or 'nothing'}, code needs {sorted(heads)}"
    return "ok"


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when migrated to head and the broker answers; 503 with the failing part."""
    report = {"database": _database_state(), "broker": _broker_ok()}
    ready = all(value == "ok" for value in report.values())
    return jsonify({"status": "ok" if ready else "error", **report}), 200 if ready else 503
