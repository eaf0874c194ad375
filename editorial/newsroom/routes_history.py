"""A story's history: revisions, the audit trail, comparing two revisions, restoring one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only
from werkzeug.exceptions import abort

from editorial.extensions import db
from editorial.models import AuditEvent, Revision, Story
from editorial.models.loading import actor_of, facts_of
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import form_version, person, story_or_404
from editorial.newsroom.diff import story_diff
from editorial.newsroom.forms import parse_int
from editorial.services.errors import StaleStory, ValidationFailed
from editorial.services.stories import restore_revision
from editorial.workflow import can_edit

AUDIT_LIMIT = 500


def _revisions(story: Story) -> list[Revision]:
    """The story's revisions, newest first, without their (possibly long) bodies."""
    return list(
        db.session.scalars(
            select(Revision)
            .options(
                load_only(
                    Revision.id,
                    Revision.story_id,
                    Revision.number,
                    Revision.headline,
                    Revision.summary,
                    Revision.created_at,
                    Revision.created_by_id,
                ),
                joinedload(Revision.created_by),
            )
            .where(Revision.story_id == story.id)
            .order_by(Revision.number.desc())
        )
    )


def _audit_trail(story: Story) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.story_id == story.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(AUDIT_LIMIT)
        )
    )


def _revision(story: Story, number: int) -> Revision:
    """A revision of THIS story by its number; another story's revision is a 404."""
    revision = db.session.scalar(
        select(Revision)
        .options(joinedload(Revision.created_by))
        .where(Revision.story_id == story.id, Revision.number == number)
    )
    if revision is None:
        abort(404, "This story has no such revision.")
    return revision


def render_history(story: Story, *, status: int = 200, message: str = "") -> tuple[str, int]:
    revisions = _revisions(story)
    html = render_template(
        "newsroom/history.html",
        story=story,
        revisions=revisions,
        events=_audit_trail(story),
        can_edit=can_edit(actor_of(person()), facts_of(story)),
        message=message,
    )
    return html, status


@bp.get("/stories/<int:story_id>/history")
@login_required
def history(story_id: int):
    """Every revision (who, when, why) and the audit trail of the story."""
    return render_history(story_or_404(story_id))


def _compare_numbers(story: Story) -> tuple[int, int]:
    """The two revision numbers to compare; by default the previous and the latest."""
    raw_a, raw_b = request.args.get("a"), request.args.get("b")
    a, b = parse_int(raw_a), parse_int(raw_b)
    if (raw_a and a is None) or (raw_b and b is None):
        abort(400, "Choose two revisions by their numbers.")
    if a is None or b is None:
        latest = db.session.scalar(
            select(Revision.number)
            .where(Revision.story_id == story.id)
            .order_by(Revision.number.desc())
            .limit(1)
        )
        if latest is None:
            abort(404, "This story has no revisions.")
        b = b or latest
        a = a or max(1, b - 1)
    return a, b


@bp.get("/stories/<int:story_id>/compare")
@login_required
def compare(story_id: int):
    """A readable diff of two revisions: words in headline and standfirst, lines in the body."""
    story = story_or_404(story_id)
    a, b = _compare_numbers(story)
    old, new = _revision(story, a), _revision(story, b)
    return render_template(
        "newsroom/compare.html",
        story=story,
        old=old,
        new=new,
        diff=story_diff(old, new),
        numbers=[r.number for r in _revisions(story)],
    )


@bp.post("/stories/<int:story_id>/revisions/<int:number>/restore")
@login_required
def restore(story_id: int, number: int):
    """Make an old revision the current text (itself a new revision)."""
    story = story_or_404(story_id)
    revision = _revision(story, number)
    expected = form_version()
    try:
        restore_revision(story, revision, actor=person(), expected_version=expected)
    except StaleStory as stale:
        return render_history(story, status=409, message=f"{stale} Nothing was restored.")
    except ValidationFailed as failed:
        message = " ".join(failed.errors.values())
        return render_history(story, status=400, message=f"Nothing was restored: {message}")
    flash(f"Revision {number} restored as the current text (version {story.version}).", "success")
    return redirect(url_for(".story", story_id=story.id))
