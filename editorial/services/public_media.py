"""Public copies of photos, kept in step with the stories (only for stores that copy: S3).

A photo is public while a public story uses it (`editorial.public.photo_is_public`: as its lead
or in its body). With the
local store that is checked on every request to /media/<key>, so nothing here does anything.
With S3 the renditions are private objects and readers get copies under the public prefix:
they are made when a story using the photo goes public (publish now, a scheduled publish, an
embargo lifting) and deleted when the last public story using it stops being public (withdraw,
unpublish, spike, a new embargo, another lead photo). Each change queues SYNC_PUBLIC_MEDIA for
its photos after commit; the job reads the truth at the time it runs, so it is safe to run
twice or late; beat's `media:public` sweep compares the whole public prefix with the database
and puts right whatever a lost job left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import Photo, Rendition, Story, StoryPhoto
from editorial.public import NOW, photo_is_public
from editorial.services import after_commit
from editorial.storage import media_store
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)

# An embargo lifting later than this is left to the sweep: a Redis broker would deliver an ETA
# task further away than its visibility timeout twice (harmless here, but pointless).
ETA_HORIZON = timedelta(minutes=50)


def copies_kept() -> bool:
    return media_store().public_copies


def stories_changed(story_ids: Iterable[int], *, also_photos: Iterable[int | None] = ()) -> None:
    """Call inside the transaction that changes whether these stories are public (or which
    photo leads them): their photos' public copies follow after commit. `also_photos`: photos
    the stories led with before the change."""
    if not copies_kept():
        return
    ids = list(story_ids)
    rows = db.session.execute(
        select(Story.lead_photo_id, Story.embargo_at).where(Story.id.in_(ids))
    ).all()
    in_body = db.session.scalars(select(StoryPhoto.photo_id).where(StoryPhoto.story_id.in_(ids)))
    photos = {row.lead_photo_id for row in rows} | set(in_body) | set(also_photos)
    wanted = sorted(p for p in photos if p is not None)
    if not wanted:
        return
    now = utcnow()
    lifts = sorted({row.embargo_at for row in rows if row.embargo_at and row.embargo_at > now})
    after_commit(lambda: queue_sync(wanted, lifts))


def queue_sync(photo_ids: list[int], at: Iterable[datetime] = ()) -> bool:
    """Queue the sync now (and again at each embargo lift within the horizon)."""
    queued = enqueue(Job.SYNC_PUBLIC_MEDIA, args=(photo_ids,))
    if not queued:
        log.warning("public copies of photos %s not queued; the sweep will", photo_ids)
    for when in at:
        if when - utcnow() <= ETA_HORIZON:
            enqueue(Job.SYNC_PUBLIC_MEDIA, args=(photo_ids,), eta=when)
    return queued


def public_photos(photo_ids: Iterable[int]) -> set[int]:
    """Of these photos, those a public story uses now (the /media/ route's check)."""
    query = select(Photo.id).where(Photo.id.in_(list(photo_ids)), photo_is_public(Photo.id))
    return set(db.session.scalars(query, {NOW: utcnow()}))


def _keys(photo_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """Rendition keys per photo: of these photos, or (None) of every public photo."""
    query = select(Rendition.photo_id, Rendition.key)
    if photo_ids is None:
        query = query.where(photo_is_public(Rendition.photo_id))
    else:
        query = query.where(Rendition.photo_id.in_(list(photo_ids)))
    by_photo: dict[int, list[str]] = {}
    for photo_id, key in db.session.execute(query, {NOW: utcnow()}):
        by_photo.setdefault(photo_id, []).append(key)
    return by_photo


def sync_photos(photo_ids: Iterable[int]) -> dict[str, list[int]]:
    """Copy the renditions of those photos that are public now, remove the others' copies.

    Then read again: a story withdrawn while the copies were being made has its own job, but
    that job may have run before these copies landed, so they are taken down here. (A story
    withdrawn after this second read has a job that runs after it, and so after the copies.)
    """
    if not copies_kept():
        return {"public": [], "private": []}
    ids = sorted(set(photo_ids))
    store = media_store()
    public: set[int] = set()
    for _ in range(3):  # settles at once unless the stories keep changing meanwhile
        keys = _keys(ids)
        now_public = public_photos(ids)
        db.session.rollback()  # end the read: the next one must see later commits
        store.publish(k for photo in sorted(now_public - public) for k in keys.get(photo, []))
        store.unpublish(k for photo in ids if photo not in now_public for k in keys.get(photo, []))
        public, ids_changed = now_public, public_photos(ids) != now_public
        db.session.rollback()
        if not ids_changed:
            break
    result = {"public": sorted(public), "private": sorted(set(ids) - public)}
    log.info("public copies of photos: %s", result)
    return result


def sweep() -> dict[str, int]:
    """Beat `media:public`: make the public prefix match the database (S3 only).

    The prefix is listed before the database is read, so a copy made meanwhile by a publish
    job is never mistaken for a stray; every photo found out of step goes through
    `sync_photos`, which reads again after it writes.
    """
    if not copies_kept():
        return {}
    present = set(media_store().public_keys())
    wanted = _keys()  # of every public photo
    missing = {photo for photo, keys in wanted.items() if not set(keys) <= present}
    strays = present - {key for keys in wanted.values() for key in keys}
    owners = set(
        db.session.scalars(select(Rendition.photo_id).where(Rendition.key.in_(sorted(strays))))
    )
    known = set(db.session.scalars(select(Rendition.key).where(Rendition.key.in_(sorted(strays)))))
    db.session.rollback()
    media_store().unpublish(sorted(strays - known))  # renditions no photo has any more
    if missing or owners:
        sync_photos(missing | owners)
    result = {"copied": len(missing), "taken_down": len(owners), "orphans": len(strays - known)}
    if any(result.values()):
        log.warning("public photo copies were out of step; put right: %s", result)
    return result
