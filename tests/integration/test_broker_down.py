"""TRUST 4: Redis unreachable. The newsroom keeps working and never waits on the broker; the
schedule lives in the database, so a worker started later publishes on its first sweep."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, EmailState, Notification, Story
from editorial.services import notifications
from editorial.services.stories import StoryInput, create_story, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import format_local, utcnow, zone
from editorial.workflow import Action, StoryState
from tests.conftest import csrf_token, make_app
from tests.integration.conftest import CLOSED_REDIS, live_celery_config, rows, wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]

# "Without hanging more than about two seconds": one failed connection attempt at most.
PATIENCE = 2.0
PASSWORD = "correct horse battery staple"
T = TypeVar("T")


@pytest.fixture
def down_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on PostgreSQL with every Redis use (broker, page cache, login limits) pointed
    at a port where nothing listens, as when Redis is down."""
    app = make_app(
        tmp_path,
        "postgresql",
        request,
        CELERY=live_celery_config(CLOSED_REDIS),
        REDIS_URL=CLOSED_REDIS,
        RATELIMIT_STORAGE_URI=CLOSED_REDIS,
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def quickly(call: Callable[[], T], what: str) -> T:
    started = time.monotonic()
    result = call()
    took = time.monotonic() - started
    assert took < PATIENCE, f"{what} took {took:.1f} s with the broker down"
    return result


def post(client: FlaskClient, path: str, data: dict[str, Any], what: str, form_page: str):
    data = {**data, "csrf_token": csrf_token(client, form_page)}
    response = quickly(lambda: client.post(path, data=data), what)
    assert response.status_code == 302, (what, response.status_code, response.get_data()[:500])
    return response


def version_of(story_id: int) -> int:
    return rows(select(Story.version).where(Story.id == story_id))[0][0]


def test_services_work_and_the_sweep_catches_up(down_app, make, celery_procs):
    """Save, submit, approve, schedule through the services: fast, no error; then a worker
    with a reachable broker publishes the story on time."""
    desk = make.desk()
    reporter, editor = make.reporter(desk), make.editor(desk)
    data = StoryInput(headline="Budget passed", body="The budget passed.", desk_id=desk.id)
    story = quickly(lambda: create_story(data, actor=reporter), "create")
    data.body += " By a wide margin."
    quickly(lambda: save_story(story, data, actor=reporter, expected_version=story.version), "save")
    quickly(lambda: transition_story(story, Action.SUBMIT, actor=reporter), "submit")
    quickly(lambda: transition_story(story, Action.APPROVE, actor=editor), "approve")
    at = utcnow() + timedelta(seconds=4)
    quickly(
        lambda: transition_story(story, Action.SCHEDULE, actor=editor, publish_at=at), "schedule"
    )

    assert rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.SCHEDULED
    # The e-mails that could not be queued wait in the database for the retry job.
    pending = rows(select(Notification.id).where(Notification.email_state == EmailState.PENDING))
    assert pending
    assert {r.id for r in pending} <= set(notifications.pending_email_ids(timedelta(0)))

    celery_procs.worker(beat=True)  # the broker is back (Redis db 5)
    started = utcnow()
    wait_until(
        lambda: rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.PUBLISHED,
        15,
        "the sweep to publish",
    )
    published_at = rows(select(Story.published_at).where(Story.id == story.id))[0][0]
    assert (published_at - max(at, started)).total_seconds() <= 2.0
    events = rows(
        select(AuditEvent.data).where(
            AuditEvent.story_id == story.id, AuditEvent.action == "story.published.scheduled"
        )
    )
    assert len(events) == 1 and events[0].data["late_seconds"] >= 0


def test_web_newsroom_works_with_redis_down(down_app, make, celery_procs):
    """Sign in, save, submit, approve and schedule through the web client: no 500, no wait."""
    desk = make.desk()
    reporter = make.reporter(desk, password=PASSWORD)
    editor = make.editor(desk, password=PASSWORD)
    writer, chief = down_app.test_client(), down_app.test_client()
    for client, person in ((writer, reporter), (chief, editor)):
        post(client, "/login", {"email": person.email, "password": PASSWORD}, "sign in", "/login")

    new = "/newsroom/stories/new"
    fields = {"headline": "Floods in Sylhet", "body": "Rivers rose.", "desk": str(desk.id)}
    response = post(writer, new, fields, "save a new draft", new)
    story_id = int(re.search(r"/stories/(\d+)", response.headers["Location"]).group(1))
    edit = f"/newsroom/stories/{story_id}/edit"
    fields |= {"body": "Rivers rose overnight.", "version": str(version_of(story_id))}
    post(writer, edit, fields | {"action": "submit"}, "save and submit", edit)

    page = f"/newsroom/stories/{story_id}"
    actions = f"{page}/actions"
    post(chief, f"{actions}/approve", {"version": version_of(story_id)}, "approve", page)
    at = utcnow() + timedelta(seconds=4)
    local = format_local(at, zone(down_app.config["EDITORIAL_TIMEZONE"]), "%Y-%m-%d %H:%M:%S")
    post(
        chief,
        f"{actions}/schedule",
        {"version": version_of(story_id), "publish_at": local},
        "schedule",
        page,
    )
    assert quickly(lambda: chief.get(page), "the story page").status_code == 200
    health = quickly(lambda: chief.get("/healthz"), "/healthz")
    assert health.status_code == 503 and health.get_json()["broker"].startswith("error")

    story = rows(select(Story.state, Story.body, Story.publish_at).where(Story.id == story_id))[0]
    assert (story.state, story.body) == (StoryState.SCHEDULED, "Rivers rose overnight.")
    celery_procs.worker(beat=True)
    started = utcnow()
    wait_until(
        lambda: rows(select(Story.state).where(Story.id == story_id))[0][0] == StoryState.PUBLISHED,
        15,
        "the sweep to publish",
    )
    published_at = rows(select(Story.published_at).where(Story.id == story_id))[0][0]
    assert (published_at - max(story.publish_at, started)).total_seconds() <= 2.0


def test_a_failed_sign_in_with_redis_down_is_answered(down_app, make):
    """The failure counts cannot be kept while Redis is away: the sign-in is still answered
    (no 500), and the right password still works."""
    person = make.reporter(password=PASSWORD)
    client = down_app.test_client()
    data = {"email": person.email, "password": "wrong", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)
    post(client, "/login", {"email": person.email, "password": PASSWORD}, "sign in", "/login")
