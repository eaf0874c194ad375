"""Renditions (whole frames and crops) made by a real `celery worker` (Redis, PostgreSQL), and
finished exactly once after a worker is SIGKILLed in the middle of a photo, or in the middle of
cutting its crops again after a change of focal point (TRUST 32)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from editorial import imaging, mediastore
from editorial.extensions import db
from editorial.models import Person, Photo, Rendition
from editorial.services import photos, renditions
from tests import photokit
from tests.conftest import Factory
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]

# Whole frames at 320, 640, 1024 and the original's 1100; 3:2 cards at 320, 640, 1024; squares
# at 160 and 320 (each in every format); one JPEG share card.
EXPECTED = len(imaging.rendition_formats()) * (4 + 3 + 2) + 1


def _upload(actor: Person) -> int:
    content = photokit.jpeg((1100, 700), exif=photokit.exif_bytes(gps=True))
    return photos.upload_photo(io.BytesIO(content), photos.PhotoInput(), actor=actor).id


def _ready(photo_id: int) -> bool:
    db.session.rollback()  # a fresh snapshot each time
    return (
        db.session.scalar(select(Photo.renditions_ready_at).where(Photo.id == photo_id)) is not None
    )


def _count(photo_id: int) -> int:
    db.session.rollback()
    query = select(func.count(Rendition.id)).where(Rendition.photo_id == photo_id)
    return db.session.scalar(query) or 0


def test_a_worker_makes_the_renditions(
    live_app: Flask, make: Factory, celery_procs, tmp_path: Path
) -> None:
    celery_procs.worker(env={"EDITORIAL_INSTANCE": str(tmp_path)})
    photo_id = _upload(make.reporter(make.desk()))
    wait_until(lambda: _ready(photo_id), 60, "the renditions")
    assert _count(photo_id) == EXPECTED
    keys = db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id))
    assert all((mediastore.renditions() / key).is_file() for key in keys)


def test_a_worker_killed_mid_photo_leaves_it_to_beat_which_finishes_it_once(
    live_app: Flask, make: Factory, celery_procs, tmp_path: Path
) -> None:
    marker = tmp_path / "paused"
    env = {
        "EDITORIAL_INSTANCE": str(tmp_path),
        "EDITORIAL_FAULT": "pause-renditions",
        "EDITORIAL_FAULT_MARKER": str(marker),
    }
    paused = celery_procs.worker(app="tests.integration.celery_faults.celery_app", env=env)
    photo_id = _upload(make.reporter(make.desk()))
    wait_until(marker.exists, 60, "the worker to pause mid-photo")
    paused.kill()
    assert marker.read_text() == str(photo_id)
    assert not _ready(photo_id) and _count(photo_id) == 0  # nothing was committed

    # Its message waits in Redis's unacked set for the visibility timeout (hours); the beat
    # job notices the photo has no renditions past the grace period and queues it again.
    celery_procs.worker(
        beat=True,
        env={"EDITORIAL_INSTANCE": str(tmp_path), "PHOTO_RENDITIONS_GRACE_SECONDS": "1"},
    )
    wait_until(lambda: _ready(photo_id), 60, "the renditions after the restart")
    assert _count(photo_id) == EXPECTED  # one row per format and width (a unique key)
    names = {p.name for p in mediastore.renditions().iterdir() if not p.name.startswith(".")}
    keys = set(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))
    assert keys <= names


def _crop_points(photo_id: int) -> set[tuple[float | None, float | None]]:
    db.session.rollback()
    query = select(Rendition.focal_x, Rendition.focal_y).where(
        Rendition.photo_id == photo_id, Rendition.crop != ""
    )
    return {(x, y) for x, y in db.session.execute(query)}


def test_a_worker_killed_while_recutting_crops_leaves_them_to_beat(
    live_app: Flask, make: Factory, celery_procs, tmp_path: Path
) -> None:
    reporter = make.reporter(make.desk())
    first = celery_procs.worker(env={"EDITORIAL_INSTANCE": str(tmp_path)})
    photo_id = _upload(reporter)
    wait_until(lambda: _ready(photo_id), 60, "the renditions")
    first.kill()

    marker = tmp_path / "paused"
    env = {
        "EDITORIAL_INSTANCE": str(tmp_path),
        "EDITORIAL_FAULT": "pause-renditions",
        "EDITORIAL_FAULT_MARKER": str(marker),
    }
    paused = celery_procs.worker(app="tests.integration.celery_faults.celery_app", env=env)
    photos.set_focal_point(db.session.get(Photo, photo_id), 80, 25, actor=reporter)
    wait_until(marker.exists, 60, "the worker to pause mid-crops")
    paused.kill()
    assert _crop_points(photo_id) == {(0.5, 0.5)}  # nothing was committed
    assert renditions.photos_missing_renditions() == [photo_id]  # stale crops: beat will see them

    celery_procs.worker(
        beat=True,
        env={"EDITORIAL_INSTANCE": str(tmp_path), "PHOTO_RENDITIONS_GRACE_SECONDS": "1"},
    )
    wait_until(lambda: _crop_points(photo_id) == {(0.8, 0.25)}, 60, "the crops after the restart")
    assert _count(photo_id) == EXPECTED  # each crop rewritten in place, none twice
    names = {p.name for p in mediastore.renditions().iterdir() if not p.name.startswith(".")}
    keys = set(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))
    assert keys <= names
