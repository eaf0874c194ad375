"""Newsroom forms and the parsing of what people typed into services' inputs.

The services validate; these only turn form text into typed values and report what cannot be
parsed. Fields a form does not declare (state, author_id, published_at...) are never read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)

from editorial.extensions import db
from editorial.models import Desk, Person, Photo, Story
from editorial.newsroom.planning import day_bounds
from editorial.newsroom.queries import SearchFilters
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput
from editorial.timeutil import format_local, parse_local
from editorial.workflow import StoryState

PHOTO_PICKER_SIZE = 100  # the library's newest; a search picker comes with the editor issue
DIGITS = re.compile(r"[0-9]{1,9}")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
# The days a budget, calendar or search can show: any newsroom's archive and plans fit, and the
# neighbours of the first and last (previous day, next month, a week's grid, a day in another
# time zone) are still dates Python and the databases can hold.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class StoryForm(FlaskForm):
    """The story editor. Labels are the contract's."""

    headline = StringField("Headline")
    standfirst = TextAreaField("Standfirst")
    body = TextAreaField("Body")
    byline = StringField("Byline")
    dateline = StringField("Dateline")
    desk = SelectField("Desk", choices=[], validate_choice=False)
    slug = StringField("Slug")
    tags = StringField("Tags")
    embargo = StringField("Embargo", render_kw={"type": "datetime-local"})
    version = HiddenField()
    draft = HiddenField()  # a new story's draft key (autosave), set by the editor's script
    is_correction = BooleanField("This is a correction")
    correction_note = TextAreaField("Correction note")
    update_note = TextAreaField("Update note")
    lead_photo = SelectField("Lead photo", choices=[], validate_choice=False)
    lead_caption = TextAreaField("Lead photo caption")
    live_coverage = BooleanField("Live coverage")


class PhotoDetailsForm(FlaskForm):
    """A photo's words, on its page. Labels are the contract's."""

    caption = TextAreaField("Caption")
    credit = StringField("Credit")
    alt_text = StringField("Alt text")
    tags = StringField("Tags")


PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/heic,image/heif,image/avif"


class PhotoForm(PhotoDetailsForm):
    """The upload form of the photo library: the files (one or several) and their words."""

    photo = MultipleFileField("Photo", render_kw={"accept": PHOTO_TYPES})
    desk = SelectField("Desk", choices=[], validate_choice=False)


class ReplaceFileForm(FlaskForm):
    """A new original for a photo, on its page."""

    photo = FileField("New file", render_kw={"accept": PHOTO_TYPES})


def desk_choices(person: Person, story: Story | None = None) -> list[tuple[str, str]]:
    """The person's desks (an editor's are the desks they edit), plus the story's own."""
    desks = {d.id: d for d in person.desks}
    if story is not None and story.desk_id not in desks:
        desks[story.desk_id] = story.desk
    ordered = sorted(desks.values(), key=lambda d: (d.position, d.name))
    return [(str(d.id), d.name) for d in ordered]


def photo_choices(story: Story | None) -> list[tuple[str, str]]:
    """The picker of the Lead photo field: the newest photos, and the story's own."""
    recent = select(Photo.id, Photo.caption, Photo.credit).order_by(
        Photo.created_at.desc(), Photo.id.desc()
    )
    rows = list(db.session.execute(recent.limit(PHOTO_PICKER_SIZE)))
    if story is not None and story.lead_photo_id not in {None, *(row.id for row in rows)}:
        rows += db.session.execute(recent.where(Photo.id == story.lead_photo_id))
    return [("", "No lead photo")] + [
        (str(row.id), f"#{row.id} {row.caption[:60] or 'No caption'} ({row.credit or 'no credit'})")
        for row in rows
    ]


def story_form_data(story: Story, tz: ZoneInfo) -> dict[str, object]:
    """The editor's initial values for an existing story."""
    return {
        "headline": story.headline,
        "standfirst": story.standfirst,
        "body": story.body,
        "byline": story.byline,
        "dateline": story.dateline,
        "desk": str(story.desk_id),
        "slug": story.slug,
        "tags": ", ".join(t.name for t in story.tags),
        "embargo": format_local(story.embargo_at, tz, LOCAL_INPUT),
        "version": str(story.version),
        "lead_photo": str(story.lead_photo_id or ""),
        "lead_caption": story.lead_caption,
        "live_coverage": story.live_started_at is not None,
    }


def parse_int(text: str | None) -> int | None:
    """A plain positive integer, or None for anything else (garbage, signs, other digits)."""
    text = (text or "").strip()
    return int(text) if DIGITS.fullmatch(text) else None


def parse_local_time(text: str, tz: ZoneInfo) -> datetime:
    """A local date-time as a UTC instant; ValueError with a readable message otherwise."""
    try:
        return parse_local(text, tz)
    except OverflowError as error:  # year 1 in a zone east of UTC, and similar
        raise ValueError(f"“{text}” is not a usable date; check the year.") from error


def story_input(form: StoryForm, tz: ZoneInfo) -> tuple[StoryInput, dict[str, str]]:
    """The editor's fields as a StoryInput, and the errors of fields that do not parse."""
    errors: dict[str, str] = {}
    raw_desk = form.desk.data or ""
    desk_id = parse_int(raw_desk)
    if raw_desk and (desk_id is None or db.session.get(Desk, desk_id) is None):
        errors["desk"] = "There is no such desk; choose one of your desks."
        desk_id = None
    embargo_at = None
    if raw_embargo := (form.embargo.data or "").strip():
        try:
            embargo_at = parse_local_time(raw_embargo, tz)
        except ValueError as error:
            errors["embargo"] = f"Embargo: {error}"
    data = StoryInput(
        headline=form.headline.data or "",
        standfirst=form.standfirst.data or "",
        body=form.body.data or "",
        byline=form.byline.data or "",
        dateline=form.dateline.data or "",
        desk_id=desk_id,
        slug=form.slug.data or "",
        tags=[t for t in (form.tags.data or "").split(",") if t.strip()],
        embargo_at=embargo_at,
        lead_photo_id=parse_int(form.lead_photo.data),
        lead_caption=form.lead_caption.data or "",
    )
    return data, errors


def correction_input(form: StoryForm) -> tuple[CorrectionInput | None, dict[str, str]]:
    """The public notice for an edit of a published story: a correction, an update, or none."""
    correction = (form.correction_note.data or "").strip()
    update = (form.update_note.data or "").strip()
    if form.is_correction.data:
        if not correction:
            return None, {"correction_note": "Write the correction readers will see."}
        return CorrectionInput(note=correction, is_correction=True), {}
    if correction:
        return None, {
            "correction_note": "Tick “This is a correction” to publish this correction, "
            "or write it as an update note instead."
        }
    if update:
        return CorrectionInput(note=update, is_correction=False), {}
    return None, {}


def _out_of_range(day: date) -> bool:
    return not FIRST_DAY <= day <= LAST_DAY


def _years() -> str:
    return f"the years {FIRST_DAY.year} to {LAST_DAY.year}"


def parse_day(text: str | None, today: date) -> tuple[date, str]:
    """A YYYY-MM-DD day (default today), and an error if the text was not one we can show."""
    if not text:
        return today, ""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return today, f"“{text}” is not a date (YYYY-MM-DD); showing today."
    if _out_of_range(day):
        return today, f"{day.isoformat()} is outside {_years()}; showing today."
    return day, ""


def parse_month(text: str | None, today: date) -> tuple[date, str]:
    """The first day of a YYYY-MM month (default this month), and an error if unparseable."""
    if not text:
        return today.replace(day=1), ""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        return today.replace(day=1), f"“{text}” is not a month (YYYY-MM); showing this month."
    if _out_of_range(first):
        return today.replace(day=1), f"{text.strip()} is outside {_years()}; showing this month."
    return first, ""


def search_filters(args: MultiDict, tz: ZoneInfo) -> tuple[SearchFilters, dict[str, str]]:
    """The search form's query string as filters, and the errors of values that do not parse."""
    errors: dict[str, str] = {}
    filters = SearchFilters(q=(args.get("q") or "").strip()[:200])
    state = args.get("state") or ""
    if state:
        try:
            filters.state = StoryState(state)
        except ValueError:
            errors["state"] = "Unknown state."
    for name, attr in (("desk", "desk_id"), ("author", "author_id")):
        raw = args.get(name) or ""
        if raw:
            value = parse_int(raw)
            if value is None:
                errors[name] = f"Unknown {name}."
            setattr(filters, attr, value)
    for name, attr, shift in (("from", "changed_from", 0), ("to", "changed_before", 1)):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = f"“{raw}” is not a date (YYYY-MM-DD)."
                continue
            if _out_of_range(day):
                errors[name] = f"{raw} is outside {_years()}."
            else:
                setattr(filters, attr, day_bounds(day + timedelta(days=shift), tz)[0])
    return filters, errors
