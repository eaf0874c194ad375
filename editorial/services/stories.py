"""Story use cases: create, save (with conflicts and revisions), transitions, comments."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update

from editorial.extensions import db
from editorial.models import (
    BODY_MAX,
    HEADLINE_MAX,
    Desk,
    Person,
    Photo,
    Placement,
    Revision,
    SlugRedirect,
    Story,
)
from editorial.models.loading import actor_of, facts_of, load_missing
from editorial.models.photo import CAPTION_MAX
from editorial.models.update import TEXT_FIELDS
from editorial.rendering import render_body, slugify, word_count
from editorial.searchtext import document
from editorial.services import audit, commit, drafts, public_media, rollback
from editorial.services.cache import refresh_stories, story_keys
from editorial.services.effects import effect_values
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.notifications import notify_story_event
from editorial.services.photo_use import PUBLIC_STATES, record_body_photos, story_photo_problems
from editorial.services.revisions import (
    CorrectionInput,
    add_correction,
    add_revision,
    next_revision_numbers,
    revision_values,
)
from editorial.services.settings import workflow_policy
from editorial.services.slugs import tag_problems, tags_for, with_free_slug
from editorial.timeutil import utcnow
from editorial.workflow import (
    REOPEN_EFFECTS,
    REOPENED_STATE,
    Action,
    StoryState,
    TransitionNotAllowed,
    WrongState,
    can_edit,
    can_place,
    can_view,
    is_placeable,
    reopens_review,
)

log = logging.getLogger(__name__)


@dataclass
class StoryInput:
    """What a person typed into the story editor."""

    headline: str = ""
    standfirst: str = ""
    body: str = ""
    byline: str = ""
    dateline: str = ""
    desk_id: int | None = None
    slug: str = ""
    tags: list[str] = field(default_factory=list)
    embargo_at: datetime | None = None
    lead_photo_id: int | None = None
    lead_caption: str = ""  # the photo's own caption when blank


def clean_input(data: StoryInput) -> StoryInput:
    """Trim the one-line fields; the body is kept exactly as typed."""
    return StoryInput(
        headline=" ".join(data.headline.split()),
        standfirst=data.standfirst.strip(),
        body=data.body,
        byline=" ".join(data.byline.split()),
        dateline=" ".join(data.dateline.split()).upper(),
        desk_id=data.desk_id,
        slug=data.slug.strip(),
        tags=[" ".join(t.split()) for t in data.tags if t.strip()],
        embargo_at=data.embargo_at,
        lead_photo_id=data.lead_photo_id,
        lead_caption=data.lead_caption.strip(),
    )


def validate(data: StoryInput, *, actor: Person, story: Story | None = None) -> dict[str, str]:
    """Errors for fields that cannot be saved at all (submission has its own, stricter check)."""
    errors: dict[str, str] = {}
    if not data.headline:
        errors["headline"] = "A headline is required."
    elif len(data.headline) > HEADLINE_MAX:
        errors["headline"] = (
            f"Headlines are at most {HEADLINE_MAX} characters; this one has {len(data.headline)}."
        )
    if len(data.body) > BODY_MAX:
        errors["body"] = (
            f"The body is {len(data.body):,} characters; the limit is {BODY_MAX:,}. "
            "Nothing was saved and your text is kept below."
        )
    if len(data.byline) > 120:
        errors["byline"] = "Bylines are at most 120 characters."
    if len(data.dateline) > 80:
        errors["dateline"] = "Datelines are at most 80 characters."
    desk = db.session.get(Desk, data.desk_id) if data.desk_id else None
    if desk is None:
        errors["desk"] = "Choose a desk."
    elif desk.id not in actor_of(actor).desk_ids and (story is None or story.desk_id != desk.id):
        errors["desk"] = f"You are not on the {desk.name} desk; choose one of your desks."
    if problem := tag_problems(data.tags):
        errors["tags"] = problem
    if data.lead_photo_id is not None and db.session.get(Photo, data.lead_photo_id) is None:
        errors["lead_photo"] = "There is no such photo; choose one from the library."
    if len(data.lead_caption) > CAPTION_MAX:
        errors["lead_caption"] = f"Captions are at most {CAPTION_MAX} characters."
    if data.slug and slugify(data.slug) != data.slug:
        errors["slug"] = (
            f"Slugs use lower-case letters, digits and hyphens, e.g. “{slugify(data.slug)}”."
        )
    return errors


def _add_revision(story: Story, *, actor: Person, summary: str = "") -> Revision:
    return add_revision(
        revision_values(
            story.id,
            next_revision_numbers([story.id])[story.id],
            {name: getattr(story, name) for name in TEXT_FIELDS},
            story_version=story.version,
            actor_id=actor.id,
            summary=summary,
        )
    )


def rendered_columns(data: StoryInput) -> dict[str, Any]:
    """The columns rendered from the text: the body's sanitised HTML, the search words, the
    word count (the costly part of a save: about a millisecond for a long body)."""
    return {
        "search_text": document(data.headline, data.standfirst, data.body),
        "body_html": render_body(data.body),
        "word_count": word_count(data.body),
    }


def text_columns(
    data: StoryInput, *, byline: str, rendered: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The columns the editor's text sets, alike on a story's first save and every later one
    (`byline`: the one to keep when none was typed; `rendered`: `rendered_columns(data)`
    when they were rendered already, as a pending update's are when it is saved)."""
    return {
        "headline": data.headline,
        "standfirst": data.standfirst,
        "body": data.body,
        **(rendered or rendered_columns(data)),
        "byline": data.byline or byline,
        "dateline": data.dateline,
        "desk_id": data.desk_id,
        "embargo_at": data.embargo_at,
        "lead_photo_id": data.lead_photo_id,
        "lead_caption": data.lead_caption,
    }


def create_story(data: StoryInput, *, actor: Person, working_copy: str = "") -> Story:
    """A new draft by `actor`, its first revision and its audit event.

    `working_copy`: the key of the autosaved copy this save replaces (deleted with it).
    """
    data = clean_input(data)
    errors = validate(data, actor=actor)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    tags = tags_for(data.tags)

    def insert(slug: str) -> Story:
        story = Story(
            slug=slug,
            **text_columns(data, byline=actor.byline),
            state=StoryState.DRAFT,
            created_by_id=actor.id,
            created_at=now,
            modified_at=now,
            authors=[actor],
            tags=tags,
        )
        db.session.add(story)
        db.session.flush()
        return story

    story = with_free_slug(insert, data.slug or slugify(data.headline))
    record_body_photos(story.id, story.body_html)
    revision = _add_revision(story, actor=actor, summary="Created")
    audit.record(
        "story.created",
        actor=actor,
        story_id=story.id,
        to_state=StoryState.DRAFT,
        data={"revision": revision.number},
    )
    story_id, actor_id = story.id, actor.id
    if working_copy:
        drafts.forget_copy(actor.id, working_copy)
    commit()
    log.info("story %s created by %s", story_id, actor_id)
    return story


def save_story(
    story: Story,
    data: StoryInput,
    *,
    actor: Person,
    expected_version: int,
    correction: CorrectionInput | None = None,
    summary: str = "",
    forget_copy: bool = False,
    event: str = "",
    event_data: dict[str, Any] | None = None,
) -> Story:
    """Save an edit made from `expected_version`; refuse it if someone saved in between.

    `forget_copy`: this save replaces the actor's autosaved working copy (deleted with it).
    `event`: the audit code when the caller knows better (a reviewed update being published);
    `event_data`: what that event records besides the revision (a scheduled one's lateness).

    Edits to approved or scheduled text by someone who could not have approved it send the
    story back to review and clear its schedule, so unapproved text is never published.
    """
    if not can_edit(actor_of(actor), facts_of(story)):
        raise TransitionNotAllowed("You may not edit this story in its current state.")
    data = clean_input(data)
    errors = validate(data, actor=actor, story=story)
    if correction is not None and not correction.note.strip():
        errors["correction_note"] = "Write the notice readers will see."
    if errors:
        raise ValidationFailed(errors)

    now = utcnow()
    old_slug, state = story.slug, StoryState(story.state)
    old_lead = story.lead_photo_id
    reopen = reopens_review(actor_of(actor), facts_of(story), workflow_policy())
    new_state = REOPENED_STATE if reopen else state
    values = {
        **text_columns(data, byline=story.byline),
        "modified_at": now,
        "version": Story.version + 1,
        "state": new_state,
    }
    if reopen:
        values |= effect_values(REOPEN_EFFECTS, now)
    if state is StoryState.PUBLISHED:
        values["public_updated_at"] = now
    if new_state in PUBLIC_STATES and (
        problems := story_photo_problems(data.lead_photo_id, values["body_html"])
    ):
        # A published or scheduled story stays so: its photos must be fit to show now.
        raise ValidationFailed(problems)

    def write(slug: str) -> tuple[str, bool]:
        claimed = db.session.execute(
            update(Story)
            .where(Story.id == story.id, Story.version == expected_version, Story.state == state)
            .values(slug=slug, **values)
            .returning(Story.id)
            .execution_options(synchronize_session=False)
        ).all()
        return slug, bool(claimed)

    # Its old desk's and tags' pages listed it: they refresh too.
    listed_before = story_keys([story.id]) if state is StoryState.PUBLISHED else set()
    slug, claimed = with_free_slug(write, data.slug or old_slug, story_id=story.id)
    if not claimed:
        rollback()
        current = db.session.get(Story, story.id)
        raise StaleStory(story.id, expected_version, current.version if current else 0)
    old_body = record_body_photos(story.id, values["body_html"])
    db.session.expire(story)
    load_missing(story, "tags")  # replacing a collection reads the old one
    story.tags = tags_for(data.tags)
    if old_slug != slug:
        _move_slug(story, old_slug, slug)
    revision = _add_revision(
        story, actor=actor, summary=summary or ("Correction" if correction else "")
    )
    if correction is not None:
        add_correction(story.id, correction, actor_id=actor.id)
    audit.record(
        event or _edit_event(state, correction),
        actor=actor,
        story_id=story.id,
        from_state=state,
        to_state=new_state,
        note=correction.note if correction else "",
        data={"revision": revision.number, "reopened_for_review": reopen, **(event_data or {})},
    )
    if reopen:
        notify_story_event(
            Action.SUBMIT, story, actor=actor, note="Edited after approval: needs a fresh review."
        )
    if state is StoryState.PUBLISHED:
        refresh_stories([story.id], also=listed_before)
        # Another lead photo, an embargo set again, a reopened review: the copies follow.
        public_media.stories_changed([story.id], also_photos=[old_lead, *old_body])
    if forget_copy:
        drafts.forget_copy(actor.id, drafts.story_key(story.id))
    commit()
    return story


def _edit_event(state: StoryState, correction: CorrectionInput | None) -> str:
    """The audit code of a save: a public notice says which; a published story changed without
    review (a desk editor's direct change) has its own code, apart from draft edits."""
    if correction is not None:
        return "story.corrected" if correction.is_correction else "story.updated"
    return "story.edited.live" if state is StoryState.PUBLISHED else "story.edited"


def _move_slug(story: Story, old_slug: str, slug: str) -> None:
    """Keep the old URL of a published story working; never redirect the current slug."""
    db.session.execute(
        delete(SlugRedirect).where(SlugRedirect.slug == slug, SlugRedirect.story_id == story.id)
    )
    if story.first_published_at is not None:
        db.session.add(SlugRedirect(slug=old_slug, story_id=story.id))


def restore_revision(
    story: Story, revision: Revision, *, actor: Person, expected_version: int
) -> Story:
    """Make an old revision the current text; itself a new revision."""
    if revision.story_id != story.id:
        raise TransitionNotAllowed("That revision belongs to another story.")
    load_missing(story, "tags")
    data = StoryInput(
        headline=revision.headline,
        standfirst=revision.standfirst,
        body=revision.body,
        byline=revision.byline,
        dateline=revision.dateline,
        desk_id=story.desk_id,
        slug=story.slug,
        tags=[t.name for t in story.tags],
        embargo_at=story.embargo_at,
        lead_photo_id=story.lead_photo_id,  # photos are not part of a revision's text
        lead_caption=story.lead_caption,
    )
    return save_story(
        story,
        data,
        actor=actor,
        expected_version=expected_version,
        summary=f"Restored revision {revision.number}",
    )


def set_placement(story: Story, placement: Placement, *, actor: Person) -> Story:
    """Put a story in Top News, or take it out."""
    if not can_place(actor_of(actor), facts_of(story)):
        raise TransitionNotAllowed("Only the desk's editors place stories.")
    before, placement = Placement(story.placement), Placement(placement)
    if before is placement:
        return story
    if placement is Placement.TOP and not is_placeable(facts_of(story)):
        raise WrongState(
            f"This story is {StoryState(story.state).label.lower()}; Top News takes only "
            "stories that are approved, scheduled or published."
        )
    # Like every change, placement bumps the version, so a form opened before it sees a conflict.
    # A story placed anew has no slot yet: it follows the ordered ones until an editor orders it.
    claimed = db.session.execute(
        update(Story)
        .where(Story.id == story.id, Story.state == story.state)
        .values(
            placement=placement,
            front_position=None,
            modified_at=utcnow(),
            version=Story.version + 1,
        )
        .returning(Story.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        raise WrongState("Someone else changed this story first; reload it and try again.")
    db.session.expire(story)
    audit.record(
        "story.placed", actor=actor, story_id=story.id, data={"before": before, "after": placement}
    )
    if story.state == StoryState.PUBLISHED:
        refresh_stories([story.id])
    commit()
    return story


def visible_story(story_id: int, person: Person) -> Story | None:
    """The story if this person may see it in the newsroom; None means 404, never a glimpse."""
    story = db.session.get(Story, story_id)
    if story is None or not can_view(actor_of(person), facts_of(story)):
        return None
    return story
