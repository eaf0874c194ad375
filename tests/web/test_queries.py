"""No N+1: every newsroom list runs the same number of SQL statements for 3 rows as for 30."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from editorial.extensions import db
from editorial.models import Person, Story
from editorial.services import commit
from editorial.services.comments import add_comment
from editorial.templating import newsroom_zone
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Record every statement sent to the database while the block runs."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Fill:
    """Adds rows to every list the editor sees: stories in each state, notifications,
    comments and revisions."""

    def __init__(self, make: Factory, nr: Newsroom, reporters: list[Person]) -> None:
        self.make, self.nr, self.reporters, self.n = make, nr, reporters, 0
        self.story: Story | None = None

    def add(self, count: int) -> None:
        nr, make = self.nr, self.make
        for _ in range(count):
            self.n += 1
            author = self.reporters[self.n % len(self.reporters)]
            # submitted: queue, budget, search, and a notification for the editor
            make.story(author, nr.desk, StoryState.SUBMITTED, headline=f"Queue story {self.n}")
            # the editor's own story: My stories
            make.story(nr.editor, nr.desk, headline=f"Own story {self.n}")
            # scheduled in two hours (calendar, budget); every third one overdue (attention)
            scheduled = make.story(
                author, nr.desk, StoryState.SCHEDULED, editor=nr.other_desk_editor
            )
            if self.n % 3 == 0:
                db.session.execute(
                    update(Story)
                    .where(Story.id == scheduled.id)
                    .values(publish_at=utcnow() - timedelta(minutes=5))
                )
                commit()
            if self.story is None:
                self.story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
            commenter = (nr.reporter, nr.editor, nr.other_desk_editor)[self.n % 3]
            add_comment(self.story, f"Comment {self.n} for @shirin.sultana", actor=commenter)


@pytest.fixture
def fill(make: Factory, nr: Newsroom) -> Fill:
    reporters = [nr.reporter, nr.colleague, make.reporter(nr.desk, name="Third Reporter")]
    # a second editor of the same desk approves, so four-eyes never gets in the way
    nr.other_desk_editor = make.editor(nr.desk, name="Second Editor")  # type: ignore[attr-defined]
    return Fill(make, nr, reporters)


def pages(fill: Fill) -> dict[str, str]:
    soon = (utcnow() + timedelta(hours=1)).astimezone(newsroom_zone())
    story_id = fill.story.id if fill.story else 0
    return {
        "my stories": "/newsroom/",
        "queue": "/newsroom/queue",
        "budget": f"/newsroom/budget?day={soon.date().isoformat()}",
        "calendar": f"/newsroom/calendar?month={soon:%Y-%m}",
        "search": "/newsroom/search?q=story",
        "search filtered": "/newsroom/search?q=story&state=submitted",
        "notifications": "/newsroom/notifications",
        "story page": f"/newsroom/stories/{story_id}",
        "history": f"/newsroom/stories/{story_id}/history",
    }


def measure(app: Flask, client: FlaskClient, paths: dict[str, str]) -> dict[str, int]:
    counts = {}
    client.get("/newsroom/")  # warm up: first-request work is not per row
    for name, path in paths.items():
        with counting(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[name] = len(statements)
    return counts


def test_list_pages_run_a_constant_number_of_queries(
    app: Flask, client: FlaskClient, nr: Newsroom, fill: Fill
) -> None:
    fill.add(3)
    login(client, nr.editor)
    few = measure(app, client, pages(fill))
    fill.add(27)
    many = measure(app, client, pages(fill))
    assert many == few, {k: (few[k], many[k]) for k in few if few[k] != many[k]}
    # and the pages really list the rows
    html = client.get("/newsroom/queue").get_data(as_text=True)
    assert html.count("Queue story") == 30
    assert max(many.values()) <= 20, many
