"""Renditions of a photo: made by a worker, safe to run twice, swapped in one commit when the
file is replaced, re-queued by beat when a job was lost."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from editorial import imaging
from editorial import storage as media
from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import Photo, Rendition
from editorial.services import after_commit, commit, counters, public_media, rollback
from editorial.services.cache import refresh_stories
from editorial.services.photo_use import stories_using
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)


def queue_renditions(photo_id: int) -> bool:
    if not enqueue(Job.MAKE_RENDITIONS, args=(photo_id,)):
        log.warning("renditions of photo %s not queued; the beat job will", photo_id)
        return False
    return True


def rendition_job(photo_id: int) -> int:
    """The worker's job: make_renditions, counted for /metrics as done or failed."""
    try:
        made = make_renditions(photo_id)
    except Exception:
        rollback()
        _count_job("failed")
        raise
    _count_job("done")
    return made


def _count_job(outcome: str) -> None:
    try:
        counters.count_rendition_job(outcome)
    except SQLAlchemyError:  # the count is not worth failing (or hiding) the job's outcome
        log.warning("could not count a %s rendition job", outcome, exc_info=True)


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
    after_commit(lambda: retire_renditions(replaced))
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
    after_commit(lambda: remove_files(old_key, retired))
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


# A page rendered just before a crop was cut again names its old files: a browser still loading
# it, a CDN's or the page cache's copy until their refresh. The old files stay this long.
RETIRED_GRACE = timedelta(minutes=15)


def retire_renditions(keys: list[str]) -> None:
    """Remove the files of crops cut again, after RETIRED_GRACE; at once if that cannot be
    queued (an old crop left behind would stay for good)."""
    if keys and not enqueue(Job.REMOVE_RENDITIONS, args=(keys,), eta=utcnow() + RETIRED_GRACE):
        _remove_renditions(keys)


def remove_renditions(keys: list[str]) -> int:
    """The job after the grace: remove these files (already gone: nothing happens)."""
    _remove_renditions(keys)
    return len(keys)


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


def remove_files(original: str, keys: list[str]) -> None:
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
