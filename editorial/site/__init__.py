"""The public news site: pages (pages.py), feeds and sitemaps (feeds.py), caching (cache.py),
and the one definition of what is public (queries.py)."""

from editorial.site import feeds, media, pages  # noqa: F401  (the route modules register themselves)
from editorial.site.blueprint import bp

__all__ = ["bp"]
