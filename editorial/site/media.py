"""Public photo files: renditions only, and only of photos that a public story uses."""

from __future__ import annotations

from flask import Response, abort, send_from_directory

from editorial import mediastore
from editorial.site import queries
from editorial.site.blueprint import bp

# A rendition's name is a hash of its bytes, so its content never changes: cache it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
MIMETYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}


@bp.get("/media/<key>")
def media(key: str) -> Response:
    """A rendition, or 404 exactly as for a name that never existed (a draft's photo, an
    original's hash, a guess)."""
    queries.begin_read()
    fmt = queries.public_rendition_format(key)
    queries.release()
    if fmt is None:
        abort(404)
    response = send_from_directory(mediastore.renditions(), key, mimetype=MIMETYPES[fmt])
    response.headers["Cache-Control"] = IMMUTABLE
    return response
