"""The house-style checklist: every rule in one place, as plain Python (no Flask, no SQL).

A desk's settings (`StyleSettings`, stored as a `house_styles` row) say which rules apply;
`failures()` lists, in words an editor can act on, what a story lacks. Publish and Schedule run
it; a desk editor may go ahead anyway with a note (editorial.services.housestyle).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

HEADLINE_LIMIT = 200  # the longest headline the editor takes (models.HEADLINE_MAX)
WORDS_LIMIT = 100_000


@dataclass(frozen=True)
class StyleSettings:
    """Which checks a desk runs; a number of None switches that check off."""

    needs_dateline: bool = False
    needs_byline: bool = False
    needs_standfirst: bool = False
    needs_photo_credit: bool = False
    headline_max: int | None = None
    body_min_words: int | None = None

    @property
    def is_empty(self) -> bool:
        return self == StyleSettings()


@dataclass(frozen=True)
class StoryCopy:
    """What the checklist reads of a story."""

    headline: str
    standfirst: str
    byline: str
    dateline: str
    body_words: int
    has_photo: bool = False
    photo_credit: str = ""
    photo_alt: str = ""


Rule = Callable[[StyleSettings, StoryCopy], str | None]


def dateline_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    """A dateline, its place in capitals ('DHAKA', 'COX'S BAZAR, Dec 1')."""
    if not settings.needs_dateline:
        return None
    dateline = story.dateline.strip()
    if not dateline:
        return "The dateline is missing."
    place = dateline.split(",", 1)[0]
    if place != place.upper():
        return f"The dateline's place should be in capitals: “{place.upper()}”, not “{place}”."
    return None


def byline_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    if settings.needs_byline and not story.byline.strip():
        return "The byline is missing."
    return None


def headline_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    limit = settings.headline_max
    length = len(story.headline.strip())
    if limit is not None and length > limit:
        return f"The headline has {length} characters; this desk's limit is {limit}."
    return None


def standfirst_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    if settings.needs_standfirst and not story.standfirst.strip():
        return "The standfirst is missing."
    return None


def photo_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    """Only for a story with a lead photo: its credit and its alt text."""
    if not (settings.needs_photo_credit and story.has_photo):
        return None
    missing = [
        name
        for name, value in (("credit", story.photo_credit), ("alt text", story.photo_alt))
        if not value.strip()
    ]
    return f"The lead photo has no {' and no '.join(missing)}." if missing else None


def length_rule(settings: StyleSettings, story: StoryCopy) -> str | None:
    least = settings.body_min_words
    if least is not None and story.body_words < least:
        return f"The body has {story.body_words} words; this desk asks for at least {least}."
    return None


# The checklist, in the order an editor reads a story.
RULES: tuple[Rule, ...] = (
    headline_rule,
    standfirst_rule,
    byline_rule,
    dateline_rule,
    photo_rule,
    length_rule,
)


def failures(settings: StyleSettings, story: StoryCopy) -> list[str]:
    """What the story lacks under these settings (empty: it passes)."""
    return [problem for rule in RULES if (problem := rule(settings, story))]


CHECKS = ("needs_dateline", "needs_byline", "needs_standfirst", "needs_photo_credit")
NUMBERS = {
    "headline_max": ("Headline at most", 1, HEADLINE_LIMIT),
    "body_min_words": ("Body at least", 1, WORDS_LIMIT),
}


def parse_settings(form: Mapping[str, str]) -> tuple[StyleSettings, dict[str, str]]:
    """Settings from an admin's form: ticked boxes, and numbers (blank: no limit). The errors
    map each bad field to what to type instead."""
    errors: dict[str, str] = {}
    numbers: dict[str, int | None] = {}
    for name, (label, least, most) in NUMBERS.items():
        raw = (form.get(name) or "").strip()
        numbers[name] = None
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()) or not least <= int(raw) <= most:
            errors[name] = (
                f"{label}: “{raw[:20]}” is not a usable number; enter a whole number from "
                f"{least} to {most:,}, or leave it blank for no limit."
            )
            continue
        numbers[name] = int(raw)
    ticked = {name: form.get(name) in ("1", "on", "y") for name in CHECKS}
    settings = StyleSettings(
        needs_dateline=ticked["needs_dateline"],
        needs_byline=ticked["needs_byline"],
        needs_standfirst=ticked["needs_standfirst"],
        needs_photo_credit=ticked["needs_photo_credit"],
        headline_max=numbers["headline_max"],
        body_min_words=numbers["body_min_words"],
    )
    return settings, errors
