"""Each desk's house-style checklist: admins set it; Publish and Schedule run it.

The rules are editorial.style; this module stores a desk's settings and applies them to a
story inside the transition's transaction. A desk editor may publish or schedule a story that
fails the checklist only with a note: the override is an audit event (`story.style_overridden`,
in the story's history) committed with the transition itself.
"""

from __future__ import annotations

from dataclasses import asdict

from editorial.extensions import db
from editorial.models import Desk, HouseStyle, Person, Photo, Story
from editorial.services import audit, commit
from editorial.services.errors import ValidationFailed
from editorial.style import StoryCopy, StyleSettings, failures

NOTE_MAX = 2000


class StyleFailed(ValidationFailed):
    """The story fails its desk's checklist and nobody overrode it (HTTP 400, form error)."""

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            {
                "style": f"Not done: this story fails the desk's house style ({count}: "
                + " ".join(problems)
                + "). Fix them, or tick Override house style and say why in the override note."
            }
        )
        self.problems = problems


def desk_style(desk_id: int) -> StyleSettings:
    """A desk's settings (no row: no checks)."""
    row = db.session.get(HouseStyle, desk_id)
    if row is None:
        return StyleSettings()
    return StyleSettings(
        needs_dateline=row.needs_dateline,
        needs_byline=row.needs_byline,
        needs_standfirst=row.needs_standfirst,
        needs_photo_credit=row.needs_photo_credit,
        headline_max=row.headline_max,
        body_min_words=row.body_min_words,
    )


def set_house_style(desk: Desk, settings: StyleSettings, *, actor: Person | None) -> None:
    """Replace a desk's checklist (admins; the admin blueprint checks who)."""
    before = desk_style(desk.id)
    if before == settings:
        return
    row = db.session.get(HouseStyle, desk.id) or HouseStyle(desk_id=desk.id)
    for name, value in asdict(settings).items():
        setattr(row, name, value)
    db.session.add(row)
    audit.record(
        "desk.style_changed",
        actor=actor,
        subject_type="desk",
        subject_id=desk.id,
        data={"before": asdict(before), "after": asdict(settings)},
    )
    commit()


def style_failures(story: Story) -> list[str]:
    """What this story lacks under its desk's checklist (empty: it passes)."""
    settings = desk_style(story.desk_id)
    if settings.is_empty:
        return []
    photo = db.session.get(Photo, story.lead_photo_id) if story.lead_photo_id else None
    return failures(
        settings,
        StoryCopy(
            headline=story.headline,
            standfirst=story.standfirst,
            byline=story.byline,
            dateline=story.dateline,
            body_words=story.word_count,
            has_photo=photo is not None,
            photo_credit=photo.credit if photo else "",
            photo_alt=photo.alt_text if photo else "",
        ),
    )


def check_house_style(
    story: Story, *, actor: Person, action: str, override: bool, note: str
) -> None:
    """Refuse a story that fails the checklist, unless overridden with a note (then audited
    in the caller's transaction)."""
    problems = style_failures(story)
    if not problems:
        return
    if not override:
        raise StyleFailed(problems)
    note = note.strip()
    if not note:
        raise ValidationFailed(
            {
                "style_note": "To go ahead despite the house style, say why in the override "
                "note (it is kept in the story's history)."
            }
        )
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            {"style_note": f"Override notes are at most {NOTE_MAX:,} characters."}
        )
    audit.record(
        "story.style_overridden",
        actor=actor,
        story_id=story.id,
        note=note,
        data={"action": action, "failures": problems},
    )
