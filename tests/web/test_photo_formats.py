"""Issue 10: phones' HEIC and modern AVIF uploads come through the library's form like a JPEG
(decoded, kept privately, re-encoded into every rendition), and an agency photo's IPTC caption
and credit fill the blank fields. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import struct

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from editorial import imaging, mediastore
from editorial.extensions import db
from editorial.models import Photo, Rendition
from tests import photokit
from tests.conftest import csrf_token, login
from tests.web.conftest import Newsroom


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def _upload(client: FlaskClient, content: bytes, name: str, **fields: str) -> TestResponse:
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/newsroom/media/"),
        "caption": "",
        "credit": "",
        "alt_text": "",
        "desk": "",
        **fields,
        "photo": (io.BytesIO(content), name),
    }
    return client.post("/newsroom/media/", data=data, content_type="multipart/form-data")


def _encoded(fmt: str, size: tuple[int, int] = (1100, 700)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 110, 190)).save(buffer, fmt, quality=60)  # pillow-heif: HEIF
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name", "stored"),
    [("HEIF", "IMG_0042.HEIC", "HEIF"), ("AVIF", "river.avif", "AVIF")],
    ids=["heic", "avif"],
)
def test_heic_and_avif_uploads_make_every_rendition(
    web: FlaskClient, fmt: str, name: str, stored: str
) -> None:
    content = _encoded(fmt)
    response = _upload(web, content, name, credit="Rafiq Ahmed", alt_text="The river")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    photo = db.session.scalars(select(Photo)).one()
    assert (photo.format, photo.width, photo.height) == (stored, 1100, 700)
    assert (mediastore.originals() / photo.original_key).read_bytes() == content
    whole = (Rendition.photo_id == photo.id) & (Rendition.crop == imaging.FULL)  # not crops
    renditions = db.session.scalars(select(Rendition).where(whole)).all()
    expected = {(f, w) for f in imaging.rendition_formats() for w in (320, 640, 1024, 1100)}
    assert {(r.format, r.width) for r in renditions} == expected
    for rendition in renditions:
        with Image.open(mediastore.renditions() / rendition.key) as image:
            assert (
                image.format == {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[rendition.format]
            )
            assert image.size == (rendition.width, rendition.height)


def iptc_jpeg(**values: str) -> bytes:
    """A JPEG carrying an IPTC-IIM block (Photoshop APP13, resource 0x0404), as agencies send."""
    datasets = {"caption": (2, 120), "byline": (2, 80), "credit": (2, 110), "copyright": (2, 116)}
    iim = b"".join(
        b"\x1c" + bytes(datasets[name]) + struct.pack(">H", len(text.encode())) + text.encode()
        for name, text in values.items()
    )
    if len(iim) % 2:
        iim += b"\x00"
    resource = b"8BIM" + b"\x04\x04" + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    segment = b"Photoshop 3.0\x00" + resource
    app13 = b"\xff\xed" + struct.pack(">H", len(segment) + 2) + segment
    plain = photokit.jpeg((900, 600))
    return plain[:2] + app13 + plain[2:]


def test_the_iptc_caption_and_credit_fill_the_blank_fields(web: FlaskClient) -> None:
    content = iptc_jpeg(
        caption="Commuters wade through Motijheel after the downpour",
        byline="Nusrat Jahan",
        credit="Dhaka Photo Agency",
    )
    assert _upload(web, content, "agency.jpg", alt_text="A flooded street").status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    assert photo.caption == "Commuters wade through Motijheel after the downpour"
    assert photo.credit == "Dhaka Photo Agency"  # the IPTC credit line before the by-line
    page = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert "Commuters wade through Motijheel after the downpour" in page  # editable there


def test_what_was_typed_wins_over_iptc(web: FlaskClient) -> None:
    content = iptc_jpeg(caption="Agency caption", byline="Nusrat Jahan")
    response = _upload(web, content, "agency.jpg", caption="Our caption", credit="Our credit")
    assert response.status_code == 302
    photo = db.session.scalars(select(Photo)).one()
    assert (photo.caption, photo.credit) == ("Our caption", "Our credit")


def test_the_by_line_is_the_credit_without_a_credit_line(web: FlaskClient) -> None:
    content = iptc_jpeg(caption="Agency caption", byline="Nusrat Jahan", copyright="© DPA")
    assert _upload(web, content, "agency.jpg").status_code == 302
    assert db.session.scalars(select(Photo.credit)).one() == "Nusrat Jahan"
