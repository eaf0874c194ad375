"""The front page screen: desk editors choose the lead and order Top News, preview, save."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup
from werkzeug.exceptions import abort
from werkzeug.wrappers import Response

from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import form_version, person
from editorial.newsroom.forms import parse_int
from editorial.newsroom.queries import front_page_rows
from editorial.services.errors import StaleFrontPage
from editorial.services.frontpage import front_page_ids, front_page_version, save_front_page
from editorial.site import pages as site_pages
from editorial.workflow import StoryState, can_edit_front_page

UNSAVED = "Not saved yet: Preview to see it as readers will, or Save front page."


def _require_desk_editor() -> None:
    if not can_edit_front_page(person().actor):
        abort(403, "Only desk editors arrange the front page.")


def _render(
    order: list[int],
    version: int,
    *,
    status: int = 200,
    message: str = "",
    notice: str = "",
    typed: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
) -> tuple[str, int]:
    html = render_template(
        "newsroom/front_page.html",
        rows=front_page_rows(order),
        version=version,
        message=message,
        notice=notice,
        typed=typed or {},
        errors=errors or {},
        my_desks=person().actor.desk_ids,
        StoryState=StoryState,
    )
    return html, status


@bp.get("/front-page")
@login_required
def front_page():
    """Top News in front-page order, the lead first, with the controls to change it."""
    _require_desk_editor()
    return _render(front_page_ids(), front_page_version())


def _posted_ids() -> list[int]:
    ids = [parse_int(raw) for raw in request.form.getlist("story")]
    if any(i is None for i in ids):
        abort(400, "This form's list of stories was damaged, so nothing was changed. Reload it.")
    return [i for i in ids if i is not None]


def _reordered(ids: list[int]) -> tuple[list[int], dict[int, str], dict[int, str]]:
    """The order the form asks for (typed positions, then one move), and any bad positions."""
    typed = {i: request.form.get(f"position-{i}", "").strip() for i in ids}
    errors: dict[int, str] = {}
    keys = []
    for index, story_id in enumerate(ids):
        raw = typed[story_id]
        position = parse_int(raw) if raw else index + 1
        if position is None or not 1 <= position <= len(ids):
            errors[story_id] = (
                f"“{raw[:20]}” is not a position: enter a whole number from 1 to {len(ids)}."
            )
            position = index + 1
        # A story typed into a slot goes ahead of the one already there.
        keys.append((position - 1, 0 if position != index + 1 else 1, index, story_id))
    order = [key[-1] for key in sorted(keys)]
    verb, _, target = request.form.get("do", "save").partition(":")
    moved = parse_int(target)
    if moved in order and verb in ("up", "down", "lead"):
        at = order.index(moved)
        to = {"up": max(at - 1, 0), "down": min(at + 1, len(order) - 1), "lead": 0}[verb]
        order.insert(to, order.pop(at))
    return order, typed, errors


@bp.post("/front-page")
@login_required
def arrange_front_page():
    """Move stories, preview the result, or save it (a stale version is a 409, order kept)."""
    _require_desk_editor()
    version = form_version()
    order, typed, errors = _reordered(_posted_ids())
    current = front_page_ids()
    shown = [i for i in order if i in current] + [i for i in current if i not in order]
    if errors:
        message = "Nothing was saved: fix the positions marked below."
        return _render(shown, version, status=400, message=message, typed=typed, errors=errors)
    do = request.form.get("do", "save")
    if do == "preview":
        return _preview(shown, version)
    if do != "save":
        return _render(shown, version, notice=UNSAVED)
    try:
        save_front_page(shown, actor=person(), expected_version=version)
    except StaleFrontPage as conflict:
        yours = "; ".join(f"{n}. {row.headline}" for n, row in enumerate(front_page_rows(shown), 1))
        return _render(
            front_page_ids(),
            front_page_version(),
            status=409,
            message=f"{conflict} Your order was: {yours}.",
        )
    flash("Front page saved: readers see it now.", "success")
    return redirect(url_for(".front_page"))


def _preview(order: list[int], version: int) -> Response:
    """The public homepage as it would be in this order, with a bar to save or go back."""
    rows = front_page_rows(order)
    waiting = sum(1 for row in rows if row.state is not StoryState.PUBLISHED)
    bar = Markup(
        render_template(
            "newsroom/_front_page_bar.html", order=order, version=version, waiting=waiting
        )
    )
    html, _ = site_pages.home_page(order=order)
    stylesheet = Markup('<link rel="stylesheet" href="{}">').format(
        url_for("static", filename="css/preview.css")
    )
    html = html.replace("</head>", f"{stylesheet}</head>", 1)
    skip = "Skip to main content</a>"
    html = html.replace(skip, f"{skip}{bar}", 1)
    response = Response(html, mimetype="text/html")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
