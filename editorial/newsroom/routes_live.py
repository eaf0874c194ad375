"""Live coverage on the newsroom story page: post, edit, delete and pin entries; end it.

Every form posts here and comes back to the story page; a refusal re-renders the page with the
text as typed (an entry to ended coverage is a 409 that keeps it, ready to copy elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy import select
from werkzeug.exceptions import abort

from editorial.extensions import db
from editorial.models import LiveEntry, Story
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import person, story_or_404
from editorial.newsroom.forms import parse_int
from editorial.newsroom.routes_story import render_story
from editorial.services.errors import ValidationFailed
from editorial.services.live import (
    EntryInput,
    delete_entry,
    edit_entry,
    end_live_coverage,
    pin_entry,
    post_entry,
)
from editorial.workflow import TransitionNotAllowed, WrongState


def _entry_or_404(story: Story, entry_id: int) -> LiveEntry:
    entry = db.session.scalar(
        select(LiveEntry).where(LiveEntry.id == entry_id, LiveEntry.story_id == story.id)
    )
    if entry is None:
        abort(404, "There is no such entry on this story.")
    return entry


def _typed() -> EntryInput:
    return EntryInput(
        body=request.form.get("entry", ""),
        link=request.form.get("link", ""),
        photo_id=parse_int(request.form.get("photo_id")),
    )


def _refused(story: Story, action: str, error: Exception, status: int, entry_id: int = 0):
    """Back to the story page with the message beside the form and the text as typed."""
    values = {
        "entry": request.form.get("entry", ""),
        "link": request.form.get("link", ""),
        "photo_id": request.form.get("photo_id", ""),
        "entry_id": str(entry_id),
    }
    if isinstance(error, ValidationFailed):
        return render_story(story, status=status, errors={action: error.errors}, values=values)
    if isinstance(error, TransitionNotAllowed):
        abort(403, str(error))
    if action == "post_entry":  # the refusal beside the Entry field, with the text in it
        return render_story(
            story, status=status, errors={action: {"entry": str(error)}}, values=values
        )
    # The entry may be gone from the list: the message on top, and the text typed kept there.
    return render_story(story, status=status, message=str(error), values={**values, "kept": "1"})


def _back(story: Story, anchor: str = "live"):
    return redirect(url_for(".story", story_id=story.id, _anchor=anchor))


def _act(
    story: Story,
    action: str,
    call: Callable[[], Any],
    done: str,
    *,
    entry_id: int = 0,
    anchor: str | Callable[[Any], str] = "live",
):
    """Run one live action; a refusal goes back with the text as typed, success with `done`
    to the story page at `anchor` (or the anchor made from what the action returned)."""
    try:
        result = call()
    except ValidationFailed as failed:
        return _refused(story, action, failed, 400, entry_id)
    except (WrongState, TransitionNotAllowed) as error:
        return _refused(story, action, error, 409, entry_id)
    flash(done, "success")
    return _back(story, anchor(result) if callable(anchor) else anchor)


@bp.post("/stories/<int:story_id>/entries")
@login_required
def post_live_entry(story_id: int):
    story = story_or_404(story_id)
    return _act(
        story, "post_entry", lambda: post_entry(story, _typed(), actor=person()),
        "Entry posted.", anchor=lambda entry: f"entry-{entry.id}",
    )  # fmt: skip


@bp.post("/stories/<int:story_id>/entries/<int:entry_id>")
@login_required
def edit_live_entry(story_id: int, entry_id: int):
    story = story_or_404(story_id)
    entry = _entry_or_404(story, entry_id)
    return _act(
        story, "edit_entry", lambda: edit_entry(entry, _typed(), story=story, actor=person()),
        "Entry saved; readers see it marked as edited.",
        entry_id=entry_id, anchor=f"entry-{entry_id}",
    )  # fmt: skip


@bp.post("/stories/<int:story_id>/entries/<int:entry_id>/delete")
@login_required
def delete_live_entry(story_id: int, entry_id: int):
    story = story_or_404(story_id)
    entry = _entry_or_404(story, entry_id)
    return _act(
        story, "delete_entry", lambda: delete_entry(entry, story=story, actor=person()),
        "Entry deleted.", entry_id=entry_id,
    )  # fmt: skip


@bp.post("/stories/<int:story_id>/entries/<int:entry_id>/pin")
@login_required
def pin_live_entry(story_id: int, entry_id: int):
    story = story_or_404(story_id)
    entry = _entry_or_404(story, entry_id)
    pinned = request.form.get("pinned", "1") != "0"
    return _act(
        story, "pin_entry",
        lambda: pin_entry(entry, story=story, actor=person(), pinned=pinned),
        "Entry pinned on top." if pinned else "Entry unpinned.",
        entry_id=entry_id, anchor=f"entry-{entry_id}",
    )  # fmt: skip


@bp.post("/stories/<int:story_id>/live/end")
@login_required
def end_live(story_id: int):
    story = story_or_404(story_id)
    return _act(
        story, "end_live", lambda: end_live_coverage(story, actor=person()),
        "Live coverage ended; the entries stay on the page.",
    )  # fmt: skip
