"""Autosave and presence: the editor's working copy and its heartbeat.

A working copy is what one person last had in the editor for one story ("story:<id>") or one
new, never-saved story ("new:<draft key>"). Keeping it is one upsert: never a revision, never
the story's version, no audit event (it is nobody's record but the typist's, and arrives every
few seconds). The real save that makes it obsolete deletes it in its own transaction
(`forget_copy`, called by `create_story` and `save_story`).

An autosave that arrives after the story moved on (saved by someone else, submitted,
published) is still kept, so nothing typed is lost; the answer says the story moved on. Only
someone who may not edit the story and was not editing it when it changed is refused.

Presence rows are heartbeats of open editors, one per (story, person): "since" is when this
run of heartbeats began, and a row is stale once no heartbeat came for `PRESENCE_STALE`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.models import BODY_MAX, EditorPresence, Person, Story, WorkingCopy
from editorial.models.loading import actor_of, facts_of
from editorial.services import commit
from editorial.services.errors import TransitionNotAllowed, ValidationFailed
from editorial.timeutil import utcnow
from editorial.workflow import can_edit

# The editor's fields a working copy keeps (the names of the form's fields).
FIELDS = (
    "headline",
    "standfirst",
    "body",
    "byline",
    "dateline",
    "desk",
    "slug",
    "tags",
    "embargo",
    "lead_photo",
    "lead_caption",
    "is_correction",
    "correction_note",
    "update_note",
)
FIELD_MAX = 10_000  # every field but the body: far above what any of them allows on save
PRESENCE_STALE = timedelta(seconds=60)
DRAFT_KEY = re.compile(r"[A-Za-z0-9-]{8,40}")
CLIENT = re.compile(r"[A-Za-z0-9-]{0,40}")


def story_key(story_id: int) -> str:
    return f"story:{story_id}"


def draft_key(draft: str) -> str:
    return f"new:{draft}"


@dataclass(frozen=True)
class Autosaved:
    """What an autosave did: when it was kept, and whether the story moved on meanwhile."""

    saved_at: datetime
    moved_on: bool = False
    version: int = 0
    other_tab: bool = False  # another tab of this person's has the story open too


def copy_problems(fields: Mapping[str, str]) -> dict[str, str]:
    """Fields too long to keep (the limits of a save, the text stays in the browser)."""
    problems = {}
    body = fields.get("body", "")
    if len(body) > BODY_MAX:
        problems["body"] = (
            f"The body is {len(body):,} characters; the limit is {BODY_MAX:,}. This text was "
            "not saved on the server: it is kept in this browser. Shorten it to save it."
        )
    for name in FIELDS:
        if name != "body" and len(fields.get(name, "")) > FIELD_MAX:
            problems[name] = (
                f"The {name.replace('_', ' ')} field is over {FIELD_MAX:,} characters, so this "
                "text was not saved on the server; it is kept in this browser."
            )
    return problems


def _insert(model: type) -> Any:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def keep_working_copy(
    fields: Mapping[str, str],
    *,
    actor: Person,
    story: Story | None = None,
    draft: str = "",
    base_version: int = 0,
    client: str = "",
) -> Autosaved:
    """Keep the editor's fields for this person (a story's, or a new draft's by its key)."""
    return autosave(fields, actor=actor, story=story, draft=draft, base_version=base_version,
                    client=client, beat=False)  # fmt: skip


def autosave(
    fields: Mapping[str, str] | None,
    *,
    actor: Person,
    story: Story | None = None,
    draft: str = "",
    base_version: int = 0,
    client: str = "",
    beat: bool = True,
    leave: bool = False,
) -> Autosaved:
    """One request of the editor's script, in one transaction: keep the fields (None: a
    heartbeat only), then say this person has the story open (`beat`) or has closed it
    (`leave`)."""
    if story is None and not DRAFT_KEY.fullmatch(draft):
        raise ValidationFailed({"draft": "This new story's draft key is missing or malformed."})
    if not CLIENT.fullmatch(client):
        client = ""
    # Read once: every commit expires the story.
    story_id = story.id if story is not None else None
    version = story.version if story is not None else 0
    editable = story is not None and can_edit(actor_of(actor), facts_of(story))
    moved_on = story is not None and version != base_version
    now = utcnow()
    if fields is not None:
        # Editing when it moved out of this person's hands (submitted, published): keep the
        # text. Never editing it at all: refuse.
        if story is not None and not editable and not (moved_on and base_version < version):
            raise TransitionNotAllowed("You may not edit this story in its current state.")
        kept = {name: str(fields.get(name, "")) for name in FIELDS}
        if problems := copy_problems(kept):
            raise ValidationFailed(problems)
        _keep(kept, actor.id, story_id, draft, base_version, client, now)
    other_tab = False
    if story_id is not None and leave:
        _leave(story_id, actor.id, client)
    elif story_id is not None and beat and editable:
        other_tab = _beat(story_id, actor.id, client, now)
    commit()
    return Autosaved(saved_at=now, moved_on=moved_on, version=version, other_tab=other_tab)


def _keep(
    kept: dict[str, str],
    person_id: int,
    story_id: int | None,
    draft: str,
    base_version: int,
    client: str,
    now: datetime,
) -> None:
    values = {
        "base_version": base_version if story_id is not None else 0,
        "fields": kept,
        "client": client,
        "saved_at": now,
    }
    key = story_key(story_id) if story_id is not None else draft_key(draft)
    db.session.execute(
        _insert(WorkingCopy)
        .values(person_id=person_id, key=key, story_id=story_id, **values)
        .on_conflict_do_update(index_elements=["person_id", "key"], set_=values)
    )


def forget_copy(person_id: int, key: str) -> None:
    """Delete a working copy inside the caller's transaction (the real save that replaces it)."""
    db.session.execute(
        delete(WorkingCopy)
        .where(WorkingCopy.person_id == person_id, WorkingCopy.key == key)
        .execution_options(synchronize_session=False)
    )


def discard_working_copy(key: str, *, actor: Person) -> None:
    """The person chose "Discard": their working copy goes (only theirs, by construction)."""
    forget_copy(actor.id, key)
    commit()


def _beat(story_id: int, person_id: int, client: str, now: datetime) -> bool:
    """Upsert this person's presence; True if another of their tabs beat within the minute."""
    fresh_after = now - PRESENCE_STALE
    table = EditorPresence.__table__
    before = db.session.execute(
        select(EditorPresence.client, EditorPresence.seen_at).where(
            EditorPresence.story_id == story_id, EditorPresence.person_id == person_id
        )
    ).first()
    db.session.execute(
        _insert(EditorPresence)
        .values(story_id=story_id, person_id=person_id, since=now, seen_at=now, client=client)
        .on_conflict_do_update(
            index_elements=["story_id", "person_id"],
            set_={
                "since": case(
                    (table.c.seen_at < fresh_after, literal(now, table.c.since.type)),
                    else_=table.c.since,
                ),
                "seen_at": now,
                "client": client,
            },
        )
    )
    return bool(
        before is not None
        and client
        and before.client
        and before.client != client
        and before.seen_at >= fresh_after
    )


def _leave(story_id: int, person_id: int, client: str) -> None:
    statement = delete(EditorPresence).where(
        EditorPresence.story_id == story_id, EditorPresence.person_id == person_id
    )
    if client:  # another tab of this person's may still be open
        statement = statement.where(EditorPresence.client == client)
    db.session.execute(statement.execution_options(synchronize_session=False))
