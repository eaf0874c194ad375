"""Issue 10: a photo's page (metadata, uses, renditions, history) and replacing its file: judged
like an upload, the photo keeps its id and its stories, the renditions are remade under new
names and the old files go only once the new ones exist. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from editorial import mediastore
from editorial.extensions import db
from editorial.models import AuditEvent, Person, Photo, Rendition, Story
from editorial.services import photos, renditions
from editorial.services.photo_files import replace_photo_file
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests import photokit
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form
from tests.web.sitekit import article_path
from tests.web.test_photo_upload import BAD, CountingStream


def _photo(actor: Person) -> Photo:
    data = photos.PhotoInput(caption="Boats", credit="Rafiq Ahmed", alt_text="Boats moored")
    return photos.upload_photo(io.BytesIO(photokit.jpeg((700, 500))), data, actor=actor)


def _photo_leading(make: Factory, nr: Newsroom, *state: StoryState, **kw) -> tuple[Photo, Story]:
    """A photo of the library and a story of the desk that has it as its lead photo."""
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk, *state, **kw)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()
    return photo, story


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def replace(client: FlaskClient, photo_id: int, content: bytes, name: str = "new.jpg"):
    data = {
        "csrf_token": csrf_token(client, f"/newsroom/media/{photo_id}"),
        "replace-photo": (io.BytesIO(content), name),
    }
    return client.post(
        f"/newsroom/media/{photo_id}/replace", data=data, content_type="multipart/form-data"
    )


def files_of(photo_id: int) -> tuple[str, list[str]]:
    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    keys = db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id))
    return photo.original_key, sorted(keys)


def exists(key: str, folder: Path | None = None) -> bool:
    return ((folder or mediastore.renditions()) / key).is_file()


def test_the_page_shows_metadata_uses_renditions_and_history(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    photo, story = _photo_leading(make, nr)
    post_form(web, f"/newsroom/media/{photo.id}", {"caption": "Boats", "credit": "Star"})
    html = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert "<dt>Credit</dt><dd>Star</dd>" in html and "<dt>Desk</dt><dd>No desk</dd>" in html
    assert f'href="/newsroom/stories/{story.id}"' in html
    for r in db.session.scalars(select(Rendition).where(Rendition.photo_id == photo.id)):
        assert f"<td>{r.format.upper()}</td><td>{r.width} px</td>" in html, r.key
    assert "Uploaded (JPEG, 700 \u00d7 500), by Shirin Sultana" in html
    assert "Edited: alt text, credit, by Shirin Sultana" in html
    assert ">New file</label>" in html and ">Replace file</button>" in html


def test_a_replacement_keeps_the_photo_and_swaps_the_files(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    photo, story = _photo_leading(make, nr)
    old_original, old_keys = files_of(photo.id)
    new = photokit.png((900, 600))
    response = replace(web, photo.id, new, "better.png")
    assert response.status_code == 302, response.get_data(as_text=True)[:800]

    new_original, new_keys = files_of(photo.id)
    saved = db.session.get(Photo, photo.id)
    assert (saved.width, saved.height, saved.format) == (900, 600, "PNG")
    assert saved.replacement_key is None
    assert (saved.caption, saved.credit, saved.alt_text) == ("Boats", "Rafiq Ahmed", "Boats moored")
    assert (mediastore.originals() / new_original).read_bytes() == new
    assert not set(old_keys) & set(new_keys) and new_keys
    assert all(exists(k) for k in new_keys) and not any(exists(k) for k in old_keys)
    assert not exists(old_original, mediastore.originals())
    assert db.session.get(Story, story.id).lead_photo_id == photo.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "photo.replaced"))
    assert event.one().subject_id == photo.id
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert "File replaced (now PNG, 900 \u00d7 600)" in page


def test_the_old_renditions_serve_until_the_new_ones_exist(
    any_app: Flask, nr: Newsroom, web: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is lost (or its worker killed): nothing changes for readers; the beat finds it;
    a second run is a no-op."""
    photo = _photo(nr.reporter)
    old_original, old_keys = files_of(photo.id)
    monkeypatch.setattr(renditions, "queue_renditions", lambda _id: False)
    assert replace(web, photo.id, photokit.png((800, 500))).status_code == 302
    assert files_of(photo.id) == (old_original, old_keys)
    assert all(exists(k) for k in old_keys)
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert "a new file is being processed" in page

    grace = any_app.config["PHOTO_RENDITIONS_GRACE_SECONDS"]
    db.session.execute(
        update(Photo)
        .where(Photo.id == photo.id)
        .values(replaced_at=utcnow() - timedelta(seconds=grace + 1))
    )
    db.session.commit()
    assert renditions.photos_missing_renditions() == [photo.id]

    assert renditions.make_renditions(photo.id) > 0
    original, keys = files_of(photo.id)
    assert original != old_original and not any(exists(k) for k in old_keys)
    assert renditions.make_renditions(photo.id) == 0  # twice-safe
    assert files_of(photo.id) == (original, keys)
    assert renditions.photos_missing_renditions() == []


@pytest.mark.parametrize(
    ("content", "says"),
    BAD,
    ids=["empty", "svg", "svg-plain", "polyglot", "garbage", "truncated", "bomb", "64mp"],
)
def test_a_bad_replacement_is_refused_and_nothing_changes(
    web: FlaskClient, nr: Newsroom, content: bytes, says: str
) -> None:
    photo = _photo(nr.reporter)
    before = files_of(photo.id)
    stored = sorted(mediastore.originals().iterdir())
    response = replace(web, photo.id, content)
    _refused(response, says, 422)
    assert files_of(photo.id) == before
    assert sorted(mediastore.originals().iterdir()) == stored  # no staging file left either
    assert db.session.get(Photo, photo.id).replacement_key is None


def _refused(response: TestResponse, says: str, status: int) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert str(escape(says)) in html
    assert 'aria-invalid="true"' in html
    assert 'value="Rafiq Ahmed"' in html and "Boats moored" in html  # the page as it was


def test_no_file_and_the_same_file_are_clear_refusals(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    token = csrf_token(web, f"/newsroom/media/{photo.id}")
    response = web.post(
        f"/newsroom/media/{photo.id}/replace",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    _refused(response, "Choose the new file for this photo.", 422)
    same = (mediastore.originals() / photo.original_key).read_bytes()
    _refused(replace(web, photo.id, same), "the file the photo already has", 422)
    assert (mediastore.originals() / photo.original_key).is_file()


def test_a_file_over_the_cap_is_refused_while_streaming(
    any_app: Flask, web: FlaskClient, nr: Newsroom
) -> None:
    photo = _photo(nr.reporter)
    before = files_of(photo.id)
    any_app.config["PHOTO_MAX_BYTES"] = 100_000
    response = replace(web, photo.id, photokit.jpeg((900, 900)) + b"\x00" * 120_000)
    _refused(response, "The file is larger than 97 KB", 422)
    assert files_of(photo.id) == before


def test_a_100_mb_replacement_is_refused_before_it_is_read(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    body = CountingStream()
    response = web.post(
        f"/newsroom/media/{photo.id}/replace",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(100 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "The file is larger than 30 MB" in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_a_refused_token_changes_nothing(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    before = files_of(photo.id)
    response = web.post(
        f"/newsroom/media/{photo.id}/replace",
        data={"replace-photo": (io.BytesIO(photokit.png()), "new.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    assert files_of(photo.id) == before


def test_an_unknown_photo_is_404(web: FlaskClient) -> None:
    assert replace(web, 999999, photokit.png()).status_code == 404


def test_the_service_refuses_without_a_file(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    with pytest.raises(photos.ValidationFailed):
        replace_photo_file(photo, None, actor=nr.reporter)


def test_a_published_storys_page_shows_the_new_file_at_once(
    any_app: Flask, nr: Newsroom, make: Factory
) -> None:
    """The public cache is purged with the swap: a cached page never names deleted files."""
    photo, story = _photo_leading(make, nr, StoryState.PUBLISHED, editor=nr.editor)
    reader = any_app.test_client()
    path = article_path(db.session.get(Story, story.id))
    _, old_keys = files_of(photo.id)
    before = reader.get(path).get_data(as_text=True)
    assert any(key in before for key in old_keys)
    replace_photo_file(photo, io.BytesIO(photokit.png((1000, 700))), actor=nr.reporter)
    _, new_keys = files_of(photo.id)
    after = reader.get(path).get_data(as_text=True)
    assert not any(key in after for key in old_keys)
    assert any(key in after for key in new_keys)
    for key in re.findall(r"/media/([0-9a-f]+-\d+\.(?:jpg|webp|avif))", after):
        response = reader.get(f"/media/{key}")
        assert response.status_code == 200, key
        response.close()


def test_a_newer_replacement_supersedes_a_waiting_one(
    any_app: Flask, nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _photo(nr.reporter)
    monkeypatch.setattr(renditions, "queue_renditions", lambda _id: False)
    replace_photo_file(photo, io.BytesIO(photokit.png((800, 500))), actor=nr.reporter)
    first = db.session.get(Photo, photo.id).replacement_key
    assert first and (mediastore.originals() / first).is_file()
    replace_photo_file(photo, io.BytesIO(photokit.png((600, 400))), actor=nr.reporter)
    db.session.expire_all()
    second = db.session.get(Photo, photo.id).replacement_key
    assert second != first and not (mediastore.originals() / first).exists()
    renditions.make_renditions(photo.id)
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).width == 600


def test_deleting_a_photo_removes_its_waiting_replacement(
    any_app: Flask, nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _photo(nr.reporter)
    monkeypatch.setattr(renditions, "queue_renditions", lambda _id: False)
    replace_photo_file(photo, io.BytesIO(photokit.png((800, 500))), actor=nr.reporter)
    pending = db.session.get(Photo, photo.id).replacement_key
    photos.delete_photo(db.session.get(Photo, photo.id), actor=nr.reporter)
    assert pending and not (mediastore.originals() / pending).exists()
    assert list(mediastore.originals().iterdir()) == []


def test_a_replacement_whose_file_is_gone_leaves_the_photo_as_it_was(
    any_app: Flask, nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _photo(nr.reporter)
    before = files_of(photo.id)
    monkeypatch.setattr(renditions, "queue_renditions", lambda _id: False)
    replace_photo_file(photo, io.BytesIO(photokit.png((800, 500))), actor=nr.reporter)
    (mediastore.originals() / db.session.get(Photo, photo.id).replacement_key).unlink()
    assert renditions.make_renditions(photo.id) == 0
    assert files_of(photo.id) == before
    assert db.session.get(Photo, photo.id).replacement_key is None
    assert all(exists(key) for key in before[1])
