"""Pending updates of published stories: written and reviewed beside the live copy.

Readers keep the live text until a desk editor publishes the update; publishing writes it onto
the story through `save_story` (revision, notice, slug, photos, cache), in the same
transaction that claims the update, so a racing withdrawal or direct edit and the publish never
both land on the same live copy. Every transition of an update is one conditional UPDATE (or
DELETE) of its row, judged by the same workflow table as the story's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from editorial.extensions import db
from editorial.models import Person, Story, StoryUpdate
from editorial.models.loading import actor_of, facts_of
from editorial.models.update import TEXT_FIELDS
from editorial.services import audit, commit, rollback
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.notifications import notify_story_event
from editorial.services.revisions import CorrectionInput
from editorial.services.settings import workflow_policy
from editorial.services.stories import (
    StoryInput,
    clean_input,
    rendered_columns,
    save_story,
    validate,
)
from editorial.services.transitions import validate_for_submit
from editorial.timeutil import utcnow
from editorial.workflow import (
    Action,
    StoryFacts,
    Transition,
    UpdateState,
    WrongState,
    can_rebase_update,
    check,
)

# Actions with a service function of their own (here and in services.scheduled_updates).
OWN_FUNCTION = frozenset(
    {
        Action.SAVE_UPDATE,
        Action.PUBLISH_UPDATE,
        Action.SCHEDULE_UPDATE,
        Action.PUBLISH_UPDATE_SCHEDULED,
    }
)
# The columns of an update that has no time to be published (nor a failed attempt at one).
NO_SCHEDULE: dict[str, Any] = {
    "publish_at": None,
    "notice_note": "",
    "notice_is_correction": False,
    "publish_failed_at": None,
    "publish_error": "",
}


class StaleUpdate(Exception):
    """Someone else saved the pending update since this person opened it (HTTP 409)."""

    def __init__(self, story_id: int, expected_version: int, current_version: int) -> None:
        if expected_version == 0:
            text = (
                "Someone else started an update of this story while you were writing yours; "
                "there is one pending update per story."
            )
        else:
            text = (
                "The pending update was changed by someone else since you opened it (you had "
                f"version {expected_version}, it is now version {current_version})."
            )
        super().__init__(text)
        self.story_id = story_id
        self.expected_version = expected_version
        self.current_version = current_version


class LiveCopyChanged(WrongState):
    """The live copy changed after the update started: compare three ways first (HTTP 409)."""


def pending_update(story_id: int) -> StoryUpdate | None:
    return db.session.scalar(select(StoryUpdate).where(StoryUpdate.story_id == story_id))


def update_facts(story: Story, pending: StoryUpdate | None) -> StoryFacts:
    """The workflow's view of a story together with its pending update."""
    state = UpdateState(pending.state) if pending is not None else UpdateState.NONE
    return replace(facts_of(story), update=state)


def live_text(story: Story) -> dict[str, str]:
    return {name: getattr(story, name) for name in TEXT_FIELDS}


def live_changed(story: Story, pending: StoryUpdate) -> bool:
    """Whether the live text moved since the update started (a correction, a direct edit)."""
    return live_text(story) != pending.base()


def base_copy(pending: StoryUpdate) -> SimpleNamespace:
    """The live text the update started from, shaped for `story_diff`."""
    return SimpleNamespace(**pending.base())


def update_input(story: Story, pending: StoryUpdate) -> StoryInput:
    """The update as the story editor's input: its text and settings on the story's desk."""
    return StoryInput(
        **pending.text(),
        desk_id=story.desk_id,
        slug=pending.slug,
        tags=[t for t in pending.tags.split(",") if t.strip()],
        embargo_at=story.embargo_at,
        lead_photo_id=pending.lead_photo_id,
        lead_caption=pending.lead_caption,
    )


def check_update(
    story: Story, pending: StoryUpdate | None, action: Action, actor: Person, note: str = ""
) -> Transition:
    facts = update_facts(story, pending)
    return check(action, actor_of(actor), facts, note=note, policy=workflow_policy())


def _columns(data: StoryInput) -> dict[str, Any]:
    """The update's columns that the editor's input sets, rendered as the story's would be
    (so that going live copies them)."""
    return {
        **{name: getattr(data, name) for name in TEXT_FIELDS},
        **rendered_columns(data),
        "slug": data.slug,
        "tags": ", ".join(data.tags),
        "lead_photo_id": data.lead_photo_id,
        "lead_caption": data.lead_caption,
    }


def save_update(
    story: Story, data: StoryInput, *, actor: Person, expected_version: int
) -> StoryUpdate:
    """Start the story's pending update or change it (Save update).

    `expected_version`: the update's version the form started from; 0 when there was none
    (two people starting one at once: the second is told, never silently merged)."""
    pending = pending_update(story.id)
    rule = check_update(story, pending, Action.SAVE_UPDATE, actor)
    data = clean_input(replace(data, desk_id=story.desk_id, embargo_at=story.embargo_at))
    if errors := validate(data, actor=actor, story=story):
        raise ValidationFailed(errors)
    now, story_id = utcnow(), story.id
    values = {
        **_columns(data),
        "state": rule.to_update,
        "modified_at": now,
        "modified_by_id": actor.id,
    }
    if expected_version == 0:
        _insert(story, values, actor=actor, current=pending)
    else:
        claim_update(story_id, pending, expected_version, rule.update, values)
    audit.record(rule.audit, actor=actor, story_id=story_id)
    commit()
    saved = pending_update(story_id)
    assert saved is not None
    return saved


def _insert(
    story: Story, values: dict[str, Any], *, actor: Person, current: StoryUpdate | None
) -> None:
    if current is not None:
        raise StaleUpdate(story.id, 0, current.version)
    base = {f"base_{name}": value for name, value in live_text(story).items()}
    row = StoryUpdate(
        story_id=story.id, version=1, created_by_id=actor.id, created_at=values["modified_at"]
    )
    for name, value in (values | base).items():
        setattr(row, name, value)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the unique story_id: someone else's update landed first
        rollback()
        raced = pending_update(story.id)
        raise StaleUpdate(story.id, 0, raced.version if raced else 0) from None


def claim_update(
    story_id: int,
    pending: StoryUpdate | None,
    expected_version: int | None,
    sources: Iterable[UpdateState],
    values: dict[str, Any],
) -> None:
    """One conditional UPDATE of the update's row (a DELETE when `values` ends it, state
    NONE): it must still be in one of `sources`, at the version the person saw."""
    if pending is None:
        raise WrongState("This story has no pending update; reload to see it.")
    conditions = [StoryUpdate.id == pending.id, StoryUpdate.state.in_(list(sources))]
    if expected_version is not None:
        conditions.append(StoryUpdate.version == expected_version)
    statement = (
        delete(StoryUpdate)
        if values.get("state") is UpdateState.NONE
        else update(StoryUpdate).values(**values, version=StoryUpdate.version + 1)
    )
    claimed = db.session.execute(
        statement.where(*conditions)
        .returning(StoryUpdate.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        current = pending_update(story_id)
        if expected_version is not None and current is not None:
            raise StaleUpdate(story_id, expected_version, current.version)
        raise WrongState(
            "Someone else changed this update first; reload to see where it is now. "
            "Nothing was changed by your request."
        )
    db.session.expunge(pending)  # its row changed (or is gone) behind the session's back


def lock_live(story: Story, action: Action, actor: Person) -> StoryUpdate:
    """Lock the story's row (PostgreSQL: FOR UPDATE), read the live copy and its update as
    they are now, and judge the action again: a withdrawal, direct edit or publish that
    committed meanwhile is seen here, and one that comes later waits for this transaction."""
    db.session.execute(select(Story.id).where(Story.id == story.id).with_for_update())
    db.session.refresh(story)
    fresh = db.session.scalar(
        select(StoryUpdate)
        .where(StoryUpdate.story_id == story.id)
        .execution_options(populate_existing=True)
    )
    check_update(story, fresh, action, actor)
    assert fresh is not None  # the rules of the actions that lock take an existing update
    return fresh


def transition_update(
    story: Story,
    action: Action,
    *,
    actor: Person,
    note: str = "",
    expected_version: int | None = None,
) -> None:
    """Submit, send back, approve or discard the story's pending update."""
    if action in OWN_FUNCTION:
        raise ValueError(f"{action} has its own service function")
    pending = pending_update(story.id)
    rule = check_update(story, pending, action, actor, note)
    assert pending is not None  # every rule but Save update takes an existing update
    if action is Action.SUBMIT_UPDATE and (errors := validate_for_submit(pending)):
        raise ValidationFailed(errors)
    if action is Action.APPROVE_UPDATE:
        pending = lock_live(story, action, actor)
    now, story_id = utcnow(), story.id
    values: dict[str, Any] = {
        "state": rule.to_update,
        "modified_at": now,
        "modified_by_id": actor.id,
    }
    if action is Action.SUBMIT_UPDATE:
        values |= {"submitted_at": now, "note": ""}
    if action is Action.REQUEST_UPDATE_CHANGES:
        values["note"] = note.strip()
    values |= NO_SCHEDULE  # an update sent back or unscheduled keeps no time to go live
    claim_update(story_id, pending, expected_version, rule.update, values)
    audit.record(rule.audit, actor=actor, story_id=story_id, note=note.strip())
    notify_story_event(action, story, actor=actor, note=note.strip())
    commit()


def publish_update(
    story: Story,
    *,
    actor: Person,
    expected_version: int | None = None,
    notice: CorrectionInput | None = None,
) -> Story:
    """Publish Update now: the approved update becomes the live copy, with a public notice if
    one is given. Refused, with the update kept, when the live copy changed after the update
    started (LiveCopyChanged: compare three ways and rebase first) or the story is no longer
    published."""
    rule = check_update(story, pending_update(story.id), Action.PUBLISH_UPDATE, actor)
    pending = lock_live(story, Action.PUBLISH_UPDATE, actor)
    refuse_if_behind(story, pending)
    notify_story_event(Action.PUBLISH_UPDATE, story, actor=actor)
    claim_update(story.id, pending, expected_version, rule.update, {"state": UpdateState.NONE})
    return go_live(story, pending, rule, actor=actor, notice=notice, summary="Update published")


def refuse_if_behind(story: Story, pending: StoryUpdate) -> None:
    """Refuse to publish (or schedule) an update over a live copy that changed after it
    started: the later update must never silently undo a correction."""
    if live_changed(story, pending):
        rollback()
        raise LiveCopyChanged(
            "The live copy changed after this update was started (a correction or a direct "
            "change went out). Compare the three versions and rebase the update on the live "
            "copy before publishing it: nothing was published."
        )


def go_live(
    story: Story,
    pending: StoryUpdate,
    rule: Transition,
    *,
    actor: Person,
    notice: CorrectionInput | None,
    summary: str,
    event_data: dict[str, Any] | None = None,
) -> Story:
    """Write the claimed update onto the live copy (revision, notice, slug, photos, cache) and
    commit, in the transaction that claimed it; on any failure the update is kept."""
    data, live_version = update_input(story, pending), story.version
    try:
        return save_story(
            story,
            data,
            actor=actor,
            expected_version=live_version,
            correction=notice,
            summary=summary,
            event=rule.audit,
            event_data=event_data,
        )
    except StaleStory:
        raise WrongState(
            "The live copy changed while the update was being published; nothing was "
            "published and the update is kept. Reload and try again."
        ) from None
    except Exception:
        rollback()  # the claim of the update goes with it: the update is kept
        raise


def rebase_update(
    story: Story, data: StoryInput, *, actor: Person, expected_version: int
) -> StoryUpdate:
    """Resolve a three-way comparison: `data` (the person's resolution of base, update and
    live text) becomes the update's text, and the current live copy its new base. The update
    keeps its place in review (a scheduled one goes back to approved, to be scheduled again)."""
    pending = pending_update(story.id)
    if pending is None or not can_rebase_update(actor_of(actor), update_facts(story, pending)):
        raise WrongState("You cannot rebase this update now; reload to see where it is.")
    data = clean_input(replace(data, desk_id=story.desk_id, embargo_at=story.embargo_at))
    if errors := validate(data, actor=actor, story=story):
        raise ValidationFailed(errors)
    story_id, state = story.id, UpdateState(pending.state)
    values = {
        **_columns(data),
        **{f"base_{name}": value for name, value in live_text(story).items()},
        "modified_at": utcnow(),
        "modified_by_id": actor.id,
    }
    if state is UpdateState.SCHEDULED:
        # Its time was set for the text before the merge: the desk looks at it again.
        values |= {"state": UpdateState.APPROVED, **NO_SCHEDULE}
    # The row must still be where the person saw it, at the version they resolved.
    claim_update(story_id, pending, expected_version, {state}, values)
    audit.record("story.update.rebased", actor=actor, story_id=story_id)
    commit()
    saved = pending_update(story_id)
    assert saved is not None
    return saved
