"""The public news site: pages (pages.py), feeds and sitemaps (feeds.py), caching (cache.py),
and the one definition of what is public (queries.py)."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from editorial.site import feeds, pages  # noqa: E402,F401
