"""Sign-in, sign-out and passwords."""

from editorial.auth import routes  # noqa: F401  (the route modules register themselves)
from editorial.auth.blueprint import bp

__all__ = ["bp"]
