"""@mentions the writer should hear about (issue 13): a handle that names nobody, and a
colleague who cannot see the story, are reported after the comment is added."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Notification
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, follow_redirect, post_form


def comment(client: FlaskClient, story_id: int, text: str) -> str:
    response = post_form(client, f"/newsroom/stories/{story_id}/comments", {"comment": text})
    assert response.status_code == 302
    return follow_redirect(client, response).get_data(as_text=True)


def test_unknown_and_unseeing_handles_are_reported(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)
    html = comment(
        client, story.id, "Over to @nasreen.akter. Also @nobody.here and @farid.ahmed, thanks."
    )
    assert "Comment added." in html
    assert "Nobody in the newsroom answers to @nobody.here, so nobody was told." in html
    assert "@farid.ahmed cannot see this story, so they were not told." in html  # other desk
    assert "@nasreen.akter" not in html.split("Comment added.")[1].split("</div>")[0]
    told = db.session.scalars(
        select(Notification.person_id).where(Notification.kind == "comment.mention")
    ).all()
    assert told == [nr.editor.id]


def test_a_mention_ending_a_sentence_and_an_address_in_text(
    client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    login(client, nr.reporter)
    html = comment(client, story.id, "Mail info@example.com about it, @nasreen.akter.")
    assert "answers to" not in html and "cannot see" not in html
    assert db.session.scalars(
        select(Notification.person_id).where(Notification.kind == "comment.mention")
    ).all() == [nr.editor.id]
