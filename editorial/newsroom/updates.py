"""The pending-update part of a newsroom story page, and its three-way comparison."""

from __future__ import annotations

from dataclasses import dataclass

from editorial import merge
from editorial.models import Person, Story, StoryUpdate
from editorial.models.update import TEXT_FIELDS
from editorial.newsroom.diff import StoryDiff, story_diff
from editorial.services.settings import workflow_policy
from editorial.services.updates import (
    base_copy,
    live_changed,
    live_text,
    pending_update,
    update_facts,
)
from editorial.workflow import (
    Action,
    allowed_update_actions,
    can_rebase_update,
    can_write_update,
)

FIELD_LABELS = {
    "headline": "Headline",
    "standfirst": "Standfirst",
    "body": "Body",
    "byline": "Byline",
    "dateline": "Dateline",
}
# Buttons in the order the desk works: forward first, back, then away.
BUTTON_ORDER = (
    Action.SUBMIT_UPDATE,
    Action.APPROVE_UPDATE,
    Action.PUBLISH_UPDATE,
    Action.SCHEDULE_UPDATE,
    Action.UNSCHEDULE_UPDATE,
    Action.REQUEST_UPDATE_CHANGES,
    Action.DISCARD_UPDATE,
)


@dataclass(frozen=True)
class UpdatePanel:
    """What the story page shows of the pending update, and what this person may do with it."""

    update: StoryUpdate
    diff: StoryDiff  # live copy -> update
    behind: bool  # the live copy changed after the update started: three-way first
    actions: list[Action]
    can_write: bool
    can_rebase: bool


def update_panel(story: Story, me: Person) -> UpdatePanel | None:
    pending = pending_update(story.id)
    if pending is None:
        return None
    facts = update_facts(story, pending)
    allowed = allowed_update_actions(me.actor, facts, workflow_policy())
    return UpdatePanel(
        update=pending,
        diff=story_diff(story, pending),
        behind=live_changed(story, pending),
        actions=[a for a in BUTTON_ORDER if a in allowed],
        can_write=can_write_update(me.actor, facts),
        can_rebase=can_rebase_update(me.actor, facts),
    )


@dataclass(frozen=True)
class FieldMerge:
    """One field compared three ways: base (where the update started), mine (the update),
    theirs (the live copy now), and the paragraph merge of the two edits."""

    name: str
    label: str
    base: str
    mine: str
    theirs: str
    result: merge.MergeResult


def three_way(story: Story, pending: StoryUpdate) -> list[FieldMerge]:
    base, mine, theirs = pending.base(), pending.text(), live_text(story)
    fields = []
    for name in TEXT_FIELDS:
        combine = merge.merge3 if name == "body" else merge.merge_field
        fields.append(
            FieldMerge(
                name=name,
                label=FIELD_LABELS[name],
                base=base[name],
                mine=mine[name],
                theirs=theirs[name],
                result=combine(base[name], mine[name], theirs[name]),
            )
        )
    return fields


def base_diff(story: Story, pending: StoryUpdate) -> StoryDiff:
    """What changed on the live copy since the update started."""
    return story_diff(base_copy(pending), story)
