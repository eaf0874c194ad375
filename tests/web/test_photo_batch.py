"""Issue 10: several photos in one upload, each its own photo; a refused file is named with its
reason while the others are kept and the form keeps what was typed. SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from editorial.extensions import db
from editorial.models import Photo
from editorial.services.photo_files import display_name
from tests import photokit
from tests.conftest import csrf_token, login
from tests.web.conftest import Newsroom

ALT = "Wooden boats moored three deep"


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def upload_many(
    client: FlaskClient,
    files: list[tuple[bytes, str]],
    headers: dict[str, str] | None = None,
    **fields: str,
) -> TestResponse:
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/newsroom/media/"),
        "caption": "Typed caption",
        "credit": "Typed Credit",
        "alt_text": ALT,
        "desk": "",
        **fields,
        "photo": [(io.BytesIO(content), name) for content, name in files],
    }
    return client.post(
        "/newsroom/media/", data=data, content_type="multipart/form-data", headers=headers or {}
    )


def photos() -> list[Photo]:
    db.session.expire_all()
    return list(db.session.scalars(select(Photo).order_by(Photo.id)))


def test_the_file_field_takes_several_files_and_the_script_is_external(web: FlaskClient) -> None:
    page = web.get("/newsroom/media/").get_data(as_text=True)
    assert 'type="file"' in page and "multiple" in page
    assert '<script src="/static/js/upload.js" defer></script>' in page
    assert "<script>" not in page and "onclick" not in page
    script = web.get("/static/js/upload.js")
    assert script.status_code == 200
    script.close()


def test_each_file_becomes_its_own_photo_with_its_own_captions(web: FlaskClient) -> None:
    own = photokit.jpeg(
        (640, 480), exif=photokit.exif_bytes(artist="Rafiq Ahmed", description="From the camera")
    )
    bare = photokit.png((500, 400))
    response = upload_many(web, [(own, "a.jpg"), (bare, "b.png")])
    assert response.status_code == 302
    first, second = photos()
    # Several files: each keeps the caption and credit it carries; the typed ones fill in.
    assert (first.caption, first.credit) == ("From the camera", "Rafiq Ahmed")
    assert (second.caption, second.credit) == ("Typed caption", "Typed Credit")
    assert first.alt_text == second.alt_text == ALT
    page = web.get("/newsroom/media/").get_data(as_text=True)
    assert f"Photo {first.id} uploaded" in page and f"Photo {second.id} uploaded" in page


BAD = [
    (b"", "empty"),
    (photokit.SVG, "script code"),
    (photokit.polyglot(), "script code"),
    (photokit.truncated(), "damaged or incomplete"),
    (photokit.png_header_only(20000, 20000), "too large"),
]


@pytest.mark.parametrize(("content", "says"), BAD, ids=["empty", "svg", "polyglot", "cut", "bomb"])
def test_a_refused_file_is_named_and_the_others_kept(
    web: FlaskClient, content: bytes, says: str
) -> None:
    files = [(photokit.jpeg((400, 300)), "good-1.jpg"), (content, "bad.jpg")]
    files.append((photokit.png((300, 200)), "good-2.png"))
    response = upload_many(web, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert str(escape("“bad.jpg” was not uploaded:")) in html and str(escape(says)) in html
    assert 'aria-invalid="true"' in html
    assert "Typed caption" in html and 'value="Typed Credit"' in html and ALT in html
    kept = photos()
    assert len(kept) == 2  # the good ones, before and after the bad one
    assert all(f"Photo {p.id} uploaded" in html for p in kept)


def test_a_problem_with_the_typed_words_refuses_the_batch_first(web: FlaskClient) -> None:
    files = [(photokit.jpeg((400, 300)), "a.jpg"), (photokit.png(), "b.png")]
    response = upload_many(web, files, credit="C" * 201, desk="99999")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most 200 characters" in html and "Choose one of the desks offered." in html
    assert "Typed caption" in html
    assert db.session.scalar(select(func.count(Photo.id))) == 0


def test_the_script_gets_json_per_file(web: FlaskClient) -> None:
    json = {"Accept": "application/json"}
    good = upload_many(web, [(photokit.jpeg((400, 300)), "good.jpg")], headers=json)
    assert good.status_code == 200 and good.is_json
    (photo,) = photos()
    assert good.json == {
        "uploaded": [{"id": photo.id, "url": f"/newsroom/media/{photo.id}"}],
        "refused": [],
        "errors": {},
    }
    bad = upload_many(web, [(photokit.SVG, "drawing.svg")], headers=json)
    assert bad.status_code == 422 and bad.json["uploaded"] == []
    assert bad.json["refused"][0]["name"] == "drawing.svg"
    assert "script code" in bad.json["refused"][0]["message"]
    words = upload_many(web, [(photokit.png(), "b.png")], headers=json, caption="C" * 2001)
    assert words.status_code == 422 and "caption" in words.json["errors"]
    token = web.post(
        "/newsroom/media/",
        data={"photo": (io.BytesIO(photokit.png()), "b.png")},
        content_type="multipart/form-data",
        headers=json,
    )
    assert token.status_code == 400 and "security token" in token.json["errors"]["general"]
    assert len(photos()) == 1


def test_the_script_learns_of_a_body_over_the_cap_as_json(web: FlaskClient) -> None:
    response = web.post(
        "/newsroom/media/",
        input_stream=io.BytesIO(b""),
        content_type="multipart/form-data; boundary=x",
        headers={"Accept": "application/json"},
        environ_overrides={"CONTENT_LENGTH": str(100 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "larger than 30 MB" in response.json["errors"]["photo"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("C:\\Users\\rafiq\\IMG_0001.JPG", "IMG_0001.JPG"),
        ("../../etc/passwd", "passwd"),
        ("bad\x00\x1bname.jpg", "badname.jpg"),
        ("", "the file"),
        ("x" * 300 + ".jpg", "x" * 119 + "…"),
    ],
)
def test_file_names_are_shown_safely(name: str, shown: str) -> None:
    assert display_name(name) == shown
