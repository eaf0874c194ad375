"""The newsroom: staff pages for writing, editing and moving stories."""

from editorial.newsroom import routes  # noqa: F401  (the route modules register themselves)
from editorial.newsroom.blueprint import bp

__all__ = ["bp"]
