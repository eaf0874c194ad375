"""Loading is explicit: a relationship a query did not ask for raises instead of issuing a
query per row, and pages run the same number of SELECTs for 5 rows as for 50."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import InstrumentedAttribute

from editorial.extensions import db
from editorial.models import (
    AuditEvent,
    Comment,
    Correction,
    Desk,
    LoginSession,
    Notification,
    Person,
    Revision,
    StaffRole,
    Story,
)
from editorial.models.loading import load_missing
from editorial.services import staff as staff_service
from editorial.services.comments import add_comment
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput, save_story
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path

paper = sitekit.paper

# Every relationship raises unless the query asked for it (models/loading.py).
RAISING: list[InstrumentedAttribute[Any]] = [
    AuditEvent.actor,
    Comment.author,
    Correction.story,
    Desk.members,
    LoginSession.person,
    Notification.person,
    Person.desks,
    Person.role_rows,
    Revision.created_by,
    StaffRole.person,
    Story.authors,
    Story.corrections,
    Story.desk,
    Story.tags,
]


@contextmanager
def selects(app: Flask) -> Iterator[list[str]]:
    """Record every SELECT sent to the database while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def measure(app: Flask, client: FlaskClient, paths: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, path in paths.items():
        with selects(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(statements)
    return counts


def correct(story: Story, paper: Paper) -> None:
    """Attach a public correction to a published story (through the editor's save)."""
    load_missing(story, "tags")
    save_story(
        story,
        StoryInput(
            headline=story.headline,
            body=story.body + " Corrected.",
            desk_id=story.desk_id,
            tags=[t.name for t in story.tags],
        ),
        actor=paper.editor,
        expected_version=story.version,
        correction=CorrectionInput("An earlier version misspelt a name."),
    )


@pytest.mark.parametrize("relationship", RAISING, ids=str)
def test_a_relationship_not_asked_for_raises(
    client: FlaskClient, paper: Paper, relationship: InstrumentedAttribute[Any]
) -> None:
    story = paper.story(tags=["Election"])  # revisions, audit events, notifications
    correct(story, paper)
    add_comment(story, "Seen it, @shirin.sultana", actor=paper.editor)
    login(client, paper.reporter)
    db.session.expire_all()
    entity = relationship.class_
    row = db.session.scalars(select(entity).limit(1)).first()
    assert row is not None, f"no {entity.__name__} to try"
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        getattr(row, relationship.key)


def publish(paper: Paper, count: int) -> list[Story]:
    """Published stories with tags, each on the National desk."""
    return [
        paper.story(headline=f"Flood story {n}", tags=["Floods", f"Tag {n}"]) for n in range(count)
    ]


def public_pages(story: Story) -> dict[str, str]:
    return {
        "home": "/",
        "latest": "/latest",
        "section": "/national/",
        "tag": "/tag/floods",
        "search": "/search?q=flood",
        "article": article_path(story),
        "feed": "/feed.xml",
        "section feed": "/national/feed.xml",
        "sitemap": "/sitemaps/stories-1.xml",
        "news sitemap": "/news-sitemap.xml",
        "api list": "/api/stories",
        "api story": f"/api/stories/{story.id}",
    }


def test_public_pages_run_a_constant_number_of_selects(
    app: Flask, client: FlaskClient, paper: Paper
) -> None:
    app.config["PUBLIC_CACHE_ENABLED"] = False  # every request renders: the cold cost
    first = publish(paper, 5)[0]
    correct(first, paper)
    few = measure(app, client, public_pages(first))
    publish(paper, 45)
    many = measure(app, client, public_pages(first))
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    assert client.get("/latest").get_data(as_text=True).count("Flood story") >= 20


def staff(make: Factory, desk: Desk, count: int) -> None:
    for _ in range(count):
        make.reporter(desk)


def test_admin_lists_run_a_constant_number_of_selects(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    desk = make.desk("City")
    admin = make.admin()
    # Past a page of the audit log, so both counts list staff events only (each kind of
    # subject costs one query for its names, whatever the number of rows).
    staff(make, desk, 30)
    login(client, admin)
    paths = {
        "overview": "/admin/",
        "staff": "/admin/staff/",
        "staff of a desk": f"/admin/staff/?desk={desk.id}",
        "desk members": f"/admin/desks/{desk.id}",
        "audit log": "/admin/audit",
    }
    client.get("/admin/")  # warm up: first-request work is not per row
    few = measure(app, client, paths)
    staff(make, desk, 30)
    many = measure(app, client, paths)
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    html = client.get(f"/admin/desks/{desk.id}").get_data(as_text=True)
    assert html.count("/admin/staff/") >= 60  # every member is listed


def test_the_story_page_runs_a_constant_number_of_selects(
    app: Flask, client: FlaskClient, paper: Paper
) -> None:
    story = paper.story(tags=["Floods"])
    login(client, paper.editor)
    paths = {
        "story": f"/newsroom/stories/{story.id}",
        "preview": f"/newsroom/stories/{story.id}/preview",
        "history": f"/newsroom/stories/{story.id}/history",
        "editor": f"/newsroom/stories/{story.id}/edit",
    }
    client.get("/newsroom/")
    few = measure(app, client, paths)
    for n in range(10):
        add_comment(story, f"Comment {n}", actor=paper.editor)
        correct(story, paper)
    many = measure(app, client, paths)
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}


def test_newsroom_lists_run_a_constant_number_of_selects(
    app: Flask, client: FlaskClient, paper: Paper
) -> None:
    """The lists show each story's desk, authors and tags: loaded per page, never per row."""
    for state in (StoryState.SUBMITTED, StoryState.APPROVED, StoryState.SCHEDULED):
        paper.story(state, headline=f"Flood {state.value}", tags=["Floods"])
    login(client, paper.editor)
    paths = {
        "home": "/newsroom/",
        "queue": "/newsroom/queue",
        "budget": "/newsroom/budget",
        "calendar": "/newsroom/calendar",
        "search": "/newsroom/search?q=flood",
    }
    client.get("/newsroom/")
    few = measure(app, client, paths)
    for n in range(10):
        for state in (StoryState.SUBMITTED, StoryState.APPROVED, StoryState.SCHEDULED):
            paper.story(state, headline=f"Flood {state.value} {n}", tags=["Floods", f"Tag {n}"])
    many = measure(app, client, paths)
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    assert client.get("/newsroom/search?q=flood").get_data(as_text=True).count("Flood ") >= 25


def test_the_signed_in_person_is_read_in_one_select(app: Flask, paper: Paper) -> None:
    """Every request reads the session, the person, their roles and desks: one query."""
    token = staff_service.start_session(paper.editor)
    desk_ids = {paper.national.id, paper.sports.id}
    db.session.expunge_all()  # as a new request starts: nothing in the session yet
    with selects(app) as statements:
        person = staff_service.load_session(token)
    assert person is not None
    assert len(statements) == 1, statements
    assert all(table in statements[0] for table in ("login_sessions", "staff_roles", "desks"))
    with selects(app) as statements:
        assert person.actor.desk_ids == desk_ids
    assert statements == []
