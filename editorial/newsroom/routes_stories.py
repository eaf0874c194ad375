"""The story editor (new and edit), with conflicts and expired forms that never lose text."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_required
from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from editorial.extensions import csrf, db
from editorial.models import Story, StoryUpdate
from editorial.models.loading import STORY_WHOLE, actor_of, facts_of, load_whole
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import csrf_problem, form_version, person, story_or_404, tz
from editorial.newsroom.conflicts import MERGE, BadPick, MissingPick, story_merge
from editorial.newsroom.editing import (
    Editing,
    changes_note,
    differs,
    my_copy,
    my_new_drafts,
    others_editing,
    when,
)
from editorial.newsroom.forms import (
    StoryForm,
    correction_input,
    desk_choices,
    parse_int,
    photo_choices,
    story_form_data,
    story_input,
)
from editorial.services import drafts
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.live import start_live_coverage
from editorial.services.revisions import CorrectionInput
from editorial.services.settings import workflow_policy
from editorial.services.stories import (
    StoryInput,
    create_story,
    save_story,
    validate,
)
from editorial.services.transitions import transition_story
from editorial.services.updates import pending_update, update_facts
from editorial.site.queries import story_url
from editorial.workflow import (
    Action,
    StoryState,
    WorkflowError,
    allowed_actions,
    can_edit,
    can_write_update,
)

SUBMIT = "submit"
AGAIN = (
    ", while you were merging, so nothing was saved. The page below merges your text with "
    "the newest version: check it, then press Save merged version again."
)
SAVED_COPY = (
    "editor_saved_copy"  # session: the working copy a save replaced (the script forgets it)
)


def saved_copy_marker() -> str:
    """The key of the working copy the last save replaced, once: the editor's script then
    drops its browser copy too."""
    marker: str = session.pop(SAVED_COPY, "")
    return marker


def site_link(story: Story | None) -> str:
    """The public URL of a published story ("View on site")."""
    if story is None or story.state != StoryState.PUBLISHED:
        return ""
    return story_url(story.desk.slug, story.first_published_at, story.slug)


def _can_submit(story: Story | None) -> bool:
    if story is None:
        return True
    actions = allowed_actions(actor_of(person()), facts_of(story), workflow_policy())
    return any(t.action is Action.SUBMIT for t in actions)


def _can_write_update(story: Story) -> bool:
    """Whether the editor may offer writing an update instead (published stories)."""
    return can_write_update(actor_of(person()), update_facts(story, pending_update(story.id)))


def render_editor(
    form: StoryForm,
    story: Story | None,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
    conflict: dict | None = None,
    offers: list[dict] | None = None,
    others: list[Editing] | None = None,
    locked: bool = False,
    restored: str = "",
    update_mode: bool = False,
    update: StoryUpdate | None = None,
    update_version: int | None = 0,
) -> tuple[str, int]:
    """The editor page, with errors beside their fields and the person's text as they sent it.

    `offers`: working copies to restore or discard; `others`: who else is editing (`locked`:
    shown behind "Edit anyway"); `restored`: the time of the working copy in the form.
    `update_mode`: the editor writes the pending update of a published story (`update`, at
    `update_version`; 0: none yet), not the live copy.
    """
    general = []
    for name, text in (errors or {}).items():
        field = form._fields.get(name)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, text]
        else:
            general.append(text)
    if story is not None:
        load_whole(story)  # also after a failed save's rollback expired it
    html = render_template(
        "newsroom/editor.html",
        form=form,
        story=story,
        is_published=story is not None and story.state == StoryState.PUBLISHED,
        can_submit=_can_submit(story),
        message=message,
        general_errors=general,
        conflict=conflict,
        status=status,
        offers=offers or [],
        others=others or [],
        locked=locked,
        restored=restored,
        when=when,
        changes=changes_note(story) if story is not None else None,
        site_link=site_link(story),
        saved_copy=saved_copy_marker(),
        autosave_url=""
        if update_mode
        else url_for(".autosave_story", story_id=story.id)
        if story is not None
        else url_for(".autosave_new"),
        update_mode=update_mode,
        update=update,
        update_version=update_version,
        can_write_update=story is not None and _can_write_update(story),
    )
    return html, status


def _all_errors(data: StoryInput, parse_errors: dict[str, str], story: Story | None) -> dict:
    """Parse errors plus the service's own validation, so every problem shows at once."""
    cleaned = StoryInput(**{**data.__dict__, "headline": " ".join(data.headline.split())})
    return validate(cleaned, actor=person(), story=story) | parse_errors


def _submit_after_save(form: StoryForm, story: Story) -> Response | tuple[str, int]:
    """The second half of "Submit for review": the text is saved; now send it to the desk."""
    try:
        transition_story(story, Action.SUBMIT, actor=person(), expected_version=story.version)
    except ValidationFailed as failed:
        form.version.data = str(story.version)
        return render_editor(
            form,
            story,
            errors=failed.errors,
            message="Your draft was saved, but it cannot go to the desk yet.",
            status=422,
        )
    except WorkflowError as error:
        flash(f"Your changes were saved, but the story was not submitted: {error}", "error")
        return redirect(url_for(".story", story_id=story.id))
    flash("Submitted for review. The desk's editors have been told.", "success")
    return redirect(url_for(".story", story_id=story.id))


def _start_live_if_ticked(form: StoryForm, story: Story) -> None:
    """The Live coverage checkbox, ticked on a story not yet live: mark it live after the save."""
    if not form.live_coverage.data or story.live_started_at is not None:
        return
    try:
        start_live_coverage(story, actor=person())
    except WorkflowError as error:
        flash(f"Your changes were saved, but the story was not marked live: {error}", "error")
    else:
        flash("Live coverage is on: post entries from the story's page.", "success")


def _after_save(
    form: StoryForm, story: Story, what: str, copy_key: str
) -> Response | tuple[str, int]:
    session[SAVED_COPY] = copy_key
    _start_live_if_ticked(form, story)
    if request.form.get("action") == SUBMIT and _can_submit(story):
        return _submit_after_save(form, story)
    flash(f"{what} (version {story.version}).", "success")
    if can_edit(actor_of(person()), facts_of(story)):
        return redirect(url_for(".edit_story", story_id=story.id))
    return redirect(url_for(".story", story_id=story.id))


@bp.route("/stories/new", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked inside the view: an expired token must not cost the text
def new_story():
    """Write a new story."""
    me = person()
    form = StoryForm()
    form.desk.choices = desk_choices(me)
    form.lead_photo.choices = photo_choices(None)
    if request.method == "GET":
        return _new_story_page(form)
    problem = csrf_problem()
    if problem:
        return render_editor(form, None, message=problem, status=400)
    data, errors = story_input(form, tz())
    if errors:
        return render_editor(form, None, errors=_all_errors(data, errors, None), status=422)
    draft = form.draft.data or ""
    copy_key = drafts.draft_key(draft) if drafts.DRAFT_KEY.fullmatch(draft) else ""
    try:
        story = create_story(data, actor=me, working_copy=copy_key)
    except ValidationFailed as failed:
        return render_editor(form, None, errors=failed.errors, status=422)
    return _after_save(form, story, "Draft saved", copy_key)


def _new_story_page(form: StoryForm) -> tuple[str, int]:
    """A blank editor, offering this person's never-saved drafts; ?restore=<key> fills one in."""
    me = person()
    wanted = request.args.get("restore", "")
    chosen = (
        my_copy(me.id, drafts.draft_key(wanted)) if drafts.DRAFT_KEY.fullmatch(wanted) else None
    )
    if chosen is not None:
        form.process(data={**chosen.fields, "draft": wanted})
        return render_editor(form, None, restored=when(chosen.saved_at))
    copies = my_new_drafts(me.id)
    form.byline.data = me.byline
    choices = desk_choices(me)
    if len(choices) == 1:
        form.desk.data = choices[0][0]
    offers = [
        {
            "when": when(c.saved_at),
            "saved_at": c.saved_at,
            "headline": str(c.fields.get("headline", "")).strip(),
            "draft": c.key.removeprefix("new:"),
            "restore_url": url_for(".new_story", restore=c.key.removeprefix("new:")),
            "discard_url": url_for(".discard_new_copy"),
        }
        for c in copies
    ]
    return render_editor(form, None, offers=offers)


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked inside the view, after the 404 and 403 checks
def edit_story(story_id: int):
    """Edit a story; saving over a newer version shows the conflict, never overwrites."""
    me = person()
    story = story_or_404(story_id, *STORY_WHOLE)
    if not can_edit(me.actor, story.facts):
        if story.state == StoryState.PUBLISHED and request.method == "GET":
            return redirect(url_for(".edit_update", story_id=story.id))  # an update, reviewed
        abort(403, "You cannot edit this story in its current state.")
    form = StoryForm() if request.method == "POST" else StoryForm(data=story_form_data(story, tz()))
    form.desk.choices = desk_choices(me, story)
    form.lead_photo.choices = photo_choices(story)
    if request.method == "GET":
        return _edit_page(form, story)
    problem = csrf_problem()
    if problem:
        return render_editor(form, story, message=problem, status=400)
    expected = form_version()
    data, errors = story_input(form, tz())
    correction = None
    if story.state == StoryState.PUBLISHED:
        correction, correction_errors = correction_input(form)
        errors |= correction_errors
    if errors:
        return render_editor(form, story, errors=_all_errors(data, errors, story), status=422)
    # The version the text was written from: the form's, or on the conflict page the one the
    # person first started from (the page's form is already on the current version).
    base = min(parse_int(request.form.get("base_version")) or expected, expected)
    if request.form.get("action") == MERGE:
        return _save_merged(form, story, data, expected, base, correction)
    try:
        save_story(
            story,
            data,
            actor=me,
            expected_version=expected,
            correction=correction,
            forget_copy=True,
        )
    except ValidationFailed as failed:
        return render_editor(form, story, errors=failed.errors, status=422)
    except StaleStory:
        return _conflict(form, story, data, base)
    return _after_save(form, story, "Saved", drafts.story_key(story.id))


def _save_merged(
    form: StoryForm,
    story: Story,
    mine: StoryInput,
    expected: int,
    base: int,
    correction: CorrectionInput | None,
) -> Response | tuple[str, int]:
    """Save merged version: my text merged with the current one by my picks, saved on the
    version the page showed, so a save made meanwhile is a conflict again."""
    if story.version != expected:
        return _conflict(form, story, mine, base, again=True)
    merging = story_merge(story, mine, base, person())
    try:
        merged = merging.merged(mine, request.form)
    except BadPick as bad:
        return _conflict(form, story, mine, base, note=f"Nothing was saved: {bad}", status=400)
    except MissingPick as missing:
        note = f"Nothing was saved yet: choose what to keep for {missing}."
        return _conflict(form, story, mine, base, note=note, status=422)
    try:
        save_story(
            story,
            merged,
            actor=person(),
            expected_version=expected,
            correction=correction,
            forget_copy=True,
        )
    except ValidationFailed as failed:
        note = "The merged version could not be saved; nothing was saved."
        return _conflict(form, story, mine, base, note=note, status=422, errors=failed.errors)
    except StaleStory:
        return _conflict(form, story, mine, base, again=True)
    return _after_save(form, story, "Merged version saved", drafts.story_key(story.id))


def _edit_page(form: StoryForm, story: Story) -> tuple[str, int]:
    """The editor of a saved story: the offer of this person's working copy (?restore=1 puts
    it in the form, on the version it started from), and who else is editing (behind "Edit
    anyway", ?anyway=1)."""
    me = person()
    copy = my_copy(me.id, drafts.story_key(story.id))
    others = others_editing(story.id, me.id)
    locked = bool(others) and not request.args.get("anyway") and not request.args.get("restore")
    if copy is not None and request.args.get("restore"):
        form.process(data={**copy.fields, "version": str(copy.base_version)})
        return render_editor(form, story, others=others, restored=when(copy.saved_at))
    offers = []
    # An autosave that lost the race to a save holds the saved text: nothing to offer.
    if copy is not None and differs(copy.fields, form.data):
        offers.append(
            {
                "when": when(copy.saved_at),
                "saved_at": copy.saved_at,
                "behind": copy.base_version != story.version,
                "base_version": copy.base_version,
                "restore_url": url_for(".edit_story", story_id=story.id, restore=1),
                "discard_url": url_for(".discard_story_copy", story_id=story.id),
            }
        )
    return render_editor(form, story, offers=offers, others=others, locked=locked)


def _conflict(
    form: StoryForm,
    story: Story,
    mine: StoryInput,
    base: int,
    *,
    note: str = "",
    again: bool = False,
    status: int = 409,
    errors: dict[str, str] | None = None,
) -> tuple[str, int]:
    """Someone saved first: keep this person's text in the form (now on the current version),
    merge it with the saved text, and offer the merged version with a pick where both changed
    the same paragraph."""
    db.session.expire(story)  # a failed save rolled back: read the story as it is now
    form.version.data = str(story.version)
    merging = story_merge(story, mine, base, person())
    if again:
        note = merging.saver.sentence + AGAIN
    message = note or (
        f"Not saved yet: {merging.saver.sentence}, after you opened it. Nothing is lost: your "
        "text is kept, and below it is merged with the saved version."
    )
    conflict = {"merge": merging, "current": story}
    return render_editor(
        form, story, conflict=conflict, message=message, status=status, errors=errors
    )
