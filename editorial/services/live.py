"""Live coverage: marking a story live, its entries, and ending it.

Who may do what, and from where, is the workflow table's (the live rows of
`editorial.workflow.TRANSITIONS`); this module applies it. Every change first claims the story
row with one conditional UPDATE on its coverage times (`live_updated_at` moves), so an entry
racing End live coverage either lands before the end or is refused, never after it; then it
writes the entry, its audit event and, for a public story, a new site generation (the page
cache and every ETag, in the same transaction), and commits once. The story's `version` is
left alone: an editor in the middle of an edit must not get a conflict for every entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, case, update

from editorial.extensions import db
from editorial.models import LiveEntry, Person, Photo, Story
from editorial.models.live import ENTRY_MAX, LINK_MAX
from editorial.models.loading import actor_of, facts_of
from editorial.rendering import render_body
from editorial.services import audit, commit, public_media, rollback
from editorial.services.cache import bump, refresh_stories, story_key
from editorial.services.errors import ValidationFailed
from editorial.timeutil import utcnow
from editorial.workflow import (
    COVERAGE_REFUSALS,
    Action,
    StoryState,
    Transition,
    WrongState,
    check,
)


@dataclass(frozen=True)
class EntryInput:
    """What the newsroom typed for an entry."""

    body: str
    link: str = ""
    photo_id: int | None = None


def start_live_coverage(story: Story, *, actor: Person) -> Story:
    """Mark a story live (the editor's Live coverage checkbox)."""
    rule = check(Action.START_LIVE, actor_of(actor), facts_of(story))
    now = utcnow()
    _claim(story, rule, Story.live_started_at.is_(None), live_started_at=now, live_updated_at=now)
    _record(rule, story, actor)
    return _finish(story, rule, actor, listed=True)


def end_live_coverage(story: Story, *, actor: Person) -> Story:
    """End live coverage: no more entries; the page stays, with its entries."""
    rule = check(Action.END_LIVE, actor_of(actor), facts_of(story))
    now = utcnow()
    # Never before the last entry: one that won the row lock while this waited for it took its
    # time before this did.
    _claim(story, rule, _is_live(), live_ended_at=_later(now), live_updated_at=_later(now))
    _record(rule, story, actor)
    return _finish(story, rule, actor, listed=True)


def post_entry(story: Story, data: EntryInput, *, actor: Person) -> LiveEntry:
    """Post an entry to a live story; refused (nothing saved) once its coverage has ended."""
    rule = check(Action.POST_ENTRY, actor_of(actor), facts_of(story))
    values = _validated(data)
    now = utcnow()
    _claim(story, rule, _is_live(), live_updated_at=_later(now))
    entry = LiveEntry(story_id=story.id, author_id=actor.id, created_at=now, **values)
    db.session.add(entry)
    db.session.flush()
    _record(rule, story, actor, entry, {"length": len(entry.body)})
    _finish(story, rule, actor)
    return entry


def edit_entry(entry: LiveEntry, data: EntryInput, *, story: Story, actor: Person) -> LiveEntry:
    """Change an entry's text, photo or link; readers see that it was edited, and when."""
    rule = check(Action.EDIT_ENTRY, actor_of(actor), facts_of(story))
    values = _validated(data)
    now = utcnow()
    _claim(story, rule, _has_started(), live_updated_at=_later(now))
    old_photo = entry.photo_id
    _change_entry(entry, story, edited_at=now, **values)
    _record(rule, story, actor, entry, {"length": len(data.body.strip())})
    _finish(story, rule, actor, also_photos=[old_photo])
    return entry


def delete_entry(entry: LiveEntry, *, story: Story, actor: Person) -> None:
    """Take an entry down everywhere (the row stays for the audit log)."""
    rule = check(Action.DELETE_ENTRY, actor_of(actor), facts_of(story))
    now = utcnow()
    _claim(story, rule, _has_started(), live_updated_at=_later(now))
    _change_entry(entry, story, deleted_at=now, is_pinned=False)
    _record(rule, story, actor, entry, {"body": entry.body[:500]})
    _finish(story, rule, actor)


def pin_entry(entry: LiveEntry, *, story: Story, actor: Person, pinned: bool = True) -> None:
    """Pin an entry on top of the page (one per story: pinning another unpins this one), or
    unpin it."""
    rule = check(Action.PIN_ENTRY, actor_of(actor), facts_of(story))
    now = utcnow()
    _claim(story, rule, _has_started(), live_updated_at=_later(now))
    if pinned:
        db.session.execute(
            update(LiveEntry)
            .where(LiveEntry.story_id == story.id, LiveEntry.is_pinned.is_(True))
            .values(is_pinned=False)
            .execution_options(synchronize_session=False)
        )
    _change_entry(entry, story, is_pinned=pinned)
    _record(rule, story, actor, entry, {"pinned": pinned})
    _finish(story, rule, actor)


# --- the one path every change takes ------------------------------------------------------------


def _later(now: datetime) -> ColumnElement[datetime]:
    """`now`, or the story's live_updated_at if that is later: the times a story's coverage
    records never go back, whatever order racing requests took their clocks in."""
    return case((Story.live_updated_at > now, Story.live_updated_at), else_=now)


def _is_live() -> ColumnElement[bool]:
    return Story.live_started_at.is_not(None) & Story.live_ended_at.is_(None)


def _has_started() -> ColumnElement[bool]:
    return Story.live_started_at.is_not(None)


def _claim(story: Story, rule: Transition, coverage: ColumnElement[bool], **values: object) -> None:
    """The conditional UPDATE: the story is still in the state and coverage check() judged (on
    PostgreSQL it also holds the row until commit, so changes to one story's entries queue)."""
    facts = facts_of(story)
    claimed = db.session.execute(
        update(Story)
        .where(
            Story.id == story.id,
            Story.state == facts.state,
            Story.desk_id == facts.desk_id,
            coverage,
        )
        .values(**values)
        .returning(Story.live_started_at, Story.live_ended_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        db.session.refresh(story)
        if story.coverage not in rule.coverage:
            raise WrongState(COVERAGE_REFUSALS[story.coverage])
        raise WrongState(
            "Someone else changed this story first; it is now "
            f"{StoryState(story.state).label.lower()}. Nothing was changed by your request."
        )


def _change_entry(entry: LiveEntry, story: Story, **values: object) -> None:
    """UPDATE the entry unless it was deleted (or belongs to another story)."""
    changed = db.session.execute(
        update(LiveEntry)
        .where(
            LiveEntry.id == entry.id,
            LiveEntry.story_id == story.id,
            LiveEntry.deleted_at.is_(None),
        )
        .values(**values)
        .returning(LiveEntry.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not changed:
        rollback()
        raise WrongState("This entry was deleted; it can no longer be changed.")
    db.session.expire(entry)


def _record(
    rule: Transition,
    story: Story,
    actor: Person,
    entry: LiveEntry | None = None,
    data: dict[str, object] | None = None,
) -> None:
    audit.record(
        rule.audit,
        actor=actor,
        story_id=story.id,
        subject_type="live_entry" if entry else "story",
        subject_id=entry.id if entry else None,
        data=data,
    )


def _finish(
    story: Story,
    rule: Transition,
    actor: Person,
    *,
    also_photos: list[int | None] | None = None,
    listed: bool = False,
) -> Story:
    """A public story's pages change now, in this transaction: an entry changes the story's
    own pages only; starting or ending coverage (`listed`) also every list marking it LIVE.
    Its entries' photos' public copies follow (S3)."""
    story_id, public = story.id, story.state == StoryState.PUBLISHED
    if public:
        if listed:
            refresh_stories([story_id])
        else:
            bump(story_key(story_id))
        public_media.stories_changed([story_id], also_photos=also_photos or [])
    db.session.expire(story)
    commit()
    return story


def _validated(data: EntryInput) -> dict[str, object]:
    """The entry's columns, or every problem at once (the view keeps the text)."""
    errors = {}
    body = data.body.strip()
    if not body:
        errors["entry"] = "The entry is empty; write it before posting."
    elif len(body) > ENTRY_MAX:
        errors["entry"] = (
            f"Entries are at most {ENTRY_MAX:,} characters; this one has {len(body):,}. "
            "Split it into several entries, or make it a story of its own."
        )
    link = data.link.strip()
    if link:
        parts = urlsplit(link)
        if len(link) > LINK_MAX or parts.scheme not in {"http", "https"} or not parts.netloc:
            errors["link"] = "A link is a web address starting with https:// (or http://)."
    photo = db.session.get(Photo, data.photo_id) if data.photo_id is not None else None
    if data.photo_id is not None and photo is None:
        errors["photo_id"] = "That photo is not in the library (it may have been deleted)."
    elif photo is not None and not (photo.credit.strip() and photo.alt_text.strip()):
        # Readers may see an entry at once: a photo goes out credited and described, as a
        # lead photo must before it is published.
        errors["photo_id"] = (
            "That photo has no credit or no alt text; add them on its page "
            f"(/newsroom/media/{photo.id}), then post again."
        )
    if errors:
        raise ValidationFailed(errors)
    return {
        "body": body,
        "body_html": render_body(body),
        "link": link,
        "photo_id": data.photo_id,
    }
