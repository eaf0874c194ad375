"""Pending updates of a published story: the update editor, the desk's buttons, and the
three-way comparison with "Rebase on the live copy"."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from editorial import merge
from editorial.extensions import csrf
from editorial.models import Story, StoryUpdate
from editorial.models.loading import STORY_WHOLE, load_access, load_whole
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import csrf_problem, person, story_or_404, tz
from editorial.newsroom.diff import story_diff
from editorial.newsroom.forms import (
    StoryForm,
    desk_choices,
    parse_int,
    parse_local_time,
    photo_choices,
    story_form_data,
    story_input,
)
from editorial.newsroom.routes_stories import render_editor
from editorial.newsroom.routes_story import NOTE_MAX, action_or_404, render_story
from editorial.newsroom.updates import FieldMerge, base_diff, three_way
from editorial.services.errors import ValidationFailed
from editorial.services.revisions import CorrectionInput
from editorial.services.scheduled_updates import schedule_update
from editorial.services.stories import StoryInput
from editorial.services.updates import (
    LiveCopyChanged,
    StaleUpdate,
    check_update,
    pending_update,
    publish_update,
    rebase_update,
    save_update,
    transition_update,
    update_facts,
    update_input,
)
from editorial.workflow import (
    UPDATE_BUTTONS,
    Action,
    NoteRequired,
    StoryState,
    WorkflowError,
    WrongState,
    can_rebase_update,
    can_write_update,
)

SUBMIT_UPDATE = "submit_update"
NOTICE_KINDS = {"": None, "correction": True, "update": False}


def _update_version() -> int | None:
    return parse_int(request.form.get("update_version"))


def _form_data(story: Story, pending: StoryUpdate | None) -> dict[str, object]:
    """The update editor's first values: the pending update, or the live copy to start one."""
    data = story_form_data(story, tz())
    if pending is not None:
        data |= pending.text() | {
            "slug": pending.slug,
            "tags": pending.tags,
            "lead_photo": str(pending.lead_photo_id or ""),
            "lead_caption": pending.lead_caption,
        }
    return data


def _render(form: StoryForm, story: Story, pending: StoryUpdate | None, **kw) -> tuple[str, int]:
    return render_editor(
        form,
        story,
        update_mode=True,
        update=pending,
        update_version=kw.pop("update_version", pending.version if pending else 0),
        **kw,
    )


@bp.route("/stories/<int:story_id>/update", methods=["GET", "POST"])
@login_required
@csrf.exempt  # checked inside the view, after the 404 and 403 checks: a failure keeps the text
def edit_update(story_id: int):
    """Write the pending update of a published story (Save update, Submit update for review);
    readers keep the live copy until the desk publishes it."""
    me = person()
    story = story_or_404(story_id, *STORY_WHOLE)
    pending = pending_update(story.id)
    facts = update_facts(story, pending)
    if not can_write_update(me.actor, facts):
        if pending is not None and story.state == StoryState.PUBLISHED:
            flash("This update is with the desk for review; it cannot be changed now.", "error")
            return redirect(url_for(".story", story_id=story.id))
        abort(403, "You cannot write an update of this story now.")
    get = request.method == "GET"
    form = StoryForm(data=_form_data(story, pending)) if get else StoryForm()
    form.desk.choices = desk_choices(me, story)
    form.lead_photo.choices = photo_choices(story)
    if get:
        return _render(form, story, pending)
    expected = _update_version()
    if problem := csrf_problem():
        return _render(form, story, pending, message=problem, status=400, update_version=expected)
    if expected is None:
        abort(400, "This form did not say which version of the update it was based on.")
    data, errors = story_input(form, tz())
    if errors:
        return _render(form, story, pending, errors=errors, status=422, update_version=expected)
    try:
        saved = save_update(story, data, actor=me, expected_version=expected)
    except ValidationFailed as failed:
        return _render(form, story, pending, errors=failed.errors, status=422)
    except StaleUpdate as stale:
        return _stale(form, story, data, stale)
    if request.form.get("action") == SUBMIT_UPDATE:
        return _submit(story, saved)
    flash(f"Update saved (update version {saved.version}). Readers still see the live copy.")
    return redirect(url_for(".edit_update", story_id=story.id))


def _stale(form: StoryForm, story: Story, data: StoryInput, stale: StaleUpdate):
    """Someone saved the update first: keep this person's text, show what differs."""
    current = pending_update(story.id)
    conflict = {
        "diff": story_diff(current, data) if current else story_diff(story, data),
        "current": current or story,
        "stale": stale,
        "update": True,
    }
    message = (
        f"{stale} Your text was NOT saved; it is kept in the form below. Check the "
        "differences, then press Save update again to save your text over theirs."
    )
    version = current.version if current else 0
    return _render(
        form, story, current, conflict=conflict, message=message, status=409, update_version=version
    )


def _submit(story: Story, saved: StoryUpdate) -> Response:
    try:
        transition_update(
            story, Action.SUBMIT_UPDATE, actor=person(), expected_version=saved.version
        )
    except (WorkflowError, ValidationFailed) as error:
        flash(f"Your update was saved, but not submitted: {error}", "error")
        return redirect(url_for(".edit_update", story_id=story.id))
    flash("Update submitted for review. Readers see the live copy until the desk publishes it.")
    return redirect(url_for(".story", story_id=story.id))


def _notice() -> CorrectionInput | None:
    """The public notice the desk attaches when it publishes an update (or none)."""
    kind = request.form.get("notice_kind", "")
    if kind not in NOTICE_KINDS:  # only a hand-made request: told on the form all the same
        raise ValidationFailed({"notice_kind": "Choose No notice, Update or Correction."})
    note = request.form.get("notice_note", "").strip()
    is_correction = NOTICE_KINDS[kind]
    if is_correction is None:
        if note:
            raise ValidationFailed(
                {"notice_note": "Choose Correction or Update for this notice, or clear it."}
            )
        return None
    if not note:
        raise ValidationFailed({"notice_note": "Write the notice readers will see."})
    return CorrectionInput(note=note, is_correction=is_correction)


def _publish_at() -> datetime:
    """The "Publish at" of Schedule update, in newsroom local time."""
    try:
        return parse_local_time(request.form.get("publish_at", ""), tz())
    except ValueError as error:
        raise ValidationFailed({"publish_at": str(error)}) from None


@bp.post("/stories/<int:story_id>/update/actions/<name>")
@login_required
def update_act(story_id: int, name: str):
    """One button of the pending update: 403 never allowed, 409 moved on, 400 bad input."""
    me = person()
    story = story_or_404(story_id)
    action = action_or_404(name, set(UPDATE_BUTTONS))
    # As for the story's own buttons: what this person may never do is a 403 before the form
    # is read (a reporter's bad Publish at is not a 422); the state is judged again below.
    with suppress(WrongState):
        check_update(story, pending_update(story.id), action, me, note="-")
    note = request.form.get("note", "")
    values = {f"update-{k}": v for k, v in request.form.items() if k != "csrf_token"}

    def fail(field: str, text: str, status: int = 400) -> tuple[str, int]:
        errors = {f"update-{action.value}": {field: text}}
        return render_story(story, status=status, errors=errors, values=values)

    if len(note) > NOTE_MAX:
        return fail("note", f"Notes are at most {NOTE_MAX:,} characters.")
    expected = _update_version()
    try:
        if action is Action.PUBLISH_UPDATE:
            publish_update(story, actor=me, expected_version=expected, notice=_notice())
        elif action is Action.SCHEDULE_UPDATE:
            at = _publish_at()
            schedule_update(
                story, actor=me, publish_at=at, notice=_notice(), expected_version=expected
            )
        else:
            transition_update(story, action, actor=me, note=note, expected_version=expected)
    except NoteRequired as error:
        return fail("note", str(error))
    except ValidationFailed as failed:
        return fail(next(iter(failed.errors)), " ".join(failed.errors.values()), 422)
    except LiveCopyChanged as error:
        flash(str(error), "error")
        return redirect(url_for(".compare_update", story_id=story.id))
    except StaleUpdate as stale:
        return render_story(story, status=409, message=str(stale), values=values)
    except WrongState as error:
        return render_story(story, status=409, message=str(error), values=values)
    flash(f"{action.label}: done.", "success")
    return redirect(url_for(".story", story_id=story.id))


@bp.route("/stories/<int:story_id>/update/compare", methods=["GET", "POST"])
@login_required
def compare_update(story_id: int):
    """The three-way comparison (where the update started, the update, the live copy now),
    and Rebase on the live copy: the merge of both edits, conflicts resolved by choice."""
    me = person()
    story = story_or_404(story_id, *STORY_WHOLE)
    pending = pending_update(story.id)
    if pending is None:
        flash("This story has no pending update.", "error")
        return redirect(url_for(".story", story_id=story.id))
    allowed = can_rebase_update(me.actor, update_facts(story, pending))
    fields = three_way(story, pending)
    if request.method == "GET" or not allowed:
        if request.method == "POST":
            abort(403, "You cannot rebase this update now.")
        return _compare_page(story, pending, fields, allowed)
    if parse_int(request.form.get("live_version")) != story.version:
        message = "The live copy changed again while you were comparing; check the new version."
        return _compare_page(story, pending, fields, allowed, message=message, status=409)
    choices, missing = _choices(fields)
    if missing:
        message = f"Choose a version for every conflict ({', '.join(missing)})."
        return _compare_page(story, pending, fields, allowed, message=message, status=422)
    resolved = update_input(story, pending)
    for name, text in choices.items():
        setattr(resolved, name, text)
    try:
        rebase_update(story, resolved, actor=me, expected_version=_update_version() or 0)
    except (StaleUpdate, WrongState) as error:
        return _compare_page(story, pending, fields, allowed, message=str(error), status=409)
    except ValidationFailed as failed:
        message = " ".join(failed.errors.values())
        return _compare_page(story, pending, fields, allowed, message=message, status=422)
    flash("The update is rebased on the live copy: it keeps the live copy's changes.")
    return redirect(url_for(".story", story_id=story.id))


def _choices(fields: list[FieldMerge]) -> tuple[dict[str, str], list[str]]:
    """The merged text of each field, with the person's choice for each conflict."""
    texts, missing = {}, []
    for f in fields:
        picks = [request.form.get(f"{f.name}-{n}", "") for n in range(len(f.result.conflicts))]
        if any(p not in merge.CHOICES for p in picks):
            missing.append(f.label)
            continue
        texts[f.name] = f.result.text(picks)
    return texts, missing


def _compare_page(
    story: Story,
    pending: StoryUpdate,
    fields: list[FieldMerge],
    allowed: bool,
    *,
    message: str = "",
    status: int = 200,
) -> tuple[str, int]:
    load_whole(story)  # also after a refused rebase's rollback expired it
    load_access(person())  # the same rollback expired the signed-in person
    html = render_template(
        "newsroom/update_compare.html",
        story=story,
        update=pending,
        fields=fields,
        allowed=allowed,
        live_diff=base_diff(story, pending),
        message=message,
        merge=merge,
    )
    return html, status
