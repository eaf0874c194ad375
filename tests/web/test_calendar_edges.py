"""The calendar's grid (issue 13): the days of the adjacent months show their stories too."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Story
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom

DHAKA = ZoneInfo("Asia/Dhaka")


def published_on(story: Story, when: datetime) -> None:
    db.session.execute(
        update(Story).where(Story.id == story.id).values(published_at=when, first_published_at=when)
    )
    db.session.commit()


def test_adjacent_months_days_show_their_stories(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    # June 2030 starts on a Saturday and ends on a Sunday: its grid runs 26 May - 6 July.
    before = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Late May story"
    )
    published_on(before, datetime(2030, 5, 31, 9, 30, tzinfo=DHAKA))
    after = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Early July story"
    )
    published_on(after, datetime(2030, 7, 2, 0, 10, tzinfo=DHAKA))
    outside = make.story(
        nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, headline="Off the grid"
    )
    published_on(outside, datetime(2030, 5, 20, 12, 0, tzinfo=DHAKA))
    login(client, nr.editor)
    html = client.get("/newsroom/calendar?month=2030-06").get_data(as_text=True)
    assert "Late May story" in html and "09:30" in html
    assert "Early July story" in html and "00:10" in html
    assert "Off the grid" not in html
    cell = html.split("Late May story")[0].rsplit("<td", 1)[1]
    assert "other-month" in cell and "31<span" in cell
