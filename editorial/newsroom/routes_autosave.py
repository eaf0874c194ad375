"""Autosave and presence for the editor's JavaScript (JSON), and the Discard of a working copy.

The JSON answers say plainly what happened: 200 kept, 409 kept but the story moved on, 413 too
long to keep (the text stays in the browser), 403 refused, 400 not understood. CSRF is checked
in the view (X-CSRFToken header, or a csrf_token field), after the 404, and every answer that
keeps something carries a fresh token, so an editor open all day never holds an expired one.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_login import login_required
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.wrappers import Response

from editorial.extensions import csrf
from editorial.inputs import strip_controls
from editorial.models import Story
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import csrf_problem, person, story_or_404
from editorial.newsroom.editing import others_editing, when
from editorial.newsroom.forms import parse_int
from editorial.services import drafts
from editorial.services.errors import TransitionNotAllowed, ValidationFailed
from editorial.workflow import can_edit


def _answer(status: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), status


def _csrf_refusal() -> tuple[Response, int] | None:
    try:
        csrf.protect()
    except CSRFError as error:
        return _answer(
            403,
            saved=False,
            error=(
                f"Not saved: the security token was not accepted ({error.description}). "
                "Your text is kept in this browser; reload the page to go on saving."
            ),
        )
    return None


def _payload() -> tuple[dict[str, Any], dict[str, str] | None, str]:
    """The JSON body, its fields (None: a heartbeat only) and a problem, if any."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {}, None, "The autosave request was not understood (a JSON object is expected)."
    raw = body.get("fields")
    if raw is None:
        return body, None, ""
    if not isinstance(raw, dict) or not all(isinstance(v, str | bool) for v in raw.values()):
        return body, None, "The autosave request was not understood (fields must be text)."
    fields = {
        name: strip_controls("y" if value is True else "" if value is False else value)
        for name, value in raw.items()
        if name in drafts.FIELDS
    }
    return body, fields, ""


def _kept(saved: drafts.Autosaved) -> dict[str, Any]:
    return {
        "saved": True,
        "saved_at": saved.saved_at.isoformat(),
        "saved_at_local": when(saved.saved_at),
        "csrf_token": generate_csrf(),
    }


@bp.post("/stories/<int:story_id>/autosave")
@login_required
@csrf.exempt  # checked inside the view, after the 404
def autosave_story(story_id: int):
    """Keep the editor's fields as this person's working copy; say who else is editing."""
    me = person()
    story: Story = story_or_404(story_id)
    if refusal := _csrf_refusal():
        return refusal
    body, fields, problem = _payload()
    if problem:
        return _answer(400, saved=False, error=problem)
    client = str(body.get("client") or "")[:40]
    version = body.get("version")
    base = version if isinstance(version, int) else parse_int(str(version or ""))
    if base is None and fields is not None:
        return _answer(
            400, saved=False, error="Not saved: the version the editor opened is missing."
        )
    # Read before the service commits (a commit expires the story).
    current, state = story.version, story.facts.state
    leave = body.get("leave") is True  # the tab is closing (after keeping its last text)
    try:
        saved = drafts.autosave(
            fields,
            actor=me,
            story=story,
            base_version=current if base is None else base,
            client=client,
            leave=leave,
        )
    except TransitionNotAllowed as refused:
        return _answer(403, saved=False, error=str(refused))
    except ValidationFailed as failed:
        return _answer(413, saved=False, error=" ".join(failed.errors.values()))
    answer: dict[str, Any] = _kept(saved) if fields is not None else {"saved": False}
    status = 200
    if fields is not None and saved.moved_on:
        status = 409
        answer["error"] = (
            f"This story has changed since you opened it (you started from version {base}; "
            f"it is now version {current}, {state.label.lower()}). Your text is kept as your "
            "working copy: nothing is lost. Save to compare your text with the current version."
        )
    if leave:
        return _answer(status, **answer, left=True)
    answer |= {
        "version": current,
        "others": [
            {"name": e.name, "since": when(e.since)} for e in others_editing(story_id, me.id)
        ],
        "other_tab": saved.other_tab,
    }
    return _answer(status, **answer)


@bp.post("/stories/new/autosave")
@login_required
@csrf.exempt  # checked inside the view, answering in JSON
def autosave_new():
    """Keep a never-saved story's fields, by the draft key its page made."""
    if refusal := _csrf_refusal():
        return refusal
    body, fields, problem = _payload()
    if problem or fields is None:
        return _answer(400, saved=False, error=problem or "Nothing to keep: no fields were sent.")
    try:
        saved = drafts.keep_working_copy(fields, actor=person(), draft=str(body.get("draft", "")))
    except ValidationFailed as failed:
        status = 400 if "draft" in failed.errors else 413
        return _answer(status, saved=False, error=" ".join(failed.errors.values()))
    return _answer(200, **_kept(saved))


@bp.post("/stories/<int:story_id>/autosave/discard")
@login_required
@csrf.exempt  # checked inside the view, after the 404
def discard_story_copy(story_id: int):
    """ "Discard": forget this person's unsaved changes to the story."""
    story = story_or_404(story_id)
    if problem := csrf_problem():
        flash(problem, "error")
    else:
        drafts.discard_working_copy(drafts.story_key(story.id), actor=person())
        flash("Your unsaved changes were discarded.", "success")
    if can_edit(person().actor, story.facts):
        return redirect(url_for(".edit_story", story_id=story.id))
    return redirect(url_for(".story", story_id=story.id))


@bp.post("/stories/new/autosave/discard")
@login_required
def discard_new_copy():
    """ "Discard" on the new-story page: forget one never-saved draft of this person's."""
    draft = request.form.get("draft", "")
    if drafts.DRAFT_KEY.fullmatch(draft):
        drafts.discard_working_copy(drafts.draft_key(draft), actor=person())
        flash("Your unsaved changes were discarded.", "success")
    return redirect(url_for(".new_story"))
