"""The story page: metadata, body, corrections, workflow buttons, placement, comments, preview."""

from __future__ import annotations

import re
from contextlib import suppress

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from editorial.extensions import db
from editorial.models import Comment, Placement, Story
from editorial.models.loading import STORY_WHOLE, load_whole
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import STAFF_MEDIA, form_version, person, story_or_404, tz
from editorial.newsroom.forms import parse_local_time
from editorial.services.comments import add_comment
from editorial.services.errors import ValidationFailed
from editorial.services.settings import workflow_policy
from editorial.services.stories import set_placement
from editorial.services.transitions import transition_story
from editorial.site import pages as site_pages
from editorial.site import queries as site_queries
from editorial.workflow import (
    HUMAN_ACTIONS,
    Action,
    NoteRequired,
    WrongState,
    allowed_actions,
    can_edit,
    can_place,
    check,
)

NOTE_MAX = 5000
# Button order on the story page: moving forward first, sending back next, destroying last.
ACTION_ORDER = {Action.RECALL: 1, Action.REQUEST_CHANGES: 2, Action.SPIKE: 3, Action.WITHDRAW: 3}
PREVIEW_BANNER = "Preview - not published"
BODY_TAG = re.compile(r"<body[^>]*>", re.IGNORECASE)


def _comments(story: Story) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .options(joinedload(Comment.author))
            .where(Comment.story_id == story.id)
            .order_by(Comment.created_at, Comment.id)
        )
    )


def render_story(
    story: Story,
    *,
    status: int = 200,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    message: str = "",
) -> tuple[str, int]:
    """The story page; `errors` maps an action (or 'comment') to its form's field errors."""
    me = person()
    load_whole(story)  # also after a failed action's rollback expired it
    html = render_template(
        "newsroom/story.html",
        story=story,
        actions=sorted(
            allowed_actions(me.actor, story.facts, workflow_policy()),
            key=lambda t: ACTION_ORDER.get(t.action, 0),
        ),
        can_edit=can_edit(me.actor, story.facts),
        can_place=can_place(me.actor, story.facts),
        comments=_comments(story),
        errors=errors or {},
        values=values or {},
        message=message,
        Placement=Placement,
    )
    return html, status


@bp.get("/stories/<int:story_id>")
@login_required
def story(story_id: int):
    """A story as the newsroom sees it, with the actions this person may take."""
    return render_story(story_or_404(story_id, *STORY_WHOLE))


@bp.post("/stories/<int:story_id>/actions/<name>")
@login_required
def act(story_id: int, name: str):
    """Take one workflow action: 403 if never allowed, 409 if the story moved on, 400 on input."""
    me = person()
    story = story_or_404(story_id)
    try:
        action = Action(name)
    except ValueError:
        abort(404)
    if action not in HUMAN_ACTIONS:
        abort(404)
    # Refuse what this person may never do (403) before looking at the rest of the form; a
    # wrong state is judged again with the real input below, and answered with 409.
    with suppress(WrongState):
        check(action, me.actor, story.facts, note="-", policy=workflow_policy())
    expected = form_version()
    note = request.form.get("note", "")
    raw_time = request.form.get("publish_at", "")
    values = {"note": note, "publish_at": raw_time, "action": action.value}

    def fail(field: str, text: str, status: int = 400) -> tuple[str, int]:
        return render_story(
            story, status=status, errors={action.value: {field: text}}, values=values
        )

    if len(note) > NOTE_MAX:
        return fail(
            "note", f"Notes are at most {NOTE_MAX:,} characters; this one has {len(note):,}."
        )
    publish_at = None
    if action is Action.SCHEDULE:
        try:
            publish_at = parse_local_time(raw_time, tz())
        except ValueError as error:
            return fail("publish_at", str(error))
    try:
        transition_story(
            story, action, actor=me, note=note, expected_version=expected, publish_at=publish_at
        )
    except NoteRequired as error:
        return fail("note", str(error))
    except ValidationFailed as failed:
        field, text = next(iter(failed.errors.items()))
        return fail(field, text)
    except WrongState as error:  # the story moved on: say so, and keep the note for a retry
        return render_story(story, status=409, message=str(error), values=values)
    flash(f"{action.label}: done. The story is now {story.facts.state.label.lower()}.", "success")
    return redirect(url_for(".story", story_id=story.id))


@bp.post("/stories/<int:story_id>/placement")
@login_required
def place(story_id: int):
    """Put the story in Top News or take it out (the desk's editors)."""
    story = story_or_404(story_id)
    try:
        placement = Placement(request.form.get("placement", ""))
    except ValueError:
        abort(400, "Unknown placement.")
    set_placement(story, placement, actor=person())
    flash(
        "Placed in Top News." if placement is Placement.TOP else "Removed from Top News.", "success"
    )
    return redirect(url_for(".story", story_id=story.id))


@bp.route("/stories/<int:story_id>/comments", methods=["GET", "POST"])
@login_required
def comments(story_id: int):
    """Add a comment (GET shows the story's comments on its page)."""
    story = story_or_404(story_id)
    if request.method == "GET":
        return redirect(url_for(".story", story_id=story.id, _anchor="comments"))
    text = request.form.get("comment", "")
    try:
        comment = add_comment(story, text, actor=person())
    except ValidationFailed as failed:
        message = next(iter(failed.errors.values()))
        return render_story(
            story, status=400, errors={"comment": {"comment": message}}, values={"comment": text}
        )
    flash("Comment added.", "success")
    return redirect(url_for(".story", story_id=story.id, _anchor=f"comment-{comment.id}"))


def _with_banner(html: str) -> str:
    """Put the preview banner on top of the public article page, so it cannot pass for one."""
    banner = Markup('<div class="preview-banner" role="status"><strong>{}</strong></div>').format(
        escape(PREVIEW_BANNER)
    )
    stylesheet = Markup('<link rel="stylesheet" href="{}">').format(
        url_for("static", filename="css/preview.css")
    )
    html = html.replace("</head>", f"{stylesheet}</head>", 1)
    return BODY_TAG.sub(lambda body: body.group(0) + str(banner), html, count=1)


def _site_article(story: Story) -> str:
    """The public article template filled as the site fills it."""
    view = site_queries.article_of(story, media_base=STAFF_MEDIA)
    html, _ = site_pages.render_page(
        "site/article.html",
        article=view,
        more=site_queries.more_from_desk(story.desk_id, exclude=story.id, limit=5),
        top=site_queries.top_news(site_pages.SIDEBAR_COUNT, exclude=story.id),
        latest=site_queries.latest(site_pages.SIDEBAR_COUNT, exclude=story.id),
        current=view.card.desk_slug,
        canonical=view.card.url,
        jsonld=site_pages.news_article_jsonld(view),
        preview=True,
    )
    return html


@bp.get("/stories/<int:story_id>/preview")
@login_required
def preview(story_id: int) -> Response:
    """The story as readers will see it, whatever its state; only for those who can see it."""
    story = story_or_404(story_id, selectinload(Story.tags), selectinload(Story.corrections))
    response = Response(_with_banner(_site_article(story)), mimetype="text/html")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
