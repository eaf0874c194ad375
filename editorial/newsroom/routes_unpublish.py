"""Scheduled unpublish on the newsroom story page: set a time (and a note), or cancel it.

A refusal re-renders the story page with what was typed kept beside the form: 400 for input
(an unparseable or past time, a missing note), 409 when the story is in no state to take it.
"""

from __future__ import annotations

from contextlib import suppress

from flask import flash, redirect, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from editorial.models import Story
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import person, story_or_404, tz
from editorial.newsroom.forms import parse_local_time
from editorial.newsroom.routes_story import NOTE_MAX, render_story
from editorial.services.errors import ValidationFailed
from editorial.services.settings import workflow_policy
from editorial.services.unpublishing import cancel_unpublish, set_unpublish
from editorial.timeutil import format_local
from editorial.workflow import Action, NoteRequired, WrongState, check


@bp.post("/stories/<int:story_id>/unpublish")
@login_required
def set_unpublish_time(story_id: int) -> Response | tuple[str, int]:
    """Schedule unpublish: the field "Unpublish at" (newsroom local time) and a note."""
    me, story = person(), story_or_404(story_id)
    action = Action.SET_UNPUBLISH
    _refuse_outsiders(action, story)
    raw_time, note = request.form.get("unpublish_at", ""), request.form.get("note", "")
    values = {"action": action.value, "unpublish_at": raw_time, "note": note}

    def fail(field: str, text: str) -> tuple[str, int]:
        return render_story(story, status=400, errors={action.value: {field: text}}, values=values)

    if len(note) > NOTE_MAX:
        return fail(
            "note", f"Notes are at most {NOTE_MAX:,} characters; this one has {len(note):,}."
        )
    try:
        at = parse_local_time(raw_time, tz())
    except ValueError as error:
        return fail("unpublish_at", str(error))
    try:
        set_unpublish(story, actor=me, unpublish_at=at, note=note)
    except NoteRequired as error:
        return fail("note", str(error))
    except ValidationFailed as failed:
        return fail(next(iter(failed.errors)), " ".join(failed.errors.values()))
    except WrongState as error:
        return render_story(story, status=409, message=str(error), values=values)
    when = format_local(story.unpublish_at, tz()) if story.unpublish_at else ""
    flash(f"Unpublish scheduled: the story will be withdrawn at {when}.", "success")
    return redirect(url_for(".story", story_id=story_id))


@bp.post("/stories/<int:story_id>/unpublish/cancel")
@login_required
def cancel_unpublish_time(story_id: int) -> Response | tuple[str, int]:
    """Cancel unpublish: the story stays as it is."""
    me, story = person(), story_or_404(story_id)
    _refuse_outsiders(Action.CANCEL_UNPUBLISH, story)
    try:
        cancel_unpublish(story, actor=me)
    except WrongState as error:
        return render_story(story, status=409, message=str(error))
    flash("Unpublish cancelled: the story stays as it is.", "success")
    return redirect(url_for(".story", story_id=story_id))


def _refuse_outsiders(action: Action, story: Story) -> None:
    """403 for a person who may never take the action, before looking at the form (a wrong
    state is judged by the service, with the real input, and answered with 409)."""
    with suppress(WrongState):
        check(action, person().actor, story.facts, note="-", policy=workflow_policy())
