"""Photo use cases: upload (checked by decoding), renditions (made by a worker, twice-safe)."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from editorial import imaging, mediastore
from editorial import storage as media
from editorial.extensions import db
from editorial.models import Desk, Person, Photo, PhotoTag, Rendition
from editorial.models.photo import ALT_MAX, CAPTION_MAX, CREDIT_MAX
from editorial.services import after_commit, audit, commit, rollback
from editorial.services.cache import refresh_stories
from editorial.services.errors import ValidationFailed
from editorial.services.photo_tags import photo_tag_problems, set_tags
from editorial.services.photo_use import PUBLIC_STATES, stories_using
from editorial.services.renditions import queue_renditions, remove_files, remove_original_if_unused

log = logging.getLogger(__name__)

COPY_CHUNK = 1 << 16


@dataclass
class PhotoInput:
    """What a person typed beside the file; blank fields take the file's own captions."""

    caption: str = ""
    credit: str = ""
    alt_text: str = ""
    desk_id: int | None = None
    tags: list[str] = field(default_factory=list)


def _field_problems(data: PhotoInput) -> dict[str, str]:
    limits = {"caption": CAPTION_MAX, "credit": CREDIT_MAX, "alt_text": ALT_MAX}
    problems = {
        name: f"At most {limit} characters, please."
        for name, limit in limits.items()
        if len(getattr(data, name)) > limit
    }
    if tags := photo_tag_problems(data.tags):
        problems["tags"] = tags
    return problems


def input_problems(data: PhotoInput) -> dict[str, str]:
    """What is wrong with the words and desk typed beside an upload (empty: nothing)."""
    errors = _field_problems(data)
    if data.desk_id is not None and db.session.get(Desk, data.desk_id) is None:
        errors["desk"] = "Choose one of the desks offered."
    return errors


def upload_photo(
    stream: IO[bytes] | None, data: PhotoInput, *, actor: Person, file_first: bool = False
) -> Photo:
    """Keep the original privately, record the photo and queue its renditions.

    What was typed wins over the file's own caption and credit; with `file_first` (one of
    several files) the file's own win and the typed words fill in where it has none.
    Refusals raise ValidationFailed with the problem under "photo" (the file) or the field's
    name, so the form can be shown again with everything else as typed.
    """
    errors = input_problems(data)
    if stream is None:
        errors["photo"] = "Choose a photo to upload."
    if errors:
        raise ValidationFailed(errors)
    assert stream is not None
    key, found, digest, size = receive_original(stream)
    typed = (data.caption.strip(), data.credit.strip())
    embedded = (found.caption[:CAPTION_MAX], found.credit[:CREDIT_MAX])
    first, second = (embedded, typed) if file_first else (typed, embedded)
    photo = Photo(
        content_hash=digest,
        original_key=key,
        format=found.format,
        size_bytes=size,
        width=found.width,
        height=found.height,
        caption=first[0] or second[0],
        credit=first[1] or second[1],
        alt_text=data.alt_text.strip(),
        desk_id=data.desk_id,
        uploaded_by_id=actor.id,
    )
    db.session.add(photo)
    db.session.flush()
    set_tags(photo.id, data.tags)
    audit.record(
        "photo.uploaded",
        actor=actor,
        subject_type="photo",
        subject_id=photo.id,
        data={"format": found.format, "width": found.width, "height": found.height},
    )
    photo_id = photo.id
    after_commit(lambda: queue_renditions(photo_id))
    commit()
    return photo


def receive_original(stream: IO[bytes]) -> tuple[str, imaging.Inspected, str, int]:
    """Store an upload as a private original after judging it by decoding: (its key, what it
    is, its SHA-256, its size). A refusal is ValidationFailed under "photo", nothing kept."""
    staged, digest, size = _receive(stream)
    try:
        found = imaging.inspect(staged, current_app.config["PHOTO_MAX_PIXELS"])
    except imaging.BadImage as refusal:
        staged.unlink()
        raise ValidationFailed({"photo": str(refusal)}) from None
    key = f"{digest}.{found.extension}"
    try:  # same content, same name: a re-upload is free
        media.media_store().put_file(media.ORIGINALS, key, staged)
    except media.StoreUnavailable:
        log.exception("photo upload refused: the media store failed")
        raise ValidationFailed({"photo": STORE_DOWN}) from None
    return key, found, digest, size


def _receive(stream: IO[bytes]) -> tuple[Path, str, int]:
    """Copy the upload to a private staging file, hashing it; refuse it past the size cap
    without reading the rest (Flask's MAX_CONTENT_LENGTH refuses a declared length earlier)."""
    cap: int = current_app.config["PHOTO_MAX_BYTES"]
    staged = mediastore.staging_file(media.media_store().staging_folder())
    digest, size = hashlib.sha256(), 0
    with staged.open("wb") as out:
        while chunk := stream.read(COPY_CHUNK):
            size += len(chunk)
            if size > cap:
                out.close()
                staged.unlink()
                raise ValidationFailed({"photo": too_big_message(cap)})
            digest.update(chunk)
            out.write(chunk)
    return staged, digest.hexdigest(), size


STORE_DOWN = (
    "The photo could not be stored: the photo store is not answering. Nothing was saved;"
    " please choose the file again in a minute (what you typed is kept)."
)


def too_big_message(cap: int) -> str:
    size = f"{cap // (1024 * 1024)} MB" if cap >= 1024 * 1024 else f"{cap // 1024} KB"
    return f"The file is larger than {size}. Export the photo smaller and try again."


# --- editing and deleting -----------------------------------------------------------------------


def edit_photo(photo: Photo, data: PhotoInput, *, actor: Person) -> None:
    """Save a photo's caption, credit and alt text; a public story's photo keeps both of its
    credit and alt text (they are required while a story leading with it is public)."""
    errors = _field_problems(data)
    fields = {
        "caption": data.caption.strip(),
        "credit": data.credit.strip(),
        "alt_text": data.alt_text.strip(),
    }
    public = [s for s in stories_using(photo.id) if s.state in PUBLIC_STATES]
    if public:
        for name, label in (("credit", "credit"), ("alt_text", "alt text")):
            if not fields[name] and name not in errors:
                errors[name] = (
                    f"A published or scheduled story uses this photo: it needs its {label}."
                )
    if errors:
        raise ValidationFailed(errors)
    changed = sorted(name for name, value in fields.items() if getattr(photo, name) != value)
    for name in changed:
        setattr(photo, name, fields[name])
    if set_tags(photo.id, data.tags):
        changed.append("tags")
    if public and set(changed) - {"tags"}:  # pages show its words (tags are newsroom-only)
        refresh_stories([story.id for story in public])
    audit.record(
        "photo.edited",
        actor=actor,
        subject_type="photo",
        subject_id=photo.id,
        data={"fields": changed},
    )
    commit()


def set_focal_point(photo: Photo, x_percent: float, y_percent: float, *, actor: Person) -> bool:
    """Set where the crops centre, in percent from the left and from the top; queue the crops
    cut again. False when the point was already there (nothing changes, nothing is queued)."""
    errors = {
        name: f"Enter a number from 0 to 100 (percent from the {edge})."
        for name, edge, value in (
            ("focal_x", "left edge", x_percent),
            ("focal_y", "top edge", y_percent),
        )
        if not (math.isfinite(value) and 0 <= value <= 100)
    }
    if errors:
        raise ValidationFailed(errors)
    # Stored as fractions, rounded to a tenth of a percent (what the field shows).
    x, y = round(x_percent / 100, 4), round(y_percent / 100, 4)
    before = (photo.focal_x, photo.focal_y)
    result = db.session.execute(
        update(Photo)
        .where(Photo.id == photo.id, or_(Photo.focal_x != x, Photo.focal_y != y))
        .values(focal_x=x, focal_y=y)
    )
    changed = cast(CursorResult[Any], result).rowcount
    if not changed:
        rollback()
        return False
    audit.record(
        "photo.focal_point_set",
        actor=actor,
        subject_type="photo",
        subject_id=photo.id,
        data={"from": [before[0], before[1]], "to": [x, y]},
    )
    photo_id = photo.id
    after_commit(lambda: queue_renditions(photo_id))
    commit()
    return True


class PhotoInUse(Exception):
    """The photo leads these stories (ids) or is in their bodies, so it stays."""

    def __init__(self, story_ids: list[int]) -> None:
        super().__init__(f"photo is used by stories {story_ids}")
        self.story_ids = story_ids


def delete_photo(photo: Photo, *, actor: Person) -> None:
    """Delete an unused photo, its renditions and their files; refuse (PhotoInUse) when a story
    leads with it or places it in its body. The lead's foreign key refuses too, should a story
    take it up meanwhile."""
    if users := stories_using(photo.id):
        raise PhotoInUse([s.id for s in users])
    photo_id, original, pending = photo.id, photo.original_key, photo.replacement_key
    keys = list(db.session.scalars(select(Rendition.key).where(Rendition.photo_id == photo_id)))
    audit.record("photo.deleted", actor=actor, subject_type="photo", subject_id=photo_id)
    try:
        db.session.execute(delete(Rendition).where(Rendition.photo_id == photo_id))
        db.session.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id))
        db.session.execute(delete(Photo).where(Photo.id == photo_id))
        after_commit(lambda: remove_files(original, keys))
        if pending is not None:  # a replacement that never got its renditions
            after_commit(lambda: remove_original_if_unused(pending))
        commit()
    except IntegrityError:
        rollback()
        raise PhotoInUse([s.id for s in stories_using(photo_id)]) from None
