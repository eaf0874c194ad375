"""Moving a story along the workflow: one conditional UPDATE per transition, as the table says.

`check()` decides whether this person may take the action now; the row's effects (what the
transition refuses without, what it writes) come from the same row of `editorial.workflow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Person, Story, StoryUpdate
from editorial.models.loading import actor_of, facts_of
from editorial.services import after_commit, audit, commit, public_media, rollback
from editorial.services.cache import refresh_stories
from editorial.services.effects import transition_values
from editorial.services.errors import ValidationFailed
from editorial.services.housestyle import check_house_style
from editorial.services.notifications import notify_story_event
from editorial.services.photo_use import story_photo_problems
from editorial.services.publishing import queue_publish
from editorial.services.settings import workflow_policy
from editorial.timeutil import format_local, utcnow, zone
from editorial.workflow import (
    LIVE_ACTIONS,
    Action,
    Effect,
    Embargoed,
    StoryState,
    WrongState,
    check,
)

MAX_SCHEDULE_AHEAD = timedelta(days=366)
# Publishing or scheduling: from here on, readers may see the story (and its photos) without
# anyone checking it again, so a photo that would show broken or uncredited is refused now.
GOING_PUBLIC = frozenset({StoryState.PUBLISHED, StoryState.SCHEDULED})
# The editor's two ways out to readers run the desk's house-style checklist.
STYLE_CHECKED = frozenset({Action.PUBLISH, Action.SCHEDULE})


def transition_story(
    story: Story,
    action: Action,
    *,
    actor: Person,
    note: str = "",
    expected_version: int | None = None,
    publish_at: datetime | None = None,
    style_override: bool = False,
    style_note: str = "",
) -> Story:
    """Move a story along the workflow, atomically: exactly one of two racing requests wins.

    Publish now and Schedule run the desk's house-style checklist first; `style_override` with
    a `style_note` goes ahead anyway (audited)."""
    if action in LIVE_ACTIONS:
        raise ValueError(f"{action} keeps the story's state: editorial.services.live does it")
    try:
        rule = check(action, actor_of(actor), facts_of(story), note=note, policy=workflow_policy())
    except Embargoed:
        raise WrongState(embargo_message(story)) from None
    now = utcnow()
    if Effect.NEEDS_TEXT in rule.effects and (errors := validate_for_submit(story)):
        raise ValidationFailed(errors)
    if rule.target in GOING_PUBLIC and (
        errors := story_photo_problems(story.lead_photo_id, story.body_html)
    ):
        raise ValidationFailed(errors)
    if Effect.AFTER_EMBARGO in rule.effects and story.embargo_at and story.embargo_at > now:
        raise WrongState(embargo_message(story))
    if Effect.SET_SCHEDULE in rule.effects:
        publish_at = _checked_publish_time(story, publish_at, now)
    if action in STYLE_CHECKED:
        check_house_style(
            story, actor=actor, action=action.value, override=style_override, note=style_note
        )
    values = transition_values(rule, now, publish_at)

    story_id, facts = story.id, facts_of(story)
    # The row must still be what check() judged: a reporter's spike of a never-submitted draft
    # must not land on the same story submitted a moment ago, nor a check for one desk on another.
    conditions = [
        Story.id == story.id,
        Story.state == facts.state,
        Story.desk_id == facts.desk_id,
        Story.was_submitted.is_(facts.was_submitted),
    ]
    if expected_version is not None:
        conditions.append(Story.version == expected_version)
    from_state = StoryState(story.state)
    claimed = db.session.execute(
        update(Story)
        .where(*conditions)
        .values(**values)
        .returning(Story.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        db.session.refresh(story)
        raise WrongState(
            "Someone else changed this story first; it is now "
            f"{StoryState(story.state).label.lower()}. "
            "Nothing was changed by your request."
        )
    db.session.expire(story)
    data = {"publish_at": values["publish_at"].isoformat()} if values.get("publish_at") else {}
    audit.record(
        rule.audit,
        actor=actor,
        story_id=story.id,
        from_state=from_state,
        to_state=rule.target,
        note=note.strip(),
        data=data,
    )
    notify_story_event(action, story, actor=actor, note=note.strip())
    if Effect.SET_SCHEDULE in rule.effects:
        # Plain values: touching `story` after commit would open a new transaction (and on
        # SQLite take the write lock) inside the commit's callbacks.
        after_commit(lambda: queue_publish(story_id, values["publish_at"]))
    if rule.target is StoryState.PUBLISHED or from_state is StoryState.PUBLISHED:
        refresh_stories([story_id])
        public_media.stories_changed([story_id])  # its photo's public copies follow
    commit()
    return story


def checked_future(
    field: str, at: datetime | None, now: datetime, *, missing: str, instead: str
) -> datetime:
    """A time asked for in `field`: given, in the future and within a year (else say so,
    offering the action `instead`)."""
    if at is None:
        raise ValidationFailed({field: missing})
    if at <= now:
        raise ValidationFailed(
            {
                field: f"{_local(at)} has already passed (it is now "
                f"{_local(now)}); choose a time in the future, or use {instead}."
            }
        )
    if at > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed({field: f"{_local(at)} is more than a year ahead; check the date."})
    return at


def refuse_past_unpublish(story: Story, publish_at: datetime, field: str = "publish_at") -> None:
    """Refuse a publish time (of the story, or of its update) not before its unpublish time."""
    if story.unpublish_at and publish_at >= story.unpublish_at:
        raise ValidationFailed(
            {
                field: f"{_local(publish_at)} is not before the story's unpublish time, "
                f"{_local(story.unpublish_at)}; choose an earlier time, or change or cancel "
                "the unpublish first."
            }
        )


def _checked_publish_time(story: Story, publish_at: datetime | None, now: datetime) -> datetime:
    publish_at = checked_future(
        "publish_at",
        publish_at,
        now,
        missing="Enter the date and time to publish.",
        instead="Publish now",
    )
    refuse_past_unpublish(story, publish_at)
    if story.embargo_at and publish_at < story.embargo_at:
        raise ValidationFailed(
            {
                "publish_at": f"{_local(publish_at)} is before the story's embargo lifts at "
                f"{_local(story.embargo_at)}; choose that time or later."
            }
        )
    return publish_at


def embargo_message(story: Story) -> str:
    """Why Publish now is refused while an embargo holds, saying until when."""
    until = _local(story.embargo_at) if story.embargo_at else "its embargo lifts"
    return (
        f"This story is under embargo until {until}; it cannot be published before then. "
        "Schedule it for that time or later."
    )


def _local(value: datetime) -> str:
    """An instant as the newsroom reads it, e.g. '30 Dec 2025, 18:05 (Asia/Dhaka)'."""
    name = current_app.config["EDITORIAL_TIMEZONE"]
    return f"{format_local(value, zone(name))} ({name})"


def validate_for_submit(story: Story | StoryUpdate) -> dict[str, str]:
    """A story goes to the desk only with a headline and a body."""
    errors = {}
    if not story.headline.strip():
        errors["headline"] = "A headline is required to submit."
    if not story.body.strip():
        errors["body"] = "The body is empty; write the story before submitting it."
    return errors
