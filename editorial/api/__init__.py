"""A small read-only JSON API of published stories."""

from editorial.api import routes  # noqa: F401  (the route modules register themselves)
from editorial.api.blueprint import bp

__all__ = ["bp"]
