"""Photo files arriving: several uploads at once, and a new original for an existing photo.

Each file of a batch is its own photo, uploaded (and committed) on its own: a refused file
is named with its reason and the others are kept. A replacement is judged exactly like an
upload; the photo keeps its id (the stories using it keep it) and its old renditions serve
until the worker has made the new ones (`renditions.make_renditions`, which swaps them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Person, Photo
from editorial.services import after_commit, audit, commit, photos, renditions
from editorial.services.errors import ValidationFailed
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)

NAME_MAX = 120


@dataclass(frozen=True)
class Incoming:
    """One uploaded file: the name the person's computer gave it, and its bytes."""

    name: str
    stream: IO[bytes]


@dataclass(frozen=True)
class Refused:
    """A file that did not become a photo, and why (for the person, naming the file)."""

    name: str
    message: str


@dataclass
class Batch:
    """What a multi-file upload made: the photos, and the files refused."""

    photos: list[Photo] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def display_name(name: str | None) -> str:
    """A file name fit to show: no folders, no control characters, not too long."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if c.isprintable()).strip()
    if len(clean) > NAME_MAX:
        clean = clean[: NAME_MAX - 1] + "…"
    return clean or "the file"


def upload_photos(files: Sequence[Incoming], data: photos.PhotoInput, *, actor: Person) -> Batch:
    """Upload each file as its own photo with the typed words. One file: what was typed wins
    over the file's captions (as ever); several: each file's own caption and credit win, and
    the typed words fill in where a file has none. A problem with the typed words or the desk
    refuses the whole batch (ValidationFailed) before any file is read."""
    errors = photos.input_problems(data)
    if not files:
        errors["photo"] = "Choose a photo to upload."
    if errors:
        raise ValidationFailed(errors)
    batch = Batch()
    several = len(files) > 1
    for incoming in files:
        try:
            photo = photos.upload_photo(incoming.stream, data, actor=actor, file_first=several)
        except ValidationFailed as failed:
            message = failed.errors.get("photo") or " ".join(failed.errors.values())
            batch.refused.append(Refused(display_name(incoming.name), message))
            continue
        batch.photos.append(photo)
    if batch.refused:
        log.info("upload by %s: %d refused of %d", actor.id, len(batch.refused), len(files))
    return batch


def replace_photo_file(photo: Photo, stream: IO[bytes] | None, *, actor: Person) -> None:
    """Give the photo a new original (judged like an upload; refusals are ValidationFailed
    under "photo"). Its renditions are remade by the worker; until then the old ones serve."""
    if stream is None:
        raise ValidationFailed({"photo": "Choose the new file for this photo."})
    key, found, _digest, size = photos.receive_original(stream)
    if key == photo.original_key:
        raise ValidationFailed(
            {"photo": "This is the file the photo already has. Choose a different file."}
        )
    previous = {"format": photo.format, "width": photo.width, "height": photo.height}
    superseded = photo.replacement_key  # an earlier replacement still waiting: this one wins
    db.session.execute(
        update(Photo)
        .where(Photo.id == photo.id)
        .values(replacement_key=key, replaced_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "photo.replaced",
        actor=actor,
        subject_type="photo",
        subject_id=photo.id,
        data={
            "from": previous,
            "to": {"format": found.format, "width": found.width, "height": found.height},
            "size_bytes": size,
        },
    )
    photo_id = photo.id
    if superseded is not None and superseded != key:
        after_commit(lambda: renditions.remove_original_if_unused(superseded))
    after_commit(lambda: renditions.queue_renditions(photo_id))
    commit()
