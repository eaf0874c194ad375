"""/readyz: ready only when the database is migrated to the code's head and the broker answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from editorial.extensions import db
from tests.conftest import make_app
from tests.web.test_healthz import CLOSED_REDIS


def test_ready_when_migrated_and_the_broker_answers(any_app: Flask) -> None:
    response = any_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_a_database_behind_the_code_is_not_ready(any_app: Flask) -> None:
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    db.session.commit()
    try:
        response = any_app.test_client().get("/readyz")
    finally:  # the PostgreSQL test database is shared by the whole session
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()
    assert response.status_code == 503
    report = response.get_json()
    assert report["status"] == "error" and report["broker"] == "ok"
    assert "migrated to ['0004']" in report["database"]


def test_an_unreachable_broker_is_not_ready(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    config = {"broker_url": CLOSED_REDIS, "task_ignore_result": True}
    app = make_app(tmp_path, "sqlite", request, CELERY=config)
    with app.app_context():
        response = app.test_client().get("/readyz")
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] == "ok"
    assert response.get_json()["broker"].startswith("error")
