"""Story services: saves, revisions, conflicts, slugs, re-review after approval, scheduling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from editorial.extensions import db
from editorial.models import (
    AuditEvent,
    Notification,
    Placement,
    Revision,
    SlugRedirect,
    Story,
)
from editorial.models.loading import load_missing
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.publishing import publish_due_stories
from editorial.services.settings import set_setting
from editorial.services.stories import StoryInput, restore_revision, save_story, set_placement
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import (
    Action,
    NoteRequired,
    StoryState,
    TransitionNotAllowed,
    WrongState,
)

S = StoryState


def audit_count(story_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.story_id == story_id)
    )


def revisions(story_id: int) -> list[Revision]:
    return list(
        db.session.scalars(
            select(Revision).where(Revision.story_id == story_id).order_by(Revision.number)
        )
    )


def edit(story: Story, **changes) -> StoryInput:
    """The story's current fields as the editor form would post them, with `changes`."""
    load_missing(story, "tags")
    fields = {
        "headline": story.headline,
        "standfirst": story.standfirst,
        "body": story.body,
        "byline": story.byline,
        "dateline": story.dateline,
        "desk_id": story.desk_id,
        "slug": story.slug,
        "tags": [t.name for t in story.tags],
        "embargo_at": story.embargo_at,
    }
    return StoryInput(**(fields | changes))


@pytest.fixture
def newsroom(make):
    """A desk with a reporter and two editors, and a second desk with its own editor."""
    desk, other = make.desk("Politics"), make.desk("Sport")
    return {
        "desk": desk,
        "other": other,
        "reporter": make.reporter(desk),
        "editor": make.editor(desk),
        "editor2": make.editor(desk),
        "outsider": make.editor(other),
    }


# --- saves and revisions ---------------------------------------------------------------------
def test_every_save_makes_a_revision(any_app: Flask, make, newsroom) -> None:
    reporter = newsroom["reporter"]
    story = make.story(reporter, newsroom["desk"])
    assert [r.number for r in revisions(story.id)] == [1]
    for n in (2, 3):
        save_story(
            story, edit(story, body=f"Body {n}"), actor=reporter, expected_version=story.version
        )
    assert [(r.number, r.body) for r in revisions(story.id)][1:] == [(2, "Body 2"), (3, "Body 3")]
    assert story.version == 3
    assert audit_count(story.id) == 3


def test_stale_version_changes_nothing(any_app: Flask, make, newsroom) -> None:
    reporter, editor = newsroom["reporter"], newsroom["editor"]
    story = make.story(reporter, newsroom["desk"])
    seen = story.version
    save_story(story, edit(story, body="Editor's text"), actor=editor, expected_version=seen)
    before = (story.version, audit_count(story.id), len(revisions(story.id)))
    with pytest.raises(StaleStory) as error:
        save_story(
            story, edit(story, body="Reporter's text"), actor=reporter, expected_version=seen
        )
    assert error.value.current_version == seen + 1
    db.session.expire_all()
    assert story.body == "Editor's text"
    assert (story.version, audit_count(story.id), len(revisions(story.id))) == before


def test_restore_makes_a_new_revision(any_app: Flask, make, newsroom) -> None:
    reporter = newsroom["reporter"]
    story = make.story(reporter, newsroom["desk"], headline="First", body="First body")
    save_story(
        story,
        edit(story, headline="Second", body="Second body"),
        actor=reporter,
        expected_version=story.version,
    )
    first = revisions(story.id)[0]
    restore_revision(story, first, actor=reporter, expected_version=story.version)
    history = revisions(story.id)
    assert [r.number for r in history] == [1, 2, 3]
    assert (history[-1].headline, history[-1].body) == ("First", "First body")
    assert history[-1].summary == "Restored revision 1"
    assert (story.headline, story.body) == ("First", "First body")


def test_restore_refuses_another_storys_revision(any_app: Flask, make, newsroom) -> None:
    reporter = newsroom["reporter"]
    mine, theirs = make.story(reporter, newsroom["desk"]), make.story(reporter, newsroom["desk"])
    with pytest.raises(TransitionNotAllowed):
        restore_revision(
            mine, revisions(theirs.id)[0], actor=reporter, expected_version=mine.version
        )


def test_edit_outside_ones_rights_is_refused(any_app: Flask, make, newsroom) -> None:
    story = make.story(newsroom["reporter"], newsroom["desk"], S.SUBMITTED)
    for person in (newsroom["reporter"], newsroom["outsider"]):
        with pytest.raises(TransitionNotAllowed):
            save_story(story, edit(story, body="x"), actor=person, expected_version=story.version)
    assert story.version == 2 and len(revisions(story.id)) == 1


# --- slugs ------------------------------------------------------------------------------------
def test_slug_from_bangla_headline_is_unique(any_app: Flask, make, newsroom) -> None:
    reporter = newsroom["reporter"]
    first = make.story(reporter, newsroom["desk"], headline="ঢাকায় বৃষ্টি, জনজীবন বিপর্যস্ত")
    second = make.story(reporter, newsroom["desk"], headline="ঢাকায় বৃষ্টি — জনজীবন বিপর্যস্ত!")
    assert first.slug == "ঢাকায়-বৃষ্টি-জনজীবন-বিপর্যস্ত"
    assert second.slug == first.slug + "-2"
    third = make.story(reporter, newsroom["desk"], headline="!!!")
    assert third.slug == "story"


def test_old_slug_of_published_story_redirects(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    story = make.story(newsroom["reporter"], newsroom["desk"], S.PUBLISHED, editor=editor)
    old = story.slug
    save_story(story, edit(story, slug="new-slug"), actor=editor, expected_version=story.version)
    assert story.slug == "new-slug"
    assert db.session.scalar(select(SlugRedirect.story_id).where(SlugRedirect.slug == old)) == (
        story.id
    )
    # Another story cannot take the old slug while it redirects.
    other = make.story(newsroom["reporter"], newsroom["desk"], headline=story.headline)
    assert other.slug not in {old, "new-slug"}
    # Going back to the old slug must not leave a redirect from the current slug to itself.
    save_story(story, edit(story, slug=old), actor=editor, expected_version=story.version)
    redirects = dict(
        db.session.execute(
            select(SlugRedirect.slug, SlugRedirect.story_id).where(
                SlugRedirect.story_id == story.id
            )
        ).all()
    )
    assert redirects == {"new-slug": story.id}


def test_unpublished_slug_change_leaves_no_redirect(any_app: Flask, make, newsroom) -> None:
    reporter = newsroom["reporter"]
    story = make.story(reporter, newsroom["desk"])
    save_story(story, edit(story, slug="renamed"), actor=reporter, expected_version=story.version)
    assert story.slug == "renamed"
    assert db.session.scalar(select(func.count()).select_from(SlugRedirect)) == 0


# --- TRUST 8: edits after approval -------------------------------------------------------------
@pytest.mark.parametrize("state", [S.APPROVED, S.SCHEDULED])
def test_edit_by_author_editor_sends_back_to_review(
    any_app: Flask, make, newsroom, state: StoryState
) -> None:
    """An editor who wrote the story could not approve it, so their edit needs a fresh review."""
    author_editor, approver = newsroom["editor"], newsroom["editor2"]
    story = make.story(author_editor, newsroom["desk"], state, editor=approver)
    save_story(
        story,
        edit(story, body="Unapproved text"),
        actor=author_editor,
        expected_version=story.version,
    )
    assert story.state == S.SUBMITTED
    assert story.publish_at is None
    assert publish_due_stories(utcnow() + timedelta(days=2)) == []
    assert story.state == S.SUBMITTED
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.story_id == story.id).order_by(AuditEvent.id.desc())
    ).first()
    assert (event.from_state, event.to_state) == (state, S.SUBMITTED)
    assert event.data["reopened_for_review"] is True
    told = db.session.scalars(
        select(Notification.person_id).where(
            Notification.story_id == story.id, Notification.kind == "story.submit"
        )
    ).all()
    assert approver.id in told


def test_self_approval_setting_keeps_author_editors_approval(
    any_app: Flask, make, newsroom
) -> None:
    author_editor, approver = newsroom["editor"], newsroom["editor2"]
    story = make.story(author_editor, newsroom["desk"], S.SCHEDULED, editor=approver)
    set_setting("allow_self_approval", "1")
    db.session.commit()
    save_story(story, edit(story, body="Fine"), actor=author_editor, expected_version=story.version)
    assert story.state == S.SCHEDULED


@pytest.mark.parametrize("state", [S.APPROVED, S.SCHEDULED])
def test_edit_by_another_desk_editor_keeps_approval(
    any_app: Flask, make, newsroom, state: StoryState
) -> None:
    editor, other_editor = newsroom["editor"], newsroom["editor2"]
    story = make.story(newsroom["reporter"], newsroom["desk"], state, editor=editor)
    publish_at = story.publish_at
    save_story(
        story, edit(story, body="Subbed"), actor=other_editor, expected_version=story.version
    )
    assert story.state == state
    assert story.publish_at == publish_at
    assert story.body == "Subbed"


# --- transitions ---------------------------------------------------------------------------------
def test_refused_transitions_change_nothing(any_app: Flask, make, newsroom) -> None:
    reporter, editor = newsroom["reporter"], newsroom["editor"]
    story = make.story(reporter, newsroom["desk"], S.SUBMITTED)
    before = (story.version, audit_count(story.id))
    with pytest.raises(TransitionNotAllowed):
        transition_story(story, Action.APPROVE, actor=reporter)
    with pytest.raises(TransitionNotAllowed):
        transition_story(story, Action.APPROVE, actor=newsroom["outsider"])
    with pytest.raises(WrongState):
        transition_story(story, Action.WITHDRAW, actor=editor, note="why")
    with pytest.raises(NoteRequired):
        transition_story(story, Action.REQUEST_CHANGES, actor=editor, note=" ")
    db.session.expire_all()
    assert story.state == S.SUBMITTED
    assert (story.version, audit_count(story.id)) == before


def test_editor_cannot_approve_own_story(any_app: Flask, make, newsroom) -> None:
    """TRUST 17, at the service: 403, nothing changed; another editor of the desk may."""
    author_editor = newsroom["editor"]
    story = make.story(author_editor, newsroom["desk"], S.SUBMITTED)
    before = (story.version, audit_count(story.id))
    with pytest.raises(TransitionNotAllowed):
        transition_story(story, Action.APPROVE, actor=author_editor)
    assert (story.state, story.version, audit_count(story.id)) == (S.SUBMITTED, *before)
    transition_story(story, Action.APPROVE, actor=newsroom["editor2"])
    assert story.state == S.APPROVED


def test_transition_records_one_audit_event(any_app: Flask, make, newsroom) -> None:
    reporter, editor = newsroom["reporter"], newsroom["editor"]
    story = make.story(reporter, newsroom["desk"], S.SUBMITTED)
    before = audit_count(story.id)
    transition_story(story, Action.REQUEST_CHANGES, actor=editor, note="  Source it.  ")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.story_id == story.id).order_by(AuditEvent.id.desc())
    ).first()
    assert audit_count(story.id) == before + 1
    assert (event.action, event.actor_id, event.from_state, event.to_state, event.note) == (
        "story.changes_requested",
        editor.id,
        S.SUBMITTED,
        S.CHANGES_REQUESTED,
        "Source it.",
    )


def test_stale_version_refuses_transition(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    story = make.story(newsroom["reporter"], newsroom["desk"], S.SUBMITTED)
    seen = story.version
    save_story(story, edit(story, body="newer"), actor=editor, expected_version=seen)
    with pytest.raises(WrongState):
        transition_story(story, Action.APPROVE, actor=editor, expected_version=seen)
    assert story.state == S.SUBMITTED


def test_reporter_spike_of_a_story_submitted_meanwhile_is_refused(
    any_app: Flask, make, newsroom
) -> None:
    """The check was made on a never-submitted draft; the row is no longer one."""
    reporter = newsroom["reporter"]
    story = make.story(reporter, newsroom["desk"])
    transition_story(story, Action.SUBMIT, actor=reporter)
    # This request loaded the story before the submit committed.
    set_committed_value(story, "state", S.DRAFT)
    set_committed_value(story, "was_submitted", False)
    with pytest.raises(WrongState):
        transition_story(story, Action.SPIKE, actor=reporter, note="dropped")
    assert story.state == S.SUBMITTED


def test_schedule_validation(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    now = utcnow()
    story = make.story(
        newsroom["reporter"],
        newsroom["desk"],
        S.APPROVED,
        editor=editor,
        embargo_at=now + timedelta(hours=5),
    )
    cases = {
        None: "Enter the date and time",
        now - timedelta(minutes=1): "has already passed",
        now + timedelta(days=400): "more than a year ahead",
        now + timedelta(hours=2): "before the story's embargo lifts",
    }
    for publish_at, message in cases.items():
        with pytest.raises(ValidationFailed) as error:
            transition_story(story, Action.SCHEDULE, actor=editor, publish_at=publish_at)
        assert message in error.value.errors["publish_at"]
    assert "(Asia/Dhaka)" in error.value.errors["publish_at"]
    assert story.state == S.APPROVED and audit_count(story.id) == 3
    at = now + timedelta(hours=5)
    transition_story(story, Action.SCHEDULE, actor=editor, publish_at=at)
    assert story.state == S.SCHEDULED and story.publish_at == at


def test_publish_now_under_embargo_is_refused(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    story = make.story(
        newsroom["reporter"],
        newsroom["desk"],
        S.APPROVED,
        editor=editor,
        embargo_at=utcnow() + timedelta(hours=1),
    )
    version = story.version
    with pytest.raises(WrongState, match="embargo"):
        transition_story(story, Action.PUBLISH, actor=editor)
    assert (story.state, story.version, story.published_at) == (S.APPROVED, version, None)


def test_publish_now_sets_times_and_republish_keeps_first(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    story = make.story(newsroom["reporter"], newsroom["desk"], S.PUBLISHED, editor=editor)
    first = story.first_published_at
    assert first is not None and story.published_at == first
    transition_story(story, Action.WITHDRAW, actor=editor, note="Legal")
    db.session.execute(
        update(Story)
        .where(Story.id == story.id)
        .values(published_at=first - timedelta(hours=1), first_published_at=first - timedelta(1))
    )
    db.session.commit()
    transition_story(story, Action.REPUBLISH, actor=editor)
    assert story.first_published_at == first - timedelta(1)
    assert story.published_at > first


# --- placement ---------------------------------------------------------------------------------
def test_placement_is_an_editors_change(any_app: Flask, make, newsroom) -> None:
    editor = newsroom["editor"]
    story = make.story(newsroom["reporter"], newsroom["desk"], S.PUBLISHED, editor=editor)
    for person in (newsroom["reporter"], newsroom["outsider"]):
        with pytest.raises(TransitionNotAllowed):
            set_placement(story, Placement.TOP, actor=person)
    version, events = story.version, audit_count(story.id)
    set_placement(story, Placement.TOP, actor=editor)
    assert story.placement == Placement.TOP
    assert (story.version, audit_count(story.id)) == (version + 1, events + 1)
    set_placement(story, Placement.TOP, actor=editor)  # no change, no event
    assert (story.version, audit_count(story.id)) == (version + 1, events + 1)
