"""Photo use cases: upload (checked by decoding), renditions (made by a worker, twice-safe)."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol, cast

from flask import current_app
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from editorial import imaging, mediastore
from editorial import storage as media
from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import Desk, Person, Photo, PhotoTag, Rendition, Story, StoryPhoto
from editorial.models.photo import ALT_MAX, CAPTION_MAX, CREDIT_MAX
from editorial.rendering import PhotoRef, photo_refs
from editorial.services import after_commit, audit, commit, public_media, rollback
from editorial.services.cache import refresh_stories
from editorial.services.errors import ValidationFailed
from editorial.services.photo_tags import photo_tag_problems, set_tags
from editorial.timeutil import utcnow
from editorial.workflow import StoryState

log = logging.getLogger(__name__)

COPY_CHUNK = 1 << 16
# A story in these states needs its lead photo's credit and alt text (PRODUCT "Photos").
PUBLIC_STATES = frozenset({StoryState.PUBLISHED, StoryState.SCHEDULED})


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


# --- renditions ---------------------------------------------------------------------------------


def queue_renditions(photo_id: int) -> bool:
    if not enqueue(Job.MAKE_RENDITIONS, args=(photo_id,)):
        log.warning("renditions of photo %s not queued; the beat job will", photo_id)
        return False
    return True


def make_renditions(photo_id: int) -> int:
    """Make whatever renditions of the photo are missing or stale; the number made (0 when
    complete). A crop is stale when it was cut around another focal point than the photo's.

    Safe to run twice, also at once: the files are named by their content (a second writer
    writes the same bytes under the same name) and the rows are unique per crop, format and
    width. A focal point changed while this ran wins: the crops cut around the old one are not
    saved (the change queued its own job).
    """
    photo = db.session.scalar(
        select(Photo).options(selectinload(Photo.renditions)).where(Photo.id == photo_id)
    )
    if photo is None:
        return 0
    if photo.replacement_key is not None and not _take_replacement(photo):
        return 0
    focal = (photo.focal_x, photo.focal_y)
    wanted = imaging.wanted_renditions(photo.width, photo.height)
    store = media.media_store()
    have = {
        (r.crop, r.format, r.width)
        for r in photo.renditions
        if store.exists(media.RENDITIONS, r.key)
        and (r.crop == imaging.FULL or (r.focal_x, r.focal_y) == focal)
    }
    made, written, replaced = 0, [], []
    with store.local_copy(media.ORIGINALS, photo.original_key) as original:
        for encoded in imaging.encode_all(original, wanted - have, focal):
            key, old = _store(photo, encoded, focal)
            written.append(key)
            replaced += [old] if old else []
            made += 1
    if photo.renditions_ready_at is None:
        photo.renditions_ready_at = utcnow()
    if _focal_point_now(photo_id) != focal:
        rollback()
        kept = set(db.session.scalars(select(Rendition.key).where(Rendition.key.in_(written))))
        _remove_renditions([key for key in written if key not in kept])
        log.info("photo %s: focal point changed meanwhile; its own job cuts the crops", photo_id)
        return 0
    if made and (using := stories_using(photo_id)):
        # The pages (and lists) naming the old crops' files, or none yet, are stale with this.
        refresh_stories([story.id for story in using])
    after_commit(lambda: _remove_renditions(replaced))
    if made and store.public_copies:  # new files of a photo that may be public already (S3)
        after_commit(lambda: public_media.queue_sync([photo_id]))
    try:
        commit()
    except IntegrityError:  # another worker stored the same renditions first: they are done
        log.info("photo %s: renditions made by another worker meanwhile", photo_id)
        return 0
    log.info("photo %s: %d renditions made", photo_id, made)
    return made


def _focal_point_now(photo_id: int) -> tuple[float, float] | None:
    """The photo's focal point as committed, its row locked (PostgreSQL) until this commits:
    a change of focal point waits, then queues a job that cuts its crops."""
    row = db.session.execute(
        select(Photo.focal_x, Photo.focal_y).where(Photo.id == photo_id).with_for_update()
    ).one_or_none()
    return None if row is None else (row.focal_x, row.focal_y)


def _take_replacement(photo: Photo) -> bool:
    """Start swapping in the photo's new original, inside the transaction that will also hold
    its new renditions: the old rows go (their files only after the commit), so a worker killed
    mid-way leaves the old renditions serving and the replacement still waiting. False when
    there is nothing to make: another worker took the replacement first, or its file is gone
    (the photo then keeps its original)."""
    new_key, old_key = photo.replacement_key, photo.original_key
    assert new_key is not None
    try:
        with media.media_store().local_copy(media.ORIGINALS, new_key) as staged:
            found = imaging.inspect(staged, current_app.config["PHOTO_MAX_PIXELS"])
            size = staged.stat().st_size
    except (OSError, imaging.BadImage):
        # The file went missing: keep the old one, say so. (A store that is away raises
        # StoreUnavailable: the job fails and beat queues the replacement again.)
        log.error("photo %s: replacement %s unreadable; the original stays", photo.id, new_key)
        db.session.execute(
            update(Photo)
            .where(Photo.id == photo.id, Photo.replacement_key == new_key)
            .values(replacement_key=None)
            .execution_options(synchronize_session="fetch")
        )
        commit()
        return False
    claimed = db.session.execute(
        update(Photo)
        .where(Photo.id == photo.id, Photo.replacement_key == new_key)
        .values(
            original_key=new_key,
            content_hash=new_key.partition(".")[0],
            format=found.format,
            size_bytes=size,
            width=found.width,
            height=found.height,
            replacement_key=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        rollback()
        return False
    retired = [r.key for r in photo.renditions]
    db.session.execute(delete(Rendition).where(Rendition.photo_id == photo.id))
    for rendition in photo.renditions:
        db.session.expunge(rendition)
    set_committed_value(photo, "renditions", [])
    if using := stories_using(photo.id):  # cached pages name the old files, about to go
        refresh_stories([story.id for story in using])
    after_commit(lambda: _remove_files(old_key, retired))
    return True


def _store(
    photo: Photo, encoded: imaging.Encoded, focal: tuple[float, float]
) -> tuple[str, str | None]:
    """Write the file and its row: its key, and the key of a file it replaces (a stale crop)."""
    # The photo's id is hashed in with the bytes: two uploads of one file are two photos, each
    # public or not on its own, so they must not share a rendition name (the names are unique,
    # and a clash read as "another worker made them" left the second photo processing for good).
    digest = hashlib.sha256(f"{photo.id}:".encode() + encoded.content).hexdigest()[:24]
    extension = "jpg" if encoded.format == "jpeg" else encoded.format
    suffix = f"{encoded.crop}-" if encoded.crop else ""
    key = f"{digest}-{suffix}{encoded.width}.{extension}"
    media.media_store().put(media.RENDITIONS, key, encoded.content)
    existing = next(
        (
            r
            for r in photo.renditions
            if (r.crop, r.format, r.width) == (encoded.crop, encoded.format, encoded.width)
        ),
        None,
    )
    if existing is None:  # a row whose file went missing, or a stale crop, is rewritten in place
        existing = Rendition(crop=encoded.crop, format=encoded.format, width=encoded.width)
        photo.renditions.append(existing)
    old = existing.key if existing.key not in (None, key) else None
    existing.height, existing.key, existing.size_bytes = (
        encoded.height,
        key,
        len(encoded.content),
    )
    if encoded.crop:
        existing.focal_x, existing.focal_y = focal
    return key, old


def _remove_renditions(keys: list[str]) -> None:
    store = media.media_store()
    for key in keys:
        store.delete(media.RENDITIONS, key)
    store.unpublish(keys)  # the public copies of crops cut again elsewhere (S3)


def photos_missing_renditions() -> list[int]:
    """Photos uploaded (or replaced) a while ago whose renditions were never finished, and
    photos whose crops are missing (made before crops existed) or stale (their job after a
    change of focal point was lost)."""
    grace = timedelta(seconds=current_app.config["PHOTO_RENDITIONS_GRACE_SECONDS"])
    before = utcnow() - grace
    crops = select(Rendition.id).where(
        Rendition.photo_id == Photo.id, Rendition.crop != imaging.FULL
    )
    stale = crops.where(or_(Rendition.focal_x != Photo.focal_x, Rendition.focal_y != Photo.focal_y))
    return list(
        db.session.scalars(
            select(Photo.id)
            .where(
                or_(
                    and_(Photo.renditions_ready_at.is_(None), Photo.created_at <= before),
                    and_(
                        Photo.renditions_ready_at.is_not(None),
                        or_(~crops.exists(), stale.exists()),
                    ),
                    and_(Photo.replacement_key.is_not(None), Photo.replaced_at <= before),
                )
            )
            .order_by(Photo.id)
        )
    )


def requeue_missing_renditions() -> list[int]:
    """The beat job: queue again every photo whose rendition job was lost."""
    missing = photos_missing_renditions()
    db.session.rollback()  # end the read first: on SQLite an open transaction holds the lock
    return [photo_id for photo_id in missing if queue_renditions(photo_id)]


class PhotoFacts(Protocol):
    """What deciding whether a photo may go public reads (a Photo, or the site's PhotoData)."""

    @property
    def credit(self) -> str: ...
    @property
    def alt_text(self) -> str: ...
    @property
    def renditions_ready_at(self) -> datetime | None: ...


def shortcomings(photo: PhotoFacts | None, *, alt_given: bool = False) -> list[str]:
    """What keeps a photo from a public page: none, no credit, no alt text (unless the story
    gives its own), renditions not ready. Empty: it may go public."""
    if photo is None:
        return ["is not in the library (no such photo, or it was deleted)"]
    return [
        problem
        for missing, problem in (
            (not photo.credit.strip(), "has no credit"),
            (not (alt_given or photo.alt_text.strip()), "has no alt text"),
            (photo.renditions_ready_at is None, "is still being processed"),
        )
        if missing
    ]


def ref_problem(ref: PhotoRef, photo: PhotoFacts | None) -> str:
    """One sentence on what is wrong with a photo the body places ("" when nothing is)."""
    if ref.photo_id is None:
        return (
            f"“photo:{ref.ref}” in the body names no photo: write photo: and the photo's number"
            ' from the library, e.g. ![Boats at dawn](photo:12 "Caption").'
        )
    problems = shortcomings(photo, alt_given=bool(ref.alt.strip()))
    if not problems:
        return ""
    fix = (
        f" Fix it on the photo's page (/newsroom/media/{ref.photo_id})."
        if photo is not None
        else " Choose a photo from the library."
    )
    return f"Photo {ref.photo_id} in the body {_and(problems)}.{fix}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def lead_photo_problems(photo_id: int | None) -> dict[str, str]:
    """Why a story leading with this photo may not go public yet (empty: it may)."""
    photo = db.session.get(Photo, photo_id) if photo_id is not None else None
    if photo is None:
        return {}
    problems = [
        message
        for missing, message in (
            (not photo.credit.strip(), "The lead photo has no credit."),
            (not photo.alt_text.strip(), "The lead photo has no alt text."),
            (photo.renditions_ready_at is None, "The lead photo is still being processed."),
        )
        if missing
    ]
    if not problems:
        return {}
    return {
        "lead_photo": " ".join(problems)
        + f" Fix it on the photo's page (/newsroom/media/{photo.id}), or choose another lead"
        " photo or none; then try again."
    }


def story_photo_problems(lead_photo_id: int | None, body_html: str) -> dict[str, str]:
    """Why a story with this lead photo and rendered body may not go public yet: every photo
    it shows needs its credit, alt text and renditions, and every photo it names must exist.
    Lead problems under "lead_photo", the body's under "body" (empty: it may go public)."""
    errors = lead_photo_problems(lead_photo_id)
    refs = photo_refs(body_html)
    ids = {ref.photo_id for ref in refs if ref.photo_id is not None}
    found = (
        {p.id: p for p in db.session.scalars(select(Photo).where(Photo.id.in_(ids)))} if ids else {}
    )
    seen: set[str] = set()
    body = []
    for ref in refs:
        problem = ref_problem(ref, found.get(ref.photo_id or 0))
        if problem and problem not in seen:
            seen.add(problem)
            body.append(problem)
    if body:
        errors["body"] = " ".join(body) + " Then try again."
    return errors


def record_body_photos(story_id: int, body_html: str) -> set[int]:
    """Keep the story's rows of placed photos in step with its rendered body (in the caller's
    transaction, beside the UPDATE of the body). Returns the photos the body placed before,
    whose public copies may have to go."""
    placed = StoryPhoto.story_id == story_id
    before = set(db.session.scalars(select(StoryPhoto.photo_id).where(placed)))
    db.session.execute(delete(StoryPhoto).where(placed))
    rows = [
        {
            "story_id": story_id,
            "position": position,
            "photo_id": ref.photo_id,
            "alt": ref.alt,
            "caption": ref.caption,
        }
        for position, ref in enumerate(photo_refs(body_html))
        if ref.photo_id is not None
    ]
    if rows:
        db.session.execute(insert(StoryPhoto), rows)
    return before


# --- editing and deleting -----------------------------------------------------------------------


def stories_using(photo_id: int) -> list[Story]:
    """The stories leading with the photo or placing it in their body (what keeps it from
    being deleted)."""
    in_body = select(StoryPhoto.story_id).where(StoryPhoto.photo_id == photo_id)
    return list(
        db.session.scalars(
            select(Story)
            .where(or_(Story.lead_photo_id == photo_id, Story.id.in_(in_body)))
            .order_by(Story.id)
        )
    )


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
        after_commit(lambda: _remove_files(original, keys))
        if pending is not None:  # a replacement that never got its renditions
            after_commit(lambda: remove_original_if_unused(pending))
        commit()
    except IntegrityError:
        rollback()
        raise PhotoInUse([s.id for s in stories_using(photo_id)]) from None


def _remove_files(original: str, keys: list[str]) -> None:
    remove_original_if_unused(original)
    store = media.media_store()
    for key in keys:
        store.delete(media.RENDITIONS, key)
    store.unpublish(keys)  # a public copy left by a story that dropped the photo


def remove_original_if_unused(key: str) -> None:
    """Remove an original file unless a photo still names it. It is named by its content, so
    another photo (a re-upload of the same file) may share it, or be waiting to swap it in."""
    sharing = or_(Photo.original_key == key, Photo.replacement_key == key)
    if db.session.scalar(select(Photo.id).where(sharing).limit(1)) is None:
        media.media_store().delete(media.ORIGINALS, key)
