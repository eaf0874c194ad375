"""Issue 10: a photo's page — its details fixed after upload, and delete only while unused.
SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from editorial import mediastore
from editorial.extensions import db
from editorial.models import AuditEvent, Person, Photo, Rendition, Story
from editorial.services import photo_use, photos
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload


def _photo(actor: Person, **fields: str) -> Photo:
    data = photos.PhotoInput(**{"credit": "Rafiq Ahmed", "alt_text": "Boats", **fields})
    return photos.upload_photo(io.BytesIO(photokit.jpeg((700, 500))), data, actor=actor)


def _lead(story: Story, photo: Photo) -> None:
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def _fields(**overrides: str) -> dict[str, str]:
    return {"caption": "Boats at Sadarghat", "credit": "Star", "alt_text": "Boats", **overrides}


def test_the_library_links_each_photo_to_its_page(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    assert f'href="/newsroom/media/{photo.id}"' in web.get("/newsroom/media/").get_data(True)
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert f"/newsroom/media/{photo.id}/thumbnail" in page
    assert "700 \u00d7 500" in page and nr.reporter.name in page and "ready" in page
    assert "No story uses this photo." in page
    for label in ("Caption", "Credit", "Alt text"):
        assert f">{label}</label>" in page, label


def test_an_edit_saves_and_is_audited(web: FlaskClient, nr: Newsroom, make: Factory) -> None:
    photo = _photo(nr.reporter, credit="")
    response = post_form(web, f"/newsroom/media/{photo.id}", _fields(credit="  Rafiq / Star "))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Photo, photo.id)
    assert (saved.caption, saved.credit, saved.alt_text) == (
        "Boats at Sadarghat",
        "Rafiq / Star",
        "Boats",
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "photo.edited")).one()
    assert (event.subject_id, event.actor_id) == (photo.id, nr.reporter.id)

    # The story the publish refused for the missing credit now publishes.
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    _lead(story, saved)
    transition_story(story, Action.PUBLISH, actor=nr.editor)
    assert reload(story).state == StoryState.PUBLISHED


def test_the_publish_refusal_points_to_the_photos_page(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter, credit="")
    assert f"/newsroom/media/{photo.id}" in photo_use.lead_photo_problems(photo.id)["lead_photo"]


def test_nul_is_stripped_and_the_rest_saved(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    post_form(web, f"/newsroom/media/{photo.id}", _fields(credit="Ra\x00fiq"))
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).credit == "Rafiq"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (_fields(credit="C" * 201), "At most 200 characters"),
        (_fields(alt_text="A" * 501, caption="Kept\x00 caption"), "At most 500 characters"),
        (_fields(caption="C" * 2001), "At most 2000 characters"),
    ],
    ids=["credit", "alt", "caption"],
)
def test_over_long_text_is_refused_and_kept(
    web: FlaskClient, nr: Newsroom, fields: dict[str, str], says: str
) -> None:
    photo = _photo(nr.reporter, caption="Old caption")
    response = post_form(web, f"/newsroom/media/{photo.id}", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and says in html and 'aria-invalid="true"' in html
    assert fields["credit"][:200] in html and fields["alt_text"][:500] in html
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).caption == "Old caption"


def test_a_public_storys_photo_keeps_its_credit_and_alt(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    _lead(story, photo)
    transition_story(story, Action.PUBLISH, actor=nr.editor)
    response = post_form(web, f"/newsroom/media/{photo.id}", _fields(credit="", caption="Typed"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "it needs its credit" in html and "Typed" in html
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).credit == "Rafiq Ahmed"


def test_a_refused_token_keeps_the_text(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    response = web.post(f"/newsroom/media/{photo.id}", data=_fields(caption="Typed caption"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "security token" in html and "Typed caption" in html


def test_staff_only_and_any_staff_may_edit(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    anonymous = any_app.test_client()
    for method in ("GET", "POST"):
        response = anonymous.open(f"/newsroom/media/{photo.id}", method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    outsider = any_app.test_client()
    login(outsider, nr.outsider)  # another desk's reporter: the library is shared
    assert post_form(outsider, f"/newsroom/media/{photo.id}", _fields()).status_code == 302


def test_an_unknown_photo_is_404(web: FlaskClient) -> None:
    assert web.get("/newsroom/media/999999").status_code == 404
    assert post_form(web, "/newsroom/media/999999", _fields()).status_code == 404
    assert post_form(web, "/newsroom/media/999999/delete").status_code == 404


def test_an_unused_photo_is_deleted_with_its_files(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    keys = list(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo.id)))
    files = [mediastore.originals() / photo.original_key] + [
        mediastore.renditions() / key for key in keys
    ]
    assert keys and all(f.is_file() for f in files)
    response = post_form(web, f"/newsroom/media/{photo.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert db.session.scalar(select(func.count(Rendition.id))) == 0
    assert not any(f.exists() for f in files)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "photo.deleted"))


def test_a_used_photo_is_not_deleted_and_the_stories_named(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk)
    _lead(story, photo)
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert f'href="/newsroom/stories/{story.id}"' in page
    response = post_form(web, f"/newsroom/media/{photo.id}/delete")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "cannot be deleted" in html
    assert story.headline in html
    assert db.session.get(Photo, photo.id) is not None
    assert (mediastore.originals() / photo.original_key).is_file()


def test_a_story_taking_the_photo_meanwhile_is_refused_not_a_500(
    web: FlaskClient, nr: Newsroom, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the delete race: the foreign key refuses, and says the same."""
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk)
    _lead(story, photo)
    monkeypatch.setattr(photos, "stories_using", lambda _id: [])  # the check sees no user
    with pytest.raises(photos.PhotoInUse):
        photos.delete_photo(db.session.get(Photo, photo.id), actor=nr.reporter)
    db.session.rollback()
    assert db.session.get(Photo, photo.id) is not None
    assert (mediastore.originals() / photo.original_key).is_file()
