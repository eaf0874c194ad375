"""An embargo on the story page (issue 13): Publish now is not offered while it holds, the page
says until when in newsroom time, and the Schedule field starts at the embargo's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Story
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload

EMBARGO = datetime(2031, 5, 1, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka


def page(client: FlaskClient, story: Story) -> str:
    return client.get(f"/newsroom/stories/{story.id}").get_data(as_text=True)


def test_publish_now_waits_for_the_embargo(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(
        nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor, embargo_at=EMBARGO
    )
    login(client, nr.editor)
    html = page(client, story)
    assert "Publish now" not in html
    assert "Under embargo until 01 May 2031, 10:00 (Asia/Dhaka)" in html
    assert 'value="2031-05-01T10:00"' in html  # Schedule starts at the embargo's end
    assert ">Schedule</button>" in html

    response = post_form(
        client, f"/newsroom/stories/{story.id}/actions/publish", {"version": str(story.version)}
    )
    assert response.status_code == 409
    assert "under embargo until 01 May 2031, 10:00 (Asia/Dhaka)" in response.get_data(as_text=True)
    assert reload(story).state == StoryState.APPROVED


def test_publish_now_is_back_once_the_embargo_lifts(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    db.session.execute(
        update(Story).where(Story.id == story.id).values(embargo_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    login(client, nr.editor)
    html = page(client, story)
    assert "Publish now" in html and "Under embargo until" not in html
