"""Issue 10: renditions by Celery, safe to run twice, finished later when a job was lost."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from editorial import imaging, mediastore
from editorial.celery_app import BEAT_SCHEDULE_DEFAULTS, DEFAULT_QUEUE
from editorial.extensions import db
from editorial.jobs import Job
from editorial.models import Person, Photo, Rendition
from editorial.services import photos, renditions
from editorial.timeutil import utcnow
from tests import photokit
from tests.conftest import Factory
from tests.metricskit import scrape, value


@pytest.fixture
def uploader(any_app: Flask, make: Factory) -> Person:
    return make.reporter(make.desk())


def _upload(uploader: Person, size: tuple[int, int] = (1100, 700)) -> Photo:
    content = photokit.jpeg(size, exif=photokit.exif_bytes(gps=True))
    return photos.upload_photo(io.BytesIO(content), photos.PhotoInput(), actor=uploader)


def _renditions(photo_id: int) -> dict[tuple[str, str, int], str]:
    db.session.expire_all()
    rows = db.session.scalars(select(Rendition).where(Rendition.photo_id == photo_id))
    return {(r.crop, r.format, r.width): r.key for r in rows}


# 1100 x 700: whole frames at 320, 640, 1024, 1100; cards (3:2) at 320, 640, 1024; squares at
# 160, 320, in every format; one 1100 x 578 share card in JPEG.
EXPECTED = len(imaging.rendition_formats()) * (4 + 3 + 2) + 1


def test_running_twice_changes_nothing(uploader: Person) -> None:
    photo = _upload(uploader)  # Celery runs eagerly in the tests: made on upload
    made = _renditions(photo.id)
    assert len(made) == EXPECTED == len(imaging.wanted_renditions(1100, 700))
    files = sorted(p.name for p in mediastore.renditions().iterdir())
    assert renditions.make_renditions(photo.id) == 0
    assert _renditions(photo.id) == made
    assert sorted(p.name for p in mediastore.renditions().iterdir()) == files


def test_a_missing_file_is_made_again(uploader: Person) -> None:
    photo = _upload(uploader)
    key = _renditions(photo.id)[("", "jpeg", 640)]
    (mediastore.renditions() / key).unlink()
    assert renditions.make_renditions(photo.id) == 1
    assert (mediastore.renditions() / _renditions(photo.id)[("", "jpeg", 640)]).is_file()


def test_keys_are_content_hashes(uploader: Person) -> None:
    photo = _upload(uploader)
    for (crop, fmt, width), key in _renditions(photo.id).items():
        digest, rest = key.split("-", 1)
        extension = "jpg" if fmt == "jpeg" else fmt
        assert rest == f"{crop}-{width}.{extension}".lstrip("-") and len(digest) == 24
        assert int(digest, 16) >= 0  # hexadecimal


def test_a_lost_job_is_queued_again_by_the_beat_job(uploader: Person) -> None:
    photo = _upload(uploader)
    # As if the worker died before finishing: no renditions, not ready, uploaded a while ago.
    db.session.execute(delete(Rendition).where(Rendition.photo_id == photo.id))
    db.session.execute(
        update(Photo)
        .where(Photo.id == photo.id)
        .values(renditions_ready_at=None, created_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()
    fresh = _upload(uploader, (900, 600))  # just uploaded: its own job is still on its way
    db.session.execute(update(Photo).where(Photo.id == fresh.id).values(renditions_ready_at=None))
    db.session.commit()

    assert renditions.photos_missing_renditions() == [photo.id]
    assert renditions.requeue_missing_renditions() == [photo.id]  # eager: made at once
    assert len(_renditions(photo.id)) == EXPECTED
    assert db.session.get(Photo, photo.id).renditions_ready_at is not None
    assert renditions.photos_missing_renditions() == []


def test_rendition_jobs_go_to_the_default_queue_and_beat_requeues(any_app: Flask) -> None:
    router = any_app.extensions["celery"].amqp.router
    for job in (Job.MAKE_RENDITIONS, Job.REQUEUE_RENDITIONS):
        assert router.route({}, job.value)["queue"].name == DEFAULT_QUEUE
    assert BEAT_SCHEDULE_DEFAULTS["photos:renditions"]["task"] == Job.REQUEUE_RENDITIONS


def test_the_same_file_uploaded_twice_gives_two_ready_photos(uploader: Person) -> None:
    """A re-upload (a second photographer, or the same file by mistake) must not be stuck
    processing because its renditions' names clash with the first photo's."""
    first, second = _upload(uploader), _upload(uploader)
    db.session.expire_all()
    ready = db.session.scalars(
        select(Photo.renditions_ready_at).where(Photo.id.in_([first.id, second.id]))
    ).all()
    assert len(ready) == 2 and all(ready)
    first_keys, second_keys = _renditions(first.id), _renditions(second.id)
    assert first_keys.keys() == second_keys.keys()
    assert not set(first_keys.values()) & set(second_keys.values())  # each public on its own


def test_rendition_jobs_are_counted_done_or_failed(
    uploader: Person, any_app: Flask, monkeypatch
) -> None:
    jobs = "editorial_rendition_jobs_total"
    photo = _upload(uploader)  # one job, eagerly, on upload
    assert value(scrape(any_app), jobs, outcome="done") == 1

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    (mediastore.renditions() / _renditions(photo.id)[("", "jpeg", 640)]).unlink()
    monkeypatch.setattr(imaging, "encode_all", broken)
    with pytest.raises(OSError):
        renditions.rendition_job(photo.id)  # what the worker's task runs
    samples = scrape(any_app)
    assert value(samples, jobs, outcome="failed") == 1
    assert value(samples, jobs, outcome="done") == 1
