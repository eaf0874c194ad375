"""Issue 10: a story's lead photo, chosen in the editor; no public story with a photo that
lacks credit or alt text, or whose renditions are not ready. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import Person, Photo, Story
from editorial.services import photos
from editorial.services.errors import ValidationFailed
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload


def _photo(actor: Person, **fields: str) -> Photo:
    data = photos.PhotoInput(**{"credit": "Rafiq Ahmed", "alt_text": "Boats", **fields})
    return photos.upload_photo(io.BytesIO(photokit.jpeg((700, 500))), data, actor=actor)


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def test_the_editor_sets_and_keeps_a_lead_photo(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter, caption="Library caption")
    page = web.get("/newsroom/stories/new").get_data(as_text=True)
    assert ">Lead photo</label>" in page and f'value="{photo.id}"' in page

    fields = nr.form(lead_photo=str(photo.id), lead_caption="Boats at dawn, Sadarghat")
    response = post_form(web, "/newsroom/stories/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    story = db.session.scalars(select(Story)).one()
    assert (story.lead_photo_id, story.lead_caption) == (photo.id, "Boats at dawn, Sadarghat")

    edit = web.get(f"/newsroom/stories/{story.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{photo.id}">' in edit or (
        f'value="{photo.id}" selected' in edit
    )


def test_an_unknown_photo_is_refused_and_the_text_kept(web: FlaskClient, nr: Newsroom) -> None:
    response = post_form(web, "/newsroom/stories/new", nr.form(lead_photo="999999"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is no such photo" in html and nr.form()["headline"] in html
    assert db.session.scalar(select(Story.id)) is None


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ({"credit": ""}, "The lead photo has no credit."),
        ({"alt_text": ""}, "The lead photo has no alt text."),
        ({}, "The lead photo is still being processed."),
    ],
    ids=["credit", "alt", "processing"],
)
def test_publish_and_schedule_are_refused_with_an_unready_lead_photo(
    any_app: Flask, make: Factory, nr: Newsroom, missing: dict[str, str], says: str
) -> None:
    photo = _photo(nr.reporter, **missing)
    if not missing:
        db.session.execute(
            update(Photo).where(Photo.id == photo.id).values(renditions_ready_at=None)
        )
        db.session.commit()
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()

    for action in (Action.PUBLISH, Action.SCHEDULE):
        with pytest.raises(ValidationFailed) as refused:
            transition_story(
                story, action, actor=nr.editor, publish_at=utcnow() + timedelta(hours=2)
            )
        assert says in refused.value.errors["lead_photo"]
        assert reload(story).state == StoryState.APPROVED

    client = any_app.test_client()
    login(client, nr.editor)
    response = post_form(
        client,
        f"/newsroom/stories/{story.id}/actions/publish",
        {"version": str(reload(story).version)},
    )
    assert says in response.get_data(as_text=True)
    assert reload(story).state == StoryState.APPROVED


def test_a_ready_credited_lead_photo_publishes(any_app: Flask, make: Factory, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()
    transition_story(story, Action.PUBLISH, actor=nr.editor)
    assert reload(story).state == StoryState.PUBLISHED


def test_the_preview_shows_a_drafts_photo_to_staff_only(
    any_app: Flask, make: Factory, nr: Newsroom, web: FlaskClient
) -> None:
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()
    html = web.get(f"/newsroom/stories/{story.id}/preview").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert src.startswith("/newsroom/media/files/")
    with web.get(src) as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
    key = src.rsplit("/", 1)[1]
    with any_app.test_client().get(f"/media/{key}") as public:
        assert public.status_code == 404  # a draft's photo is not public
    with any_app.test_client().get(src) as anonymous:
        assert anonymous.status_code == 302  # to sign-in
