"""The editor's writing help, for its JavaScript (static/js/toolbar.js): the live preview of
the body and the photo picker. JSON, for signed-in staff only (anonymous: 401).

The preview renders with the server's own renderer and sanitiser (rendering.render_body, then
the photos filled as the newsroom's Preview fills them), so what the pane shows is what the
story page will show; nothing is saved. Its CSRF is checked in the view (X-CSRFToken header) so
a refusal is JSON too, and a body over the limit is a 413 that leaves the text where it is.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import login_required
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from editorial.extensions import csrf
from editorial.inputs import strip_controls
from editorial.models import BODY_MAX
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import STAFF_MEDIA, tz
from editorial.newsroom.library import Tile, library, library_filters
from editorial.rendering import photo_markdown, render_body
from editorial.site.queries import body_with_photos

PICKER_SIZE = 24  # photos per answer: a short list to choose from, narrowed by searching


def _answer(status: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), status


@bp.post("/editor/preview")
@login_required
@csrf.exempt  # checked inside the view, answering in JSON
def editor_preview():
    """The body as readers will see it, rendered from the text the editor holds now."""
    try:
        csrf.protect()
    except CSRFError as error:
        return _answer(
            403,
            error=f"The preview is paused: the security token was not accepted "
            f"({error.description}). Your text is unchanged; reload the page to go on.",
        )
    payload = request.get_json(silent=True)
    text = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        return _answer(400, error="The preview request was not understood (a body is expected).")
    text = strip_controls(text)
    if len(text) > BODY_MAX:
        return _answer(
            413,
            error=f"The body is {len(text):,} characters; the limit is {BODY_MAX:,}. The "
            "preview stops here; your text is unchanged. Shorten it to save it.",
        )
    html, _ = body_with_photos(render_body(text), STAFF_MEDIA, warn=True)
    return _answer(200, html=html)  # the editor counts words itself (a second render here)


def _picked(tile: Tile) -> dict[str, Any]:
    return {
        "id": tile.id,
        "caption": tile.caption,
        "credit": tile.credit,
        "alt": tile.alt_text,
        "ready": tile.ready,
        "thumbnail": url_for(".media_thumbnail", photo_id=tile.id) if tile.ready else "",
        "markdown": photo_markdown(tile.id, tile.alt_text, tile.caption),
        "problem": ""
        if tile.credit.strip() and tile.alt_text.strip()
        else "No credit or alt text yet: add them on the photo's page before publishing.",
    }


@bp.get("/editor/photos")
@login_required
def editor_photos():
    """Library photos for the editor's picker, newest first, searched as the library is."""
    filters, _ = library_filters(request.args)  # a value that does not parse is left out
    newest = library(filters, tz())
    return _answer(
        200,
        photos=[_picked(tile) for tile in newest.items[:PICKER_SIZE]],
        more=newest.older is not None or len(newest.items) > PICKER_SIZE,
        library=url_for(".media", q=filters.q) if filters.q else url_for(".media"),
    )
