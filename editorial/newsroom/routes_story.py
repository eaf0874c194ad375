"""The story page: metadata, body, corrections, workflow buttons, placement, comments, preview."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import replace

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from editorial.extensions import db
from editorial.models import Comment, Desk, Placement, Story
from editorial.models.loading import STORY_WHOLE, load_access, load_whole
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import STAFF_MEDIA, form_version, person, story_or_404, tz
from editorial.newsroom.editing import changes_note, differs, my_copy, when
from editorial.newsroom.forms import StoryForm, parse_local_time, story_form_data, story_input
from editorial.newsroom.live import live_panel
from editorial.newsroom.routes_stories import saved_copy_marker, site_link
from editorial.newsroom.updates import update_panel
from editorial.rendering import render_body, slugify, word_count
from editorial.services.comments import add_comment, mention_problems, suggest_mentions
from editorial.services.drafts import story_key
from editorial.services.errors import ValidationFailed
from editorial.services.housestyle import style_failures
from editorial.services.settings import workflow_policy
from editorial.services.stories import StoryInput, set_placement
from editorial.services.transitions import STYLE_CHECKED, transition_story
from editorial.site import pages as site_pages
from editorial.site import queries as site_queries
from editorial.timeutil import utcnow
from editorial.workflow import (
    HUMAN_ACTIONS,
    Action,
    NoteRequired,
    WrongState,
    allowed_actions,
    allowed_unpublish_actions,
    can_edit,
    can_place,
    can_write_update,
    check,
    is_placeable,
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
    load_access(me)  # the same rollback expired the signed-in person
    copy = my_copy(me.id, story_key(story.id))
    if copy is not None and not differs(copy.fields, story_form_data(story, tz())):
        copy = None  # what it holds was saved (an autosave that lost the race to a save)
    html = render_template(
        "newsroom/story.html",
        changes=changes_note(story),
        site_link=site_link(story),
        saved_copy=saved_copy_marker(),
        copy=copy,
        copy_when=when(copy.saved_at) if copy is not None else "",
        story=story,
        body_html=site_queries.body_with_photos(story.body_html, STAFF_MEDIA, warn=True)[0],
        actions=sorted(
            allowed_actions(me.actor, story.facts, workflow_policy()),
            key=lambda t: ACTION_ORDER.get(t.action, 0),
        ),
        can_edit=can_edit(me.actor, story.facts),
        can_place=can_place(me.actor, story.facts),
        placeable=is_placeable(story.facts),
        embargo_holds=story.facts.embargoed,
        style_failures=style_failures(story),
        STYLE_CHECKED=STYLE_CHECKED,
        comments=_comments(story),
        live=live_panel(story, me),
        unpublish_actions=allowed_unpublish_actions(me.actor, story.facts),
        update=update_panel(story, me),
        can_write_update=can_write_update(me.actor, story.facts),
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


def action_or_404(name: str, offered: Iterable[Action]) -> Action:
    """The action a button's URL names, if it is one of these buttons; 404 for anything else."""
    try:
        action = Action(name)
    except ValueError:
        abort(404)
    if action not in offered:
        abort(404)
    return action


@bp.post("/stories/<int:story_id>/actions/<name>")
@login_required
def act(story_id: int, name: str):
    """Take one workflow action: 403 if never allowed, 409 if the story moved on, 400 on input."""
    me = person()
    story = story_or_404(story_id)
    action = action_or_404(name, HUMAN_ACTIONS)
    # Refuse what this person may never do (403) before looking at the rest of the form; a
    # wrong state is judged again with the real input below, and answered with 409.
    with suppress(WrongState):
        check(action, me.actor, story.facts, note="-", policy=workflow_policy())
    expected = form_version()
    note = request.form.get("note", "")
    raw_time = request.form.get("publish_at", "")
    style_override = request.form.get("style_override") == "1"
    style_note = request.form.get("style_note", "")
    values = {
        "note": note,
        "publish_at": raw_time,
        "action": action.value,
        "style_override": "1" if style_override else "",
        "style_note": style_note,
    }

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
            story,
            action,
            actor=me,
            note=note,
            expected_version=expected,
            publish_at=publish_at,
            style_override=style_override,
            style_note=style_note,
        )
    except NoteRequired as error:
        return fail("note", str(error))
    except ValidationFailed as failed:  # every reason at once (lead photo and body photos)
        return fail(next(iter(failed.errors)), " ".join(failed.errors.values()))
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
    for problem in mention_problems(text, story):
        flash(problem, "warning")
    return redirect(url_for(".story", story_id=story.id, _anchor=f"comment-{comment.id}"))


@bp.route("/people/mentions")
@login_required
def mention_suggestions() -> Response:
    """The comment box's @ autocomplete (JSON): colleagues whose handle or name starts with ?q."""
    return jsonify(people=suggest_mentions(request.args.get("q", ""), actor=person()))


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


def _from_form(view: site_queries.Article, data: StoryInput) -> site_queries.Article:
    """The article as the editor's form has it now (nothing saved)."""
    slug = data.slug.strip() or slugify(data.headline)
    desk = db.session.get(Desk, data.desk_id) if data.desk_id else None
    desk_slug = desk.slug if desk is not None else view.card.desk_slug
    card = view.card._replace(
        headline=" ".join(data.headline.split()),
        standfirst=data.standfirst.strip(),
        byline=" ".join(data.byline.split()),
        dateline=" ".join(data.dateline.split()).upper(),
        slug=slug,
        desk_name=desk.name if desk is not None else view.card.desk_name,
        desk_slug=desk_slug,
        desk_url=site_queries.section_url(desk_slug) if desk_slug else "",
        url=site_queries.story_url(desk_slug or "news", None, slug),
    )
    body_html, body_photos = site_queries.body_with_photos(
        render_body(data.body), STAFF_MEDIA, warn=True
    )
    return replace(
        view,
        card=card,
        body_html=body_html,
        body_photos=body_photos,
        word_count=word_count(data.body),
        tags=[
            (name, site_queries.tag_url(slugify(name)))
            for name in (" ".join(t.split()) for t in data.tags)
            if name
        ],
        lead=site_queries.lead_photo(data.lead_photo_id, data.lead_caption, STAFF_MEDIA)
        if data.lead_photo_id
        else None,
    )


def _blank_article() -> site_queries.Article:
    card = site_queries.Card(
        id=0,
        headline="",
        standfirst="",
        byline="",
        dateline="",
        url="",
        desk_name="",
        desk_slug="",
        desk_url="",
        published_at=utcnow(),
        updated_at=None,
        slug="",
    )
    return site_queries.Article(
        card=card, body_html="", authors=[person().name], tags=[], notices=[], word_count=0
    )


def _site_article(story: Story | None, data: StoryInput | None = None) -> str:
    """The public article template filled as the site fills it (with the form's text: `data`)."""
    view = (
        site_queries.article_of(story, media_base=STAFF_MEDIA, warn=True)
        if story is not None
        else _blank_article()
    )
    if data is not None:
        view = _from_form(view, data)
    exclude = story.id if story is not None else None
    desk_id = data.desk_id if data is not None and data.desk_id else story.desk_id if story else 0
    html, _ = site_pages.render_page(
        "site/article.html",
        article=view,
        more=site_queries.more_from_desk(desk_id, exclude=exclude or 0, limit=5),
        top=site_queries.top_news(site_pages.SIDEBAR_COUNT, exclude=exclude),
        latest=site_queries.latest(site_pages.SIDEBAR_COUNT, exclude=exclude),
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
    return _preview_response(_site_article(story))


def _preview_response(html: str) -> Response:
    response = Response(_with_banner(html), mimetype="text/html")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _form_input() -> StoryInput:
    """The editor's fields as posted (parse errors only drop the field that fails)."""
    form = StoryForm()
    form.desk.choices = []
    form.lead_photo.choices = []
    data, _ = story_input(form, tz())
    return data


@bp.post("/stories/<int:story_id>/preview")
@login_required
def preview_form(story_id: int) -> Response:
    """The editor's Preview: the text as it is in the form, not as last saved."""
    story = story_or_404(story_id, selectinload(Story.tags), selectinload(Story.corrections))
    return _preview_response(_site_article(story, _form_input()))


@bp.post("/stories/new/preview")
@login_required
def preview_new() -> Response:
    """Preview of a story never saved: the text in the form, as readers would see it."""
    return _preview_response(_site_article(None, _form_input()))
