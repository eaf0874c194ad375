"""Fixtures: an app on SQLite (default) or PostgreSQL, staff and story factories, sign-in."""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from editorial import create_app, jobs
from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.services import publishing, unpublishing
from editorial.services.staff import start_session
from editorial.services.stories import StoryInput, create_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, Role, StoryState
from tests.dbfaults import Refusal

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# One database per test run, so parallel runs (and CI) never trample each other.
PG_TEST_DB = f"editorial_test_{os.getpid()}"


def need_service(name: str, url: str) -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) when a service does not answer."""
    parsed = urlparse(url.replace("+psycopg", ""))
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=2).close()
    except OSError as error:
        message = f"{name} at {parsed.hostname}:{parsed.port} is not reachable ({error})"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and REQUIRE_SERVICES=1")
        pytest.skip(message)


def base_config(tmp: Path, database_url: str, **extra: object) -> dict:
    return {
        "EDITORIAL_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "INSTANCE_PATH": str(tmp),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX": str(tmp / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "CELERY": {
            "broker_url": "memory://",
            "task_always_eager": True,
            "task_eager_propagates": True,
            "task_ignore_result": True,
        },
        **extra,
    }


def migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database made once; each test gets a copy (fast and isolated)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    app = create_app(base_config(folder, f"sqlite:///{path}"))
    migrate(app)
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    need_service("PostgreSQL", PG_URL)
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{PG_TEST_DB}"'))
    admin.dispose()
    url = sa.engine.make_url(PG_URL).set(database=PG_TEST_DB).render_as_string(hide_password=False)
    app = create_app(base_config(Path(os.environ.get("TMPDIR", "/tmp")), url))
    migrate(app)
    with app.app_context():
        db.engine.dispose()
    yield url
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _fresh_module_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the app keeps per process starts clean in every test, whatever ran before: tests
    run in random order (pytest-randomly), so none may lean on another's leftovers.

    - the "broker down" pause: after a failed enqueue, jobs.enqueue() skips the broker for
      BROKER_PAUSE_SECONDS, which would silently drop the next test's queued jobs;
    - the wake-ups publishing (and unpublishing) queued lately per instant: a second test
      scheduling for the same instant would find it already queued and queue nothing.
    The query builders cached with functools.cache hold no data, so they stay.
    """
    monkeypatch.setattr(jobs, "_broker_down_until", 0.0)
    monkeypatch.setattr(publishing, "_wake_ups", publishing.WakeUps())
    monkeypatch.setattr(unpublishing, "_wake_ups", publishing.WakeUps())


def _truncate_pg(app: Flask) -> None:
    with app.app_context():
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    Flask reuses an already-pushed app context for a request, which would leak `g` (and
    Flask-Login's cached user) and the database session from one request to the next.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect followed inside an isolated request
            return super().open(*args, **kwargs)
        # End the test's own transaction first: on SQLite every transaction holds the write lock.
        db.session.rollback()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test's own session sees what the request committed
        return response


def make_app(tmp_path: Path, backend: str, request: pytest.FixtureRequest, **extra) -> Flask:
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
        app = create_app(base_config(tmp_path, url, **extra))
        _truncate_pg(app)
    else:
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "editorial.sqlite3"
        shutil.copy(template, path)
        app = create_app(base_config(tmp_path, f"sqlite:///{path}", **extra))
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on SQLite, inside an app context."""
    app = make_app(tmp_path, "sqlite", request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on PostgreSQL (the services tier), inside an app context."""
    app = make_app(tmp_path, "postgresql", request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def any_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on each database in turn: for behaviour that must match on both."""
    app = make_app(tmp_path, request.param, request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


APP_FIXTURES = ("live_app", "pg_app", "any_app", "app")


@pytest.fixture
def refuse(request: pytest.FixtureRequest) -> Iterator[Callable[..., Refusal]]:
    """Install real database failures (see tests/dbfaults.py) in the test's app; all removed
    afterwards, before the app's context ends."""
    app_fixture = next((n for n in APP_FIXTURES if n in request.fixturenames), "app")
    request.getfixturevalue(app_fixture)
    installed: list[Refusal] = []

    def install(table: str, event: str, condition: str, **options: Any) -> Refusal:
        refusal = Refusal(table, event, condition, **options)
        refusal.install(db.session)
        installed.append(refusal)
        return refusal

    yield install
    for refusal in reversed(installed):
        refusal.remove(db.session)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class Factory:
    """Makes desks, staff and stories in any state, through the real services."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def desk(self, name: str | None = None) -> Desk:
        from editorial.services.desks import create_desk

        return create_desk(name or f"Desk {self._next()}", actor=None)

    def person(
        self,
        *roles: Role,
        desks: list[Desk] | None = None,
        name: str | None = None,
        password: str | None = None,
        email: str | None = None,
    ) -> Person:
        from editorial.services.staff import create_person

        n = self._next()
        return create_person(
            email=email or f"person{n}@example.test",
            name=name or f"Person {n}",
            roles=set(roles) or {Role.REPORTER},
            desk_ids=[d.id for d in desks or []],
            password=password,
        )

    def reporter(self, *desks: Desk, **kw) -> Person:
        return self.person(Role.REPORTER, desks=list(desks), **kw)

    def editor(self, *desks: Desk, **kw) -> Person:
        return self.person(Role.DESK_EDITOR, Role.REPORTER, desks=list(desks), **kw)

    def admin(self, **kw) -> Person:
        return self.person(Role.ADMIN, **kw)

    def story(
        self,
        author: Person,
        desk: Desk,
        state: StoryState = StoryState.DRAFT,
        *,
        editor: Person | None = None,
        headline: str | None = None,
        body: str = "The body of the story.",
        **fields,
    ) -> Story:
        """A story driven to `state` through the workflow (editor needed past submitted)."""
        story = create_story(
            StoryInput(
                headline=headline or f"Headline {self._next()}",
                body=body,
                desk_id=desk.id,
                **fields,
            ),
            actor=author,
        )
        path = {
            StoryState.DRAFT: [],
            StoryState.SUBMITTED: [Action.SUBMIT],
            StoryState.CHANGES_REQUESTED: [Action.SUBMIT, Action.REQUEST_CHANGES],
            StoryState.APPROVED: [Action.SUBMIT, Action.APPROVE],
            StoryState.SCHEDULED: [Action.SUBMIT, Action.APPROVE, Action.SCHEDULE],
            StoryState.PUBLISHED: [Action.SUBMIT, Action.APPROVE, Action.PUBLISH],
            StoryState.WITHDRAWN: [Action.SUBMIT, Action.APPROVE, Action.PUBLISH, Action.WITHDRAW],
            StoryState.SPIKED: [Action.SPIKE],
        }[state]
        from datetime import timedelta

        for action in path:
            actor = author if action is Action.SUBMIT else editor
            assert actor is not None, f"an editor is needed to reach {state}"
            transition_story(
                story, action, actor=actor, note="a note", publish_at=utcnow() + timedelta(hours=1)
            )
        return story


@pytest.fixture
def make() -> Factory:
    return Factory()


def login(client: FlaskClient, person: Person) -> str:
    """Sign `person` in on this test client without the cost of a password check."""
    token = start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return token


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """A valid CSRF token for this client's session, read from a rendered form."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)
