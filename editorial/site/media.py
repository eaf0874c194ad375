"""Public photo files: renditions only, and only of photos that a public story uses."""

from __future__ import annotations

from flask import Response, abort

from editorial.site import queries
from editorial.site.blueprint import bp
from editorial.storage import IMMUTABLE, RENDITIONS, media_store


@bp.get("/media/<key>")
def media(key: str) -> Response:
    """A rendition, or 404 exactly as for a name that never existed (a draft's photo, an
    original's hash, a guess). With S3 the pages link to the public copies instead (README
    "Photo storage"); this route answers the same way for links made before the switch."""
    queries.begin_read()
    if queries.public_rendition_format(key) is None:
        abort(404)  # the paper's 404 page reads in this same transaction
    queries.release()  # before the file is sent
    response = media_store().send(RENDITIONS, key)
    response.headers["Cache-Control"] = IMMUTABLE
    return response
