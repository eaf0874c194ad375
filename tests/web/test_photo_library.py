"""Issue 10: the library's search and filters (stable URLs, an empty state that says what
was searched), and junk in the query string answered with a message, never a 500. SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select, update

from editorial.extensions import db
from editorial.models import Person, Photo, PhotoTag, Story, StoryPhoto
from editorial.services import photos
from editorial.services.photo_tags import tag_names
from tests import photokit
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, post_form


def _photo(actor: Person, desk_id: int | None = None, **fields: str) -> Photo:
    data = photos.PhotoInput(**{"credit": "Star", "alt_text": "A photo", **fields}, desk_id=desk_id)
    return photos.upload_photo(io.BytesIO(photokit.png((64, 48))), data, actor=actor)


def _uploaded_at(photo: Photo, at: datetime) -> None:
    db.session.execute(update(Photo).where(Photo.id == photo.id).values(created_at=at))
    db.session.commit()


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def shown(client: FlaskClient, query: str, status: int = 200) -> set[int]:
    """The ids of the photos the library shows for this query string."""
    response = client.get(f"/newsroom/media/?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return {int(i) for i in re.findall(r'aria-label="Photo (\d+): details"', html)}


def test_search_matches_every_word_in_caption_credit_or_alt(web: FlaskClient, nr: Newsroom) -> None:
    boats = _photo(nr.reporter, caption="Boats at Sadarghat", credit="Rafiq Ahmed / Star")
    rain = _photo(nr.reporter, caption="Monsoon rain", alt_text="Boats under rain")
    odd = _photo(nr.reporter, caption="100% turnout_day")
    assert shown(web, "q=boats") == {boats.id, rain.id}
    assert shown(web, "q=BOATS+rafiq") == {boats.id}
    assert shown(web, "q=%25") == {odd.id}  # % and _ are literal, not wildcards
    assert shown(web, "q=_day") == {odd.id}
    assert shown(web, "") == {boats.id, rain.id, odd.id}


def test_filters_by_desk_uploader_date_and_use(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    mine = _photo(nr.reporter, desk_id=nr.desk.id)
    theirs = _photo(nr.outsider, desk_id=nr.other_desk.id)
    # 23:30 in Dhaka on 1 March is 17:30 UTC; 00:30 on 2 March is 18:30 UTC the day before.
    _uploaded_at(mine, datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    _uploaded_at(theirs, datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
    story = make.story(nr.reporter, nr.desk)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=mine.id))
    db.session.commit()

    assert shown(web, f"desk={nr.desk.id}") == {mine.id}
    assert shown(web, f"uploader={nr.outsider.id}") == {theirs.id}
    assert shown(web, "from=2026-03-02") == {theirs.id}  # newsroom local days
    assert shown(web, "to=2026-03-01") == {mine.id}
    assert shown(web, "from=2026-03-01&to=2026-03-01") == {mine.id}
    assert shown(web, "use=used") == {mine.id}
    assert shown(web, "use=unused") == {theirs.id}
    page = web.get(f"/newsroom/media/?desk={nr.desk.id}&use=used").get_data(as_text=True)
    assert f'<option value="{nr.desk.id}" selected>' in page
    assert '<option value="used" selected>' in page


def test_the_empty_state_says_what_was_searched(web: FlaskClient, nr: Newsroom) -> None:
    _photo(nr.reporter, caption="Boats")
    html = web.get(f"/newsroom/media/?q=elephant&desk={nr.desk.id}&use=unused").get_data(True)
    assert str(escape("No photos matching “elephant”, of the desk National")) in html
    assert "not used by any story" in html
    assert "No photos yet." not in html


JUNK = [
    ("desk=abc", "There is no such desk"),
    ("desk=-1", "There is no such desk"),
    ("uploader=1e9", "There is no such person"),
    ("uploader=99999999999999999999", "There is no such person"),
    ("from=2026-13-40", "is not a date"),
    ("from=0001-01-01", "is outside the years"),
    ("to=9999-12-31", "is outside the years"),
    ("from=2026-03-02&to=2026-03-01", "is before"),
    ("use=maybe", "Choose one of the options offered."),
    # Numbered pages are gone (keyset pages: tests/web/test_keyset_lists.py); an old ?page=
    # is ignored, whatever it holds.
    ("page=abc", None),
    ("page=99999999999999999999999", None),
    ("q=" + "x" * 5000, None),
    ("q=%00%1b", None),
]


@pytest.mark.parametrize(("query", "says"), JUNK, ids=[q[:24] for q, _ in JUNK])
def test_junk_in_the_query_string_is_a_message_not_a_500(
    web: FlaskClient, nr: Newsroom, query: str, says: str | None
) -> None:
    photo = _photo(nr.reporter, caption="Boats")
    response = web.get(f"/newsroom/media/?{query}")
    html = response.get_data(as_text=True)
    if says is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert str(escape(says)) in html
    assert 'aria-invalid="true"' in html or 'role="alert"' in html
    # The filter that did not parse is left out; the others still apply, the upload form stays.
    assert ">Upload</button>" in html
    if says != "is before":  # (there both dates apply, and the photo is from today)
        assert f'aria-label="Photo {photo.id}: details"' in html


def test_the_grid_reads_in_a_fixed_number_of_queries(
    any_app: Flask, nr: Newsroom, web: FlaskClient
) -> None:
    """Uploader and desk are joined in: more photos are not more queries (no N+1)."""
    from sqlalchemy import event

    def count() -> int:
        statements: list[str] = []

        def seen(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert web.get("/newsroom/media/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return len(statements)

    _photo(nr.reporter, desk_id=nr.desk.id)
    one = count()
    for _ in range(4):
        _photo(nr.outsider, desk_id=nr.other_desk.id)
    assert count() == one


# --- tags ---------------------------------------------------------------------------------------


def _upload(client: FlaskClient, **fields: str):
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/newsroom/media/"),
        "caption": "Water in the streets",
        "credit": "",
        "alt_text": "Flooded street",
        "desk": "",
        **fields,
        "photo": (io.BytesIO(photokit.png((64, 48))), "flood.png"),
    }
    return client.post("/newsroom/media/", data=data, content_type="multipart/form-data")


def test_tags_are_searched_edited_and_never_public(
    any_app: Flask, web: FlaskClient, nr: Newsroom
) -> None:
    assert _upload(web, tags="Floods 2026, Sylhet, sylhet!, ").status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    other = _photo(nr.reporter, caption="Cricket")
    assert tag_names(photo.id) == ["Floods 2026", "Sylhet"]  # one tag per key
    assert shown(web, "q=sylhet") == {photo.id}
    assert shown(web, "q=2026") == {photo.id}
    assert shown(web, "q=flood+cricket") == set()
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert 'value="Floods 2026, Sylhet"' in page and ">Tags</label>" in page
    assert 'href="/newsroom/media/?q=Sylhet"' in page

    fields = {"caption": "Water", "credit": "Star", "alt_text": "Flooded street", "tags": "Rain"}
    assert post_form(web, f"/newsroom/media/{photo.id}", fields).status_code == 302
    db.session.expire_all()
    assert tag_names(photo.id) == ["Rain"]
    assert shown(web, "q=sylhet") == set() and shown(web, "q=rain") == {photo.id}
    assert "Edited: caption, credit, tags, by" in web.get(f"/newsroom/media/{photo.id}").get_data(
        as_text=True
    )
    # A photo's tag is not a story tag: no public tag page for it.
    assert any_app.test_client().get("/tag/rain").status_code == 404
    photos.delete_photo(db.session.get(Photo, other.id), actor=nr.reporter)
    photos.delete_photo(db.session.get(Photo, photo.id), actor=nr.reporter)
    assert db.session.scalar(select(func.count(PhotoTag.id))) == 0


@pytest.mark.parametrize(
    ("tags", "says"),
    [
        ("good, !!!", "is not a usable tag"),
        ("T" * 61, "Tags are at most 60 characters"),
        (", ".join(f"t{n}" for n in range(31)), "At most 30 tags"),
    ],
    ids=["no-letters", "long", "many"],
)
def test_bad_tags_are_refused_and_everything_kept(
    web: FlaskClient, nr: Newsroom, tags: str, says: str
) -> None:
    response = _upload(web, tags=tags, credit="Typed Credit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and str(escape(says)) in html
    assert "Water in the streets" in html and 'value="Typed Credit"' in html
    assert str(escape(tags))[:50] in html
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    photo = _photo(nr.reporter, caption="Kept")
    fields = {"caption": "Changed", "credit": "Star", "alt_text": "A", "tags": tags}
    response = post_form(web, f"/newsroom/media/{photo.id}", fields)
    assert response.status_code == 422 and str(escape(says)) in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).caption == "Kept"


def test_a_photo_placed_in_a_body_counts_as_used(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    placed = _photo(nr.reporter, caption="In the body")
    spare = _photo(nr.reporter, caption="Spare")
    story = make.story(nr.reporter, nr.desk)
    db.session.add(StoryPhoto(story_id=story.id, position=0, photo_id=placed.id))
    db.session.commit()
    assert shown(web, "use=used") == {placed.id}
    assert shown(web, "use=unused") == {spare.id}
