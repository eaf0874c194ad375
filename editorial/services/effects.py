"""The columns behind the workflow table's effects: one place that turns an Effect into SQL.

Which transition does what is decided in `editorial.workflow` (the `effects` column of the
table); every path that applies a transition (an editor's request, the scheduler) writes the
columns from here, so none of them re-decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_

from editorial.models import Placement, Story
from editorial.workflow import Effect, Transition

Writer = Callable[[datetime, datetime | None], dict[str, Any]]

# Effect -> the values it writes, given the time now and the time asked for (if any: to publish
# or, for SET_UNPUBLISH, to withdraw).
# NEEDS_TEXT and AFTER_EMBARGO only refuse; they write nothing.
WRITES: dict[Effect, Writer] = {
    Effect.MARK_SUBMITTED: lambda now, _at: {"was_submitted": True, "submitted_at": now},
    Effect.SET_SCHEDULE: lambda _now, at: {"publish_at": at},
    Effect.CLEAR_SCHEDULE: lambda _now, _at: {"publish_at": None},
    Effect.CLEAR_FAILURE: lambda _now, _at: {"publish_failed_at": None, "publish_error": ""},
    Effect.LEAVE_FRONT_PAGE: lambda _now, _at: {
        "placement": Placement.NONE,
        "front_position": None,
    },
    # The time asked for is the withdrawal's here; the service writes the note beside it.
    Effect.SET_UNPUBLISH: lambda _now, at: {
        "unpublish_at": at,
        "unpublish_failed_at": None,
        "unpublish_error": "",
    },
    Effect.CLEAR_UNPUBLISH: lambda _now, _at: {
        "unpublish_at": None,
        "unpublish_note": "",
        "unpublish_failed_at": None,
        "unpublish_error": "",
    },
    Effect.STAMP_PUBLISHED: lambda now, _at: {
        "published_at": now,
        "first_published_at": func.coalesce(Story.first_published_at, now),
    },
}


def effect_values(
    effects: frozenset[Effect], now: datetime, publish_at: datetime | None = None
) -> dict[str, Any]:
    """The columns these effects write (in Effect order, so the result never depends on a set's
    iteration order)."""
    values: dict[str, Any] = {}
    for effect in Effect:
        if effect in effects and effect in WRITES:
            values |= WRITES[effect](now, publish_at)
    return values


def transition_values(
    rule: Transition, now: datetime, publish_at: datetime | None = None
) -> dict[str, Any]:
    """Everything a transition's UPDATE sets: state, version, modification time and effects."""
    return {
        "state": rule.target,
        "version": Story.version + 1,
        "modified_at": now,
        **effect_values(rule.effects, now, publish_at),
    }


def embargo_lifted(now: datetime) -> ColumnElement[bool]:
    """SQL: the story is not under embargo at `now`."""
    return or_(Story.embargo_at.is_(None), Story.embargo_at <= now)


def takes_from(rule: Transition, now: datetime) -> ColumnElement[bool]:
    """SQL: a story this transition may be applied to now as far as its row alone says (its
    state is a source of the rule, and the embargo has lifted where the rule needs it)."""
    condition: ColumnElement[bool] = Story.state.in_(rule.sources)
    if Effect.AFTER_EMBARGO in rule.effects:
        condition = condition & embargo_lifted(now)
    return condition
