"""Sentry: an error in a view reaches the DSN's host as an envelope, without secrets; with no
SENTRY_DSN nothing is set up at all."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from celery.beat import ScheduleEntry
from flask import Flask
from sentry_sdk.integrations.celery import CeleryIntegration

from editorial import create_app, sentry
from editorial.celery_app import QuietScheduler
from editorial.extensions import db
from tests.conftest import base_config
from tests.web import sitekit

SECRET = "hunter2-not-for-sentry"
public_paths = sitekit.public_paths  # every public GET with its status


class Collector(BaseHTTPRequestHandler):
    """A stand-in for Sentry's ingest: keeps every envelope posted to it."""

    received: list[bytes]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # back to no client for the other tests


def reporting_app(
    app: Flask, tmp_path: Path, ingest: ThreadingHTTPServer, **config: object
) -> Flask:
    """A second app on the same database whose Sentry DSN points at `ingest`."""
    port = ingest.server_address[1]
    return create_app(
        base_config(
            tmp_path,
            app.config["SQLALCHEMY_DATABASE_URI"],
            SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42",
            **config,
        )
    )


def test_an_error_in_a_view_reaches_sentry_without_secrets(
    app: Flask, tmp_path: Path, ingest: ThreadingHTTPServer
) -> None:
    dsn_app = reporting_app(app, tmp_path, ingest, PROPAGATE_EXCEPTIONS=False)

    def explode() -> str:
        password = SECRET  # noqa: F841  (a local the SDK would show)
        raise RuntimeError(f"cannot reach postgresql://editorial:{SECRET}@db/editorial")

    dsn_app.add_url_rule("/_explode", "explode", explode)
    response = dsn_app.test_client().get(
        "/_explode", headers={"Authorization": f"Bearer {SECRET}", "Cookie": f"session={SECRET}"}
    )
    assert response.status_code == 500
    client = sentry_sdk.get_client()
    assert client.should_send_default_pii() is False
    assert client.get_integration(CeleryIntegration).monitor_beat_tasks  # beat check-ins
    assert sentry_sdk.flush(timeout=10) is None
    envelopes = [body for path, body in ingest.received if path == "/api/42/envelope/"]
    assert envelopes, ingest.received
    text = b"".join(envelopes).decode()
    assert "RuntimeError" in text and "/_explode" in text
    assert SECRET not in text


def test_every_public_page_answers_with_sentry_tracing_its_statements(
    any_app: Flask,
    public_paths: dict[str, tuple[str, int]],
    tmp_path: Path,
    ingest: ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sentry's SQLAlchemy integration (on by itself) keeps its span on each statement's
    execution context, and reader pages run their statements on the cursor (site.prepared):
    with Sentry on, no page fails for that, and their statements are spans of its traces."""
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "1")
    db.session.remove()  # the fixtures' transaction ends (on SQLite it holds the write lock)
    dsn_app = reporting_app(any_app, tmp_path, ingest)
    client, answers = dsn_app.test_client(), {}
    for name, (path, _status) in [*public_paths.items(), ("media", ("/media/none.webp", 404))]:
        with client.get(path) as response:
            answers[name] = response.status_code
    with dsn_app.app_context():
        db.engine.dispose()  # its connections close now, not whenever they are collected
    assert answers == {name: status for name, (_path, status) in public_paths.items()} | {
        "media": 404
    }
    assert sentry_sdk.flush(timeout=10) is None
    text = b"".join(body for _path, body in ingest.received).decode()
    assert '"op":"db"' in text.replace(" ", "") and "FROM stories" in text


def test_beat_entries_check_in_through_the_quiet_scheduler(
    app: Flask, tmp_path: Path, ingest: ThreadingHTTPServer
) -> None:
    dsn_app = reporting_app(app, tmp_path, ingest)
    celery_app = dsn_app.extensions["celery"]
    assert "^publish:due$" in sentry.unmonitored_beat_entries(dsn_app)  # every 2 s
    scheduler = QuietScheduler(app=celery_app, lazy=True)
    for name in ("publish:upcoming", "publish:due"):
        entry = ScheduleEntry(app=celery_app, name=name, **celery_app.conf.beat_schedule[name])
        scheduler.apply_entry(entry)
    assert sentry_sdk.flush(timeout=10) is None
    text = b"".join(body for _path, body in ingest.received).decode()
    assert '"type":"check_in"' in text.replace(" ", "")
    assert '"monitor_slug":"publish:upcoming"' in text.replace(" ", "")
    assert "publish:due" not in text  # under a minute: Sentry Crons cannot take it


def test_nothing_is_set_up_without_a_dsn(app: Flask) -> None:
    assert app.config["SENTRY_DSN"] is None
    assert sentry.init_app(app) is False
    assert not sentry_sdk.get_client().is_active()
