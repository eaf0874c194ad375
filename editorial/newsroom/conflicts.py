"""A stale save, merged: the text this person started from (the base), theirs (what was saved
meanwhile) and mine (the form), paragraph by paragraph, with a pick wherever both changed the
same thing. The merge itself is `editorial.merge`; this module finds the three texts, who saved
and when, and reads the person's picks from the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from editorial import merge
from editorial.extensions import db
from editorial.merge import MINE, THEIRS, Agreed, Conflict, MergeResult
from editorial.models import AuditEvent, Person, Revision, Story
from editorial.newsroom.diff import Segment, word_diff
from editorial.newsroom.editing import when
from editorial.services.stories import StoryInput, clean_input

MERGE = "merge"  # the action of the button "Save merged version"
# The text fields a revision keeps, merged one by one as a whole (the body by paragraphs).
FIELDS = (
    ("headline", "Headline"),
    ("standfirst", "Standfirst"),
    ("byline", "Byline"),
    ("dateline", "Dateline"),
)
FIELD_CHOICES = (MINE, THEIRS)
PICK = "pick-"  # radio names: pick-headline, pick-body-0, pick-body-1, ...


class BadPick(ValueError):
    """A pick that is none of the offered choices (a forged or broken form: HTTP 400)."""


class MissingPick(ValueError):
    """Some clashes were left without a pick (HTTP 422: the page asks for them)."""


@dataclass(frozen=True)
class Saver:
    """Who made the version this save lost the race to, and when."""

    name: str
    at: datetime
    me: bool
    text: bool  # False: they changed the status or settings only, not the text

    @property
    def sentence(self) -> str:
        at = when(self.at)
        if not self.text:
            who = "You" if self.me else self.name
            return f"{who} changed this story's status or settings at {at} (not its text)"
        if self.me:
            return f"You saved this in another tab at {at}"
        return f"{self.name} saved this at {at}"

    @property
    def theirs(self) -> str:
        """The label of their side."""
        return "Your other tab's" if self.me else f"{self.name}'s"


@dataclass(frozen=True)
class Row:
    """One step of the paragraph diff: unchanged, mine, theirs, both (the same change), or a
    conflict (`number` names its radios)."""

    kind: str
    paragraphs: tuple[str, ...] = ()
    segments: list[Segment] = field(default_factory=list)
    conflict: Conflict | None = None
    number: int = -1


@dataclass(frozen=True)
class FieldMerge:
    name: str
    label: str
    result: MergeResult
    mine: str
    theirs: str

    @property
    def source(self) -> str:
        """Whose value the merge keeps when clean: unchanged, mine, theirs or both."""
        [hunk] = self.result.hunks or (Agreed((), merge.UNCHANGED, ()),)
        return hunk.source if isinstance(hunk, Agreed) else ""


@dataclass(frozen=True)
class StoryMerge:
    base_version: int
    base_known: bool  # False: no revision for it (saved before 0031): every difference clashes
    saver: Saver
    fields: list[FieldMerge]
    body: MergeResult
    rows: list[Row]

    @property
    def clean(self) -> bool:
        return self.body.clean and all(f.result.clean for f in self.fields)

    @property
    def clashes(self) -> int:
        return len(self.body.conflicts) + sum(not f.result.clean for f in self.fields)

    def merged(self, mine: StoryInput, form: Mapping[str, str]) -> StoryInput:
        """My input with the merged text, picks read from `form` (raises BadPick on a value
        that is not a choice, MissingPick naming the clashes left without one)."""
        missing: list[str] = []

        def picks(names: list[str], allowed: tuple[str, ...], labels: list[str]) -> list[str]:
            chosen = []
            for name, label in zip(names, labels, strict=True):
                value = form.get(name) or ""
                if value and value not in allowed:
                    raise BadPick(
                        f"“{value[:40]}” is not one of the choices ({', '.join(allowed)})."
                    )
                if not value:
                    missing.append(label)
                chosen.append(value)
            return chosen

        field_picks = {
            f.name: picks([f"{PICK}{f.name}"], FIELD_CHOICES, [f.label])
            for f in self.fields
            if not f.result.clean
        }
        count = len(self.body.conflicts)
        body_picks = picks(
            [f"{PICK}body-{n}" for n in range(count)],
            merge.CHOICES,
            [f"body paragraphs {n + 1}" for n in range(count)],
        )
        if missing:
            raise MissingPick(", ".join(missing))
        values = {f.name: f.result.text(field_picks.get(f.name, [])) for f in self.fields}
        return StoryInput(**{**mine.__dict__, **values, "body": self.body.text(body_picks)})


def text_at(story_id: int, version: int) -> Revision | None:
    """The revision holding the story's text at `version` (transitions bump the version
    without a revision: the latest one made at or before it)."""
    return db.session.scalar(
        select(Revision)
        .where(Revision.story_id == story_id, Revision.story_version <= version)
        .order_by(Revision.story_version.desc(), Revision.number.desc())
        .limit(1)
    )


def saver_since(story: Story, version: int, me: Person) -> Saver:
    """Who changed the story after `version`: the last text save, else the last event."""
    revision = db.session.scalar(
        select(Revision)
        .options(joinedload(Revision.created_by))
        .where(Revision.story_id == story.id, Revision.story_version > version)
        .order_by(Revision.number.desc())
        .limit(1)
    )
    if revision is not None:
        who = revision.created_by
        return Saver(who.name, revision.created_at, who.id == me.id, text=True)
    event = db.session.scalar(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.story_id == story.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    if event is None or event.actor is None:
        return Saver("The system", event.at if event else story.modified_at, False, text=False)
    return Saver(event.actor.name, event.at, event.actor.id == me.id, text=False)


def _rows(body: MergeResult) -> list[Row]:
    rows: list[Row] = []
    for hunk in body.hunks:
        if isinstance(hunk, Conflict):
            rows.append(Row("conflict", conflict=hunk, number=len([r for r in rows if r.conflict])))
        elif hunk.source == merge.UNCHANGED:
            rows.append(Row(merge.UNCHANGED, hunk.paragraphs))
        else:
            changes = word_diff(merge.join(hunk.base), merge.join(hunk.paragraphs))
            rows.append(Row(hunk.source, hunk.paragraphs, changes))
    return rows


def story_merge(story: Story, mine: StoryInput, base_version: int, me: Person) -> StoryMerge:
    """Merge my input (made from `base_version`) with the story as it is saved now."""
    mine = clean_input(mine)
    base = text_at(story.id, base_version)
    fields = []
    for name, label in FIELDS:
        was = getattr(base, name) if base is not None else ""
        ours = getattr(mine, name) or (was if name == "byline" else "")  # blank byline: kept
        theirs = getattr(story, name)
        fields.append(FieldMerge(name, label, merge.merge_field(was, ours, theirs), ours, theirs))
    body = merge.merge3(base.body if base is not None else "", mine.body, story.body)
    return StoryMerge(
        base_version=base_version,
        base_known=base is not None,
        saver=saver_since(story, base_version, me),
        fields=fields,
        body=body,
        rows=_rows(body),
    )
