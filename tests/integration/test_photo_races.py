"""Photo saves racing (a double-clicked Save on a photo's page): every save succeeds and the
photo ends with the tags typed, once each. PostgreSQL (row locks) and SQLite (IMMEDIATE)."""

from __future__ import annotations

import io

from flask import Flask

from editorial.extensions import db
from editorial.models import Person, Photo
from editorial.services import photos
from editorial.services.photo_tags import tag_names
from tests import photokit
from tests.integration.test_concurrency import THREADS, Prepare, race


def test_saves_adding_the_same_tags_at_once_all_succeed(any_app: Flask, make) -> None:
    desk = make.desk("Nation")
    reporter = make.reporter(desk)
    # Only the tags change: no UPDATE of the photo's row would make the saves take turns.
    data = photos.PhotoInput(caption="Boats", credit="Star", alt_text="Boats", tags=["Old"])
    photo_id = photos.upload_photo(io.BytesIO(photokit.png()), data, actor=reporter).id
    reporter_id = reporter.id  # read here: the threads must not touch this session's objects

    def save() -> Prepare:
        def prepare():
            photo, person = db.session.get(Photo, photo_id), db.session.get(Person, reporter_id)
            typed = photos.PhotoInput(
                caption="Boats", credit="Star", alt_text="Boats", tags=["Flood", "New tag"]
            )
            return lambda: photos.edit_photo(photo, typed, actor=person) or "ok"

        return prepare

    results = race(any_app, [save() for _ in range(THREADS)])
    assert results == ["ok"] * THREADS, results
    assert tag_names(photo_id) == ["Flood", "New tag"]
