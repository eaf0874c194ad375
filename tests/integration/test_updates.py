"""Pending updates of published stories, through the real services, on SQLite and PostgreSQL:
the live copy stays until the desk publishes; bad input is refused with the text kept."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, Correction, Story, StoryUpdate
from editorial.models.loading import load_missing
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.services.updates import (
    LiveCopyChanged,
    StaleUpdate,
    pending_update,
    publish_update,
    rebase_update,
    save_update,
    transition_update,
    update_input,
)
from editorial.workflow import Action, StoryState, TransitionNotAllowed, WrongState
from tests.integration.test_stories import edit

A = Action


@pytest.fixture
def room(any_app: Flask, make) -> dict:
    desk = make.desk("City")
    reporter, colleague = make.reporter(desk), make.reporter(desk)
    editor, editor2 = make.editor(desk), make.editor(desk)
    story = make.story(
        reporter, desk, StoryState.PUBLISHED, editor=editor, body="First.\n\nSecond.\n\nThird."
    )
    load_missing(story, "authors")
    story.authors.append(colleague)  # a second author of the same story
    db.session.commit()
    return {
        "story": story,
        "reporter": reporter,
        "colleague": colleague,
        "editor": editor,
        "editor2": editor2,
        "desk": desk,
    }


def typed(story: Story, **changes: str) -> StoryInput:
    """The live copy's fields as the editor would post them, with `changes`."""
    return edit(story, **changes)


def live(story: Story) -> Story:
    db.session.expire_all()
    return db.session.get(Story, story.id)


def codes(story: Story) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.story_id == story.id).order_by(AuditEvent.id)
        )
    )


def approved(room: dict, body: str) -> StoryUpdate:
    story = room["story"]
    saved = save_update(story, typed(story, body=body), actor=room["reporter"], expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=room["reporter"])
    transition_update(story, A.APPROVE_UPDATE, actor=room["editor"])
    assert saved.story_id == story.id
    update = pending_update(story.id)
    assert update is not None
    return update


def test_the_live_copy_stays_until_the_desk_publishes_the_update(room: dict) -> None:
    story, before = room["story"], room["story"].body
    update = approved(room, "First.\n\nSecond, updated.\n\nThird.")
    assert live(story).body == before
    assert update.base_body == before
    publish_update(
        story,
        actor=room["editor2"],
        expected_version=update.version,
        notice=CorrectionInput(note="Adds the minister's reply.", is_correction=False),
    )
    story = live(story)
    assert story.body == "First.\n\nSecond, updated.\n\nThird."
    assert pending_update(story.id) is None
    notice = db.session.scalars(select(Correction).where(Correction.story_id == story.id)).one()
    assert (notice.is_correction, notice.note) == (False, "Adds the minister's reply.")
    assert codes(story)[-4:] == [
        "story.update.saved",
        "story.update.submitted",
        "story.update.approved",
        "story.update.published",
    ]


def test_a_second_author_edits_the_same_update_and_a_stale_save_is_a_conflict(room: dict) -> None:
    story = room["story"]
    first = save_update(
        story, typed(story, body="Mine."), actor=room["reporter"], expected_version=0
    )
    second = save_update(
        story, typed(story, body="Ours."), actor=room["colleague"], expected_version=first.version
    )
    assert (second.version, second.body, second.modified_by_id) == (
        2,
        "Ours.",
        room["colleague"].id,
    )
    with pytest.raises(StaleUpdate, match="version 1, it is now version 2"):
        save_update(story, typed(story, body="Late."), actor=room["reporter"], expected_version=1)
    with pytest.raises(StaleUpdate, match="one pending update per story"):
        save_update(story, typed(story, body="New."), actor=room["reporter"], expected_version=0)
    assert pending_update(story.id).body == "Ours."
    assert live(story).body == "First.\n\nSecond.\n\nThird."


def test_an_update_submitted_while_another_is_pending_is_refused(room: dict) -> None:
    story = room["story"]
    save_update(story, typed(story, body="One."), actor=room["reporter"], expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=room["reporter"])
    with pytest.raises(WrongState, match="with the desk"):
        save_update(story, typed(story, body="Two."), actor=room["colleague"], expected_version=2)
    with pytest.raises(WrongState, match="submitted"):
        transition_update(story, A.SUBMIT_UPDATE, actor=room["colleague"])
    assert pending_update(story.id).body == "One."


def test_approving_an_update_of_a_withdrawn_story_is_refused_and_the_text_kept(room: dict) -> None:
    story = room["story"]
    save_update(story, typed(story, body="Kept."), actor=room["reporter"], expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=room["reporter"])
    transition_story(story, A.WITHDRAW, actor=room["editor"], note="Legal.")
    with pytest.raises(WrongState, match=r"withdrawn; its update cannot be approved.*kept"):
        transition_update(live(story), A.APPROVE_UPDATE, actor=room["editor"])
    with pytest.raises(WrongState, match="withdrawn"):
        publish_update(live(story), actor=room["editor"])
    assert pending_update(story.id).body == "Kept."
    transition_update(live(story), A.DISCARD_UPDATE, actor=room["reporter"])
    assert pending_update(story.id) is None


def test_reporters_and_authors_cannot_approve_or_publish(room: dict) -> None:
    story = room["story"]
    save_update(story, typed(story, body="X."), actor=room["reporter"], expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=room["reporter"])
    with pytest.raises(TransitionNotAllowed):
        transition_update(story, A.APPROVE_UPDATE, actor=room["colleague"])
    with pytest.raises(TransitionNotAllowed):
        publish_update(story, actor=room["reporter"])


def test_a_correction_that_went_out_meanwhile_is_never_silently_undone(room: dict) -> None:
    story = room["story"]
    update = approved(room, "First.\n\nSecond.\n\nThird, with more.")
    corrected = typed(live(story), body="First, corrected.\n\nSecond.\n\nThird.")
    save_story(
        live(story),
        corrected,
        actor=room["editor"],
        expected_version=live(story).version,
        correction=CorrectionInput(note="The first paragraph misnamed the minister."),
    )
    with pytest.raises(LiveCopyChanged, match="three versions"):
        publish_update(live(story), actor=room["editor2"], expected_version=update.version)
    assert live(story).body == "First, corrected.\n\nSecond.\n\nThird."
    pending = pending_update(story.id)
    resolved = update_input(live(story), pending)
    resolved.body = "First, corrected.\n\nSecond.\n\nThird, with more."
    rebased = rebase_update(
        live(story), resolved, actor=room["editor2"], expected_version=pending.version
    )
    assert rebased.base_body == "First, corrected.\n\nSecond.\n\nThird."
    publish_update(live(story), actor=room["editor2"], expected_version=rebased.version)
    assert live(story).body == "First, corrected.\n\nSecond.\n\nThird, with more."


def test_a_desk_editors_direct_change_is_audited_as_such(room: dict) -> None:
    story = room["story"]
    save_story(
        story, typed(story, body="Direct."), actor=room["editor"], expected_version=story.version
    )
    assert codes(story)[-1] == "story.edited.live"
    assert live(story).body == "Direct."


def test_the_desk_asks_for_changes_with_a_note_the_authors_see(room: dict) -> None:
    story = room["story"]
    save_update(story, typed(story, body="Draft."), actor=room["reporter"], expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=room["reporter"])
    transition_update(
        story, A.REQUEST_UPDATE_CHANGES, actor=room["editor"], note="Source the figure."
    )
    pending = pending_update(story.id)
    assert (pending.state, pending.note) == ("changes_requested", "Source the figure.")
    save_update(
        story,
        typed(story, body="Sourced."),
        actor=room["colleague"],
        expected_version=pending.version,
    )
    transition_update(story, A.SUBMIT_UPDATE, actor=room["colleague"])
    assert pending_update(story.id).note == ""
