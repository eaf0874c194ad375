"""The photo library's reads: the grid's filters (parsed from the query string, so every view of
the library has a stable URL), one page of the grid, and a photo's renditions and history.

Rows are read as named columns with their uploader and desk joined in: no Photo object (whose
relationships raise when touched unasked) reaches the grid's template.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased, joinedload
from werkzeug.datastructures import MultiDict

from editorial import keyset
from editorial.extensions import db
from editorial.models import (
    AuditEvent,
    Desk,
    Person,
    Photo,
    PhotoTag,
    Rendition,
    Story,
    StoryPhoto,
)
from editorial.newsroom.forms import FIRST_DAY, LAST_DAY, parse_int
from editorial.newsroom.planning import day_bounds
from editorial.services.slugs import tag_key

PAGE_SIZE = 48
Q_MAX = 200
USES = {"": "Used or not", "used": "Used by a story", "unused": "Not used"}


@dataclass
class LibraryFilters:
    """What the library was asked to show (already parsed)."""

    q: str = ""
    desk_id: int | None = None
    uploader_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None
    use: str = ""

    def is_filtered(self) -> bool:
        return bool(
            self.q or self.desk_id or self.uploader_id or self.day_from or self.day_to or self.use
        )


def _day(raw: str) -> tuple[date | None, str]:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None, f"“{raw}” is not a date; use YYYY-MM-DD."
    if not FIRST_DAY <= day <= LAST_DAY:
        return None, f"{raw} is outside the years {FIRST_DAY.year} to {LAST_DAY.year}."
    return day, ""


def library_filters(args: MultiDict[str, str]) -> tuple[LibraryFilters, dict[str, str]]:
    """The query string as filters, and a message for each value that does not parse (that
    filter is then left out, never guessed)."""
    errors: dict[str, str] = {}
    filters = LibraryFilters(q=" ".join((args.get("q") or "").split())[:Q_MAX])
    for name, attr, what in (("desk", "desk_id", "desk"), ("uploader", "uploader_id", "person")):
        raw = (args.get(name) or "").strip()
        if raw:
            value = parse_int(raw)
            if value is None:
                errors[name] = f"There is no such {what}; choose one from the list."
            setattr(filters, attr, value)
    for name, attr in (("from", "day_from"), ("to", "day_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            day, problem = _day(raw)
            if problem:
                errors[name] = problem
            setattr(filters, attr, day)
    if filters.day_from and filters.day_to and filters.day_from > filters.day_to:
        errors["to"] = "“Uploaded to” is before “Uploaded from”; swap them."
    use = (args.get("use") or "").strip()
    if use in USES:
        filters.use = use
    else:
        errors["use"] = "Choose one of the options offered."
    return filters, errors


@dataclass(frozen=True)
class Tile:
    """One photo in the grid."""

    id: int
    caption: str
    credit: str
    alt_text: str
    width: int
    height: int
    created_at: datetime
    uploader: str
    desk: str | None
    ready: bool
    used: bool


def _used() -> ColumnElement[bool]:
    """A story leads with the photo or places it in its body."""
    return or_(
        exists().where(Story.lead_photo_id == Photo.id),
        exists().where(StoryPhoto.photo_id == Photo.id),
    )


def _matches(q: str) -> ColumnElement[bool] | None:
    """Every word in the caption, credit, alt text or tags (any case; % and _ are literal)."""
    words = q.split()
    if not words:
        return None
    return and_(*(_word(word) for word in words))


def _word(word: str) -> ColumnElement[bool]:
    found = [
        Photo.caption.icontains(word, autoescape=True),
        Photo.credit.icontains(word, autoescape=True),
        Photo.alt_text.icontains(word, autoescape=True),
    ]
    if key := tag_key(word):  # a tag by any part of its name: "flood", "2026" find "Floods 2026"
        found.append(
            exists().where(
                PhotoTag.photo_id == Photo.id, PhotoTag.key.contains(key, autoescape=True)
            )
        )
    return or_(*found)


def library(
    filters: LibraryFilters,
    tz: ZoneInfo,
    *,
    before: keyset.Cursor | None = None,
    after: keyset.Cursor | None = None,
) -> keyset.Window:
    """One keyset page of the grid, newest first (an index walk of (created_at, id) from the
    cursor, where an OFFSET read every newer photo), with its neighbours' cursors."""
    conditions: list[ColumnElement[bool]] = []
    if (text := _matches(filters.q)) is not None:
        conditions.append(text)
    if filters.desk_id is not None:
        conditions.append(Photo.desk_id == filters.desk_id)
    if filters.uploader_id is not None:
        conditions.append(Photo.uploaded_by_id == filters.uploader_id)
    if filters.day_from is not None:
        conditions.append(Photo.created_at >= day_bounds(filters.day_from, tz)[0])
    if filters.day_to is not None:
        conditions.append(Photo.created_at < day_bounds(filters.day_to, tz)[1])
    if filters.use == "used":
        conditions.append(_used())
    elif filters.use == "unused":
        conditions.append(~_used())
    uploader = aliased(Person)
    statement = (
        select(
            Photo.id,
            Photo.caption,
            Photo.credit,
            Photo.alt_text,
            Photo.width,
            Photo.height,
            Photo.created_at,
            uploader.name,
            Desk.name,
            Photo.renditions_ready_at.is_not(None),
            _used(),
        )
        .join(uploader, uploader.id == Photo.uploaded_by_id)
        .outerjoin(Desk, Desk.id == Photo.desk_id)
        .where(*conditions)
        .order_by(Photo.created_at.desc(), Photo.id.desc())
    )
    found = keyset.window(
        statement,
        (Photo.created_at, Photo.id),
        PAGE_SIZE,
        before=before,
        after=after,
        fetch=lambda page: db.session.execute(page).all(),
    )
    return replace(found, items=[Tile(*row) for row in found.items])


def searched_for(filters: LibraryFilters, names: dict[str, dict[int, str]]) -> list[str]:
    """What the filters asked for, in words (the empty state repeats it)."""
    said = []
    if filters.q:
        said.append(f"matching “{filters.q}”")
    if filters.desk_id is not None:
        said.append(f"of the desk {names['desk'].get(filters.desk_id, f'#{filters.desk_id}')}")
    if filters.uploader_id is not None:
        name = names["uploader"].get(filters.uploader_id, f"#{filters.uploader_id}")
        said.append(f"uploaded by {name}")
    if filters.day_from is not None:
        said.append(f"uploaded on or after {filters.day_from.isoformat()}")
    if filters.day_to is not None:
        said.append(f"uploaded on or before {filters.day_to.isoformat()}")
    if filters.use:
        said.append("used by a story" if filters.use == "used" else "not used by any story")
    return said


def filter_choices() -> dict[str, list[tuple[int, str]]]:
    """The desks and the people who have uploaded photos (the library is shared)."""
    desks = db.session.execute(select(Desk.id, Desk.name).order_by(Desk.position, Desk.name))
    people = db.session.execute(
        select(Person.id, Person.name)
        .where(exists().where(Photo.uploaded_by_id == Person.id))
        .order_by(Person.name)
    )
    return {
        "desk": [(row.id, row.name) for row in desks],
        "uploader": [(row.id, row.name) for row in people],
    }


# --- one photo ----------------------------------------------------------------------------------


def renditions(photo_id: int) -> list[Rendition]:
    """The photo's renditions: the whole frame, then each crop, by format and width."""
    return list(
        db.session.scalars(
            select(Rendition)
            .where(Rendition.photo_id == photo_id)
            .order_by(Rendition.crop, Rendition.format, Rendition.width)
        )
    )


HISTORY_LIMIT = 100


def history(photo_id: int) -> list[AuditEvent]:
    """The photo's audit events (upload, edits, replacements), newest first, with who."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.subject_type == "photo", AuditEvent.subject_id == photo_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )


def _size(facts: dict[str, Any]) -> str:
    return f"{facts.get('format', '')}, {facts.get('width')} \u00d7 {facts.get('height')}"


def describe_event(event: AuditEvent) -> str:
    """One line of a photo's history."""
    data: dict[str, Any] = event.data or {}
    if event.action == "photo.uploaded":
        return f"Uploaded ({_size(data)})"
    if event.action == "photo.edited":
        fields = [str(f).replace("_", " ") for f in data.get("fields", [])]
        return f"Edited: {', '.join(fields)}" if fields else "Saved without changes"
    if event.action == "photo.replaced":
        return f"File replaced (now {_size(data.get('to') or {})})"
    if event.action == "photo.deleted":
        return "Deleted"
    return event.action
