"""/healthz: JSON naming each part; 200 when the database and broker answer, 503 otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from editorial.extensions import db
from editorial.models import Heartbeat
from editorial.services import publishing
from editorial.timeutil import utcnow
from tests.conftest import make_app

CLOSED_REDIS = "redis://127.0.0.1:6399/5"  # nothing listens there


def health(app: Flask) -> tuple[int, dict]:
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    assert time.monotonic() - started < 2.5, "a health probe must answer quickly"
    return response.status_code, response.get_json()


def test_healthy_with_no_sweep_yet(app: Flask) -> None:
    status, report = health(app)
    assert status == 200
    assert report["status"] == report["database"] == report["broker"] == "ok"
    assert report["sweep"] == "never" and report["last_sweep_age_seconds"] is None


def test_reports_the_age_of_the_last_sweep(app: Flask) -> None:
    publishing.sweep()
    status, report = health(app)
    assert status == 200 and report["sweep"] == "ok"
    assert 0 <= report["last_sweep_age_seconds"] < 5


def test_a_sweep_a_few_runs_behind_on_a_busy_machine_is_not_late(app: Flask) -> None:
    """Half-second sweeps: five missed runs are 2.5 s, a hiccup of a loaded machine."""
    app.config["PUBLISH_SWEEP_SECONDS"] = 0.5
    db.session.add(Heartbeat(name=publishing.SWEEP_HEARTBEAT, at=utcnow() - timedelta(seconds=4)))
    db.session.commit()
    status, report = health(app)
    assert status == 200 and report["sweep"] == "ok"


def test_a_late_sweep_is_reported_without_failing_the_probe(app: Flask) -> None:
    """The web process answers for itself; a stopped scheduler shows as `sweep: late`."""
    db.session.add(Heartbeat(name=publishing.SWEEP_HEARTBEAT, at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    status, report = health(app)
    assert status == 200 and report["sweep"] == "late"
    assert report["last_sweep_age_seconds"] >= 3600


@contextmanager
def _app(tmp_path: Path, request: pytest.FixtureRequest, **config) -> Iterator[Flask]:
    app = make_app(tmp_path, "sqlite", request, **config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_broker_down_is_503_naming_the_broker(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    config = {"broker_url": CLOSED_REDIS, "task_ignore_result": True}
    with _app(tmp_path, request, CELERY=config) as app:
        status, report = health(app)
    assert status == 503
    assert report["status"] == "error" and report["database"] == "ok"
    assert report["broker"].startswith("error")


def test_database_down_is_503_naming_the_database(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    nowhere = "postgresql+psycopg://nobody@127.0.0.1:6398/x"
    with _app(tmp_path, request, SQLALCHEMY_DATABASE_URI=nowhere) as app:
        status, report = health(app)
    assert status == 503
    assert report["database"].startswith("error") and report["broker"] == "ok"


def test_the_embedded_broker_counts_as_a_broker(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`make run`'s broker: kombu's SQLAlchemy transport in a SQLite file of the instance."""
    broker = f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"
    with _app(tmp_path, request, CELERY={"broker_url": broker, "task_ignore_result": True}) as app:
        status, report = health(app)
    assert status == 200 and report["broker"] == "ok"
