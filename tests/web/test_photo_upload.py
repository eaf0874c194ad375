"""Issue 10: the photo library's upload, on SQLite and on PostgreSQL.

Every refusal is a clear message on the form, which keeps what was typed; nothing is stored.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from editorial import imaging, mediastore
from editorial.extensions import db
from editorial.models import AuditEvent, Photo, Rendition
from tests import photokit
from tests.conftest import csrf_token, login
from tests.web.conftest import Newsroom

CAPTION = "Boats wait at Sadarghat as the river rises"


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    """A reporter signed in, on SQLite, then on PostgreSQL."""
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def upload(
    client: FlaskClient, content: bytes, name: str = "photo.jpg", **fields: str
) -> TestResponse:
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/newsroom/media/"),
        "caption": CAPTION,
        "credit": "",
        "alt_text": "Wooden boats moored three deep",
        "desk": "",
        **fields,
        "photo": (io.BytesIO(content), name),
    }
    return client.post("/newsroom/media/", data=data, content_type="multipart/form-data")


def stored_files() -> list[Path]:
    folder = mediastore.originals()
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_the_library_page_has_the_contract_labels(web: FlaskClient) -> None:
    html = web.get("/newsroom/").get_data(as_text=True)
    assert '<a href="/newsroom/media/"' in html and ">Media</a>" in html
    page = web.get("/newsroom/media/").get_data(as_text=True)
    for label in ("Photo", "Caption", "Credit", "Alt text"):
        assert f">{label}</label>" in page, label
    assert '<button class="button primary" type="submit">Upload</button>' in page
    assert 'enctype="multipart/form-data"' in page


def test_an_upload_keeps_the_original_privately_and_makes_renditions(
    web: FlaskClient, nr: Newsroom
) -> None:
    exif = photokit.exif_bytes(artist="Rafiq Ahmed", description="From the camera", gps=True)
    content = photokit.jpeg((1200, 800), exif=exif)
    response = upload(web, content, desk=str(nr.desk.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:800]

    photo = db.session.scalars(select(Photo)).one()
    # What was typed wins; a blank field takes the file's own value.
    assert (photo.caption, photo.credit) == (CAPTION, "Rafiq Ahmed")
    assert (photo.width, photo.height, photo.format) == (1200, 800, "JPEG")
    assert (photo.desk_id, photo.uploaded_by_id) == (nr.desk.id, nr.reporter.id)
    original = mediastore.originals() / photo.original_key
    assert original.read_bytes() == content  # kept as it came, under instance/media/originals
    assert mediastore.media_folder() == Path(current_app.config["INSTANCE_PATH"]) / "media"

    # The tests run Celery eagerly: the renditions were made after the commit.
    renditions = db.session.scalars(select(Rendition).where(Rendition.photo_id == photo.id)).all()
    expected = {(f, w) for f in imaging.rendition_formats() for w in (320, 640, 1024, 1200)}
    assert {(r.format, r.width) for r in renditions if r.crop == ""} == expected
    assert all((mediastore.renditions() / r.key).is_file() for r in renditions)
    assert db.session.scalar(select(Photo.renditions_ready_at)) is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "photo"))

    page = web.get("/newsroom/media/").get_data(as_text=True)
    assert f"/newsroom/media/{photo.id}/thumbnail" in page
    thumbnail = web.get(f"/newsroom/media/{photo.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert "public" not in thumbnail.headers["Cache-Control"]
    thumbnail.close()


def test_a_png_named_jpg_is_accepted_as_a_png(web: FlaskClient) -> None:
    assert upload(web, photokit.png(), "holiday.jpg").status_code == 302
    assert db.session.scalar(select(Photo.format)) == "PNG"
    assert db.session.scalar(select(Photo.original_key)).endswith(".png")


BAD = [
    (b"", "empty"),
    (photokit.SVG, "script code"),
    (photokit.SVG.replace(b"<script>alert(1)</script>", b""), "not a photo we can read"),
    (photokit.polyglot(), "script code"),
    (b"not an image, just text" * 50, "not a photo we can read"),
    (photokit.truncated(), "damaged or incomplete"),
    (photokit.png_header_only(20000, 20000), "too large"),
    (photokit.png_header_only(8000, 8000), "too large"),
]


@pytest.mark.parametrize(
    ("content", "says"),
    BAD,
    ids=["empty", "svg", "svg-plain", "polyglot", "garbage", "truncated", "bomb", "64mp"],
)
def test_a_bad_file_is_refused_and_the_form_kept(
    web: FlaskClient, content: bytes, says: str
) -> None:
    response = upload(web, content, "photo.jpg", credit="Typed Credit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert str(escape(says)) in html
    assert CAPTION in html and 'value="Typed Credit"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    assert stored_files() == []  # no staging file left behind either


def test_no_file_at_all_is_a_clear_refusal(web: FlaskClient) -> None:
    data = {"csrf_token": csrf_token(web, "/newsroom/media/"), "caption": CAPTION}
    response = web.post("/newsroom/media/", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a photo to upload." in response.get_data(as_text=True)


def test_a_file_over_the_cap_is_refused_while_streaming(any_app: Flask, web: FlaskClient) -> None:
    any_app.config["PHOTO_MAX_BYTES"] = 100_000  # within the request's form allowance
    response = upload(web, photokit.jpeg((900, 900)) + b"\x00" * 120_000)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The file is larger than 97 KB" in html
    assert CAPTION in html
    assert stored_files() == []


class CountingStream(io.RawIOBase):
    """A request body that counts what the app reads of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:  # the test client measures the stream; the length is overridden
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        size = len(buffer)
        buffer[:size] = b"\xff" * size
        self.read_bytes += size
        return size


def test_a_100_mb_upload_is_refused_before_it_is_read(web: FlaskClient) -> None:
    body = CountingStream()
    response = web.post(
        "/newsroom/media/",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(100 * 1024 * 1024)},
    )
    assert response.status_code == 413, response.get_data(as_text=True)[-1500:]
    assert "The file is larger than 30 MB" in response.get_data(as_text=True)
    assert body.read_bytes == 0
    assert stored_files() == []


def test_other_forms_keep_the_general_body_limit(any_app: Flask, web: FlaskClient) -> None:
    response = web.post(
        "/newsroom/stories/new",
        input_stream=CountingStream(),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(any_app.config["MAX_CONTENT_LENGTH"] + 1)},
    )
    assert response.status_code == 413
