"""Issue 10: a photo's focal point — two percent fields on its page (bad input refused with a
clear message, the typed text kept), audited, and the crops cut again around it by the
renditions job (safe to run twice; a lost job is found by the beat job). SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update

from editorial import imaging, mediastore
from editorial.extensions import db
from editorial.models import AuditEvent, Person, Photo, Rendition, Story
from editorial.services import photos, renditions
from editorial.services.cache import site_generation
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form

FOCAL_JS = Path(__file__).resolve().parents[2] / "editorial" / "static" / "js" / "focal.js"


def _photo(actor: Person) -> Photo:
    """A grey 1200 x 600 photo with a red spot near its right edge, at (1100, 300)."""
    image = Image.new("RGB", (1200, 600), (128, 128, 128))
    image.paste((255, 0, 0), (1060, 260, 1140, 340))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    data = photos.PhotoInput(credit="Rafiq Ahmed", alt_text="A red buoy")
    return photos.upload_photo(buffer, data, actor=actor)


def _crops(photo_id: int) -> dict[tuple[str, str, int], Rendition]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Rendition).where(Rendition.photo_id == photo_id, Rendition.crop != "")
    )
    return {(r.crop, r.format, r.width): r for r in rows}


def _whole(photo_id: int) -> dict[tuple[str, int], str]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Rendition).where(Rendition.photo_id == photo_id, Rendition.crop == "")
    )
    return {(r.format, r.width): r.key for r in rows}


def _reds(rendition: Rendition) -> int:
    """The reddest pixel along the middle row of a crop's file."""
    with Image.open(mediastore.renditions() / rendition.key) as image:
        shown = image.convert("RGB")
    return max(shown.getpixel((x, shown.height // 2))[0] for x in range(0, shown.width, 2))


@pytest.fixture
def web(any_app: Flask, nr: Newsroom) -> FlaskClient:
    client = any_app.test_client()
    login(client, nr.reporter)
    return client


def test_crops_are_cut_on_upload_around_the_middle(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    crops = _crops(photo.id)
    assert {crop for crop, _fmt, _width in crops} == set(imaging.CROPS)
    assert all((r.focal_x, r.focal_y) == (0.5, 0.5) for r in crops.values())
    assert crops[("social", "jpeg", 1143)].height == 600  # 1200 x 630 shape, no upscale
    assert _reds(crops[("square", "jpeg", 320)]) < 180  # the middle square misses the buoy


def test_the_page_shows_the_fields_the_crops_and_the_script(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    html = web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    assert 'id="focal_x"' in html and 'value="50"' in html and "From the top (%)" in html
    assert 'src="/static/js/focal.js"' in html and "data-focal-image" in html
    assert "Square (1:1)" in html and "/newsroom/media/files/" in html
    assert " onclick=" not in html and "<script>" not in html  # the CSP allows no inline script


def test_saving_the_point_recuts_the_crops_and_is_audited(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    whole, before = _whole(photo.id), _crops(photo.id)
    old_keys = {r.key for r in before.values()}
    generation = site_generation()

    response = post_form(
        web, f"/newsroom/media/{photo.id}/focal-point", {"focal_x": "91.7", "focal_y": "50"}
    )
    assert response.status_code == 302 and response.location.endswith("#focal-point")
    db.session.expire_all()
    saved = db.session.get(Photo, photo.id)
    assert (saved.focal_x, saved.focal_y) == (0.917, 0.5)
    after = _crops(photo.id)  # Celery runs eagerly in the tests: cut again at once
    assert after.keys() == before.keys()
    assert all((r.focal_x, r.focal_y) == (0.917, 0.5) for r in after.values())
    assert _reds(after[("square", "jpeg", 320)]) > 200  # the buoy is in the square now
    assert _whole(photo.id) == whole  # the whole frames stay as they were
    names = {p.name for p in mediastore.renditions().iterdir()}
    assert not old_keys & names, "the old crops' files are removed"
    assert {r.key for r in after.values()} <= names
    assert site_generation() == generation  # no story uses it: no page to refresh

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "photo.focal_point_set")
    ).one()
    assert (event.subject_id, event.actor_id) == (photo.id, nr.reporter.id)
    assert event.data == {"from": [0.5, 0.5], "to": [0.917, 0.5]}

    # Twice-safe: nothing more to make; the same point again changes nothing.
    assert renditions.make_renditions(photo.id) == 0
    again = post_form(
        web, f"/newsroom/media/{photo.id}/focal-point", {"focal_x": "91.7", "focal_y": "50"}
    )
    assert again.status_code == 302
    assert "already there" in web.get(f"/newsroom/media/{photo.id}").get_data(as_text=True)
    query = select(AuditEvent).where(AuditEvent.action == "photo.focal_point_set")
    assert len(db.session.scalars(query).all()) == 1


def test_recut_crops_of_a_photo_in_use_refresh_the_public_pages(
    any_app: Flask, nr: Newsroom, make: Factory
) -> None:
    photo = _photo(nr.reporter)
    story = make.story(nr.reporter, nr.desk, StoryState.DRAFT)
    db.session.execute(update(Story).where(Story.id == story.id).values(lead_photo_id=photo.id))
    db.session.commit()
    generation = site_generation()
    photos.set_focal_point(db.session.get(Photo, photo.id), 20, 30, actor=nr.reporter)
    assert site_generation() != generation  # the cached pages named the old crops' files


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ({"focal_x": "150", "focal_y": "50"}, "percent from the left edge"),
        ({"focal_x": "50", "focal_y": "-3"}, "percent from the top edge"),
        ({"focal_x": "abc", "focal_y": "50"}, "percent from the left edge"),
        ({"focal_x": "", "focal_y": "50"}, "percent from the left edge"),
        ({"focal_x": "nan", "focal_y": "inf"}, "percent from the top edge"),
        ({"focal_x": "1e400", "focal_y": "50"}, "percent from the left edge"),
    ],
    ids=["over-100", "negative", "words", "empty", "nan-inf", "overflow"],
)
def test_bad_input_is_refused_clearly_and_kept(
    web: FlaskClient, nr: Newsroom, typed: dict[str, str], says: str
) -> None:
    photo = _photo(nr.reporter)
    response = post_form(web, f"/newsroom/media/{photo.id}/focal-point", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    assert f"Enter a number from 0 to 100 ({says})." in html
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
    assert f'value="{typed["focal_x"]}"' in html and f'value="{typed["focal_y"]}"' in html
    db.session.expire_all()
    assert (db.session.get(Photo, photo.id).focal_x, db.session.get(Photo, photo.id).focal_y) == (
        0.5,
        0.5,
    )


def test_a_comma_or_a_percent_sign_is_understood(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    response = post_form(
        web, f"/newsroom/media/{photo.id}/focal-point", {"focal_x": "37,5", "focal_y": "20 %"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Photo, photo.id).focal_x, db.session.get(Photo, photo.id).focal_y) == (
        0.375,
        0.2,
    )


def test_a_refused_token_keeps_the_typed_point(web: FlaskClient, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    response = web.post(
        f"/newsroom/media/{photo.id}/focal-point",
        data={"focal_x": "12.5", "focal_y": "80", "csrf_token": "stale"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="12.5"' in html and 'value="80"' in html


def test_an_unknown_photo_is_404(web: FlaskClient) -> None:
    response = post_form(
        web, "/newsroom/media/999999/focal-point", {"focal_x": "1", "focal_y": "1"}
    )
    assert response.status_code == 404


def test_a_lost_recut_is_found_by_the_beat_job(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    # As if the job queued after a change of point was lost: the point moved, the crops did not.
    db.session.execute(update(Photo).where(Photo.id == photo.id).values(focal_x=0.9))
    db.session.commit()
    assert renditions.photos_missing_renditions() == [photo.id]
    assert renditions.requeue_missing_renditions() == [photo.id]  # eager: cut at once
    assert all(r.focal_x == 0.9 for r in _crops(photo.id).values())
    assert renditions.photos_missing_renditions() == []


def test_photos_from_before_crops_get_them_from_the_beat_job(any_app: Flask, nr: Newsroom) -> None:
    photo = _photo(nr.reporter)
    for rendition in _crops(photo.id).values():
        db.session.delete(rendition)
    db.session.commit()
    assert renditions.photos_missing_renditions() == [photo.id]
    renditions.requeue_missing_renditions()
    assert len(_crops(photo.id)) == len(
        [w for w in imaging.wanted_renditions(1200, 600) if w[0] != ""]
    )


@pytest.mark.services
def test_a_point_changed_while_the_crops_are_cut_wins(
    pg_app: Flask, nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job read the old point; the person saves a new one meanwhile: the job's crops are
    not saved (and their files go), and the new point's job cuts the crops. (PostgreSQL only:
    on SQLite the job holds the one write lock, so the change waits for it.)"""
    photo = _photo(nr.reporter)
    photo_id = photo.id
    db.session.execute(update(Photo).where(Photo.id == photo_id).values(focal_x=0.2))
    db.session.commit()
    cut = imaging.encode_all

    def meanwhile(path, wanted, focal=(0.5, 0.5)):
        for number, encoded in enumerate(cut(path, wanted, focal)):
            if number == 0:  # another request commits a new point on its own connection
                with db.engine.begin() as other:
                    other.execute(update(Photo).where(Photo.id == photo_id).values(focal_x=0.7))
            yield encoded

    monkeypatch.setattr(imaging, "encode_all", meanwhile)
    before = {p.name for p in mediastore.renditions().iterdir()}
    assert renditions.make_renditions(photo_id) == 0
    assert all(r.focal_x == 0.5 for r in _crops(photo_id).values())  # nothing saved
    assert {p.name for p in mediastore.renditions().iterdir()} == before  # nor left on disk
    monkeypatch.setattr(imaging, "encode_all", cut)
    assert renditions.make_renditions(photo_id) > 0
    assert all(r.focal_x == 0.7 for r in _crops(photo_id).values())


def test_the_script_is_a_file_that_fills_the_fields() -> None:
    script = FOCAL_JS.read_text()
    assert "data-focal-image" in script and "focal_x" in script and "focal_y" in script
    assert 'addEventListener("click"' in script


def test_the_old_crops_files_stay_until_pages_naming_them_went_stale(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page rendered just before a crop was cut again still names the old file (a browser
    loading it, a cached copy): the file is removed by a job RETIRED_GRACE later; with no
    broker to queue it on, at once, as before (a file left behind would stay for good)."""
    queued: list[tuple[object, tuple, object]] = []
    removed: list[list[str]] = []
    monkeypatch.setattr(renditions, "_remove_renditions", removed.append)

    def enqueue(job, *, args=(), eta=None) -> bool:
        queued.append((job, args, eta))
        return accept

    monkeypatch.setattr(renditions, "enqueue", enqueue)
    accept = True
    before = renditions.utcnow()
    renditions.retire_renditions(["a-card-640.jpg"])
    ((job, args, eta),) = queued
    assert job == renditions.Job.REMOVE_RENDITIONS and args == (["a-card-640.jpg"],)
    assert isinstance(eta, type(before)) and eta - before >= renditions.RETIRED_GRACE
    assert removed == []
    assert renditions.remove_renditions(["a-card-640.jpg"]) == 1  # the job, when it runs
    assert removed == [["a-card-640.jpg"]]
    accept = False
    renditions.retire_renditions(["b-square-320.jpg"])
    assert removed[-1] == ["b-square-320.jpg"]
    renditions.retire_renditions([])  # nothing cut again: nothing queued
    assert len(queued) == 2
