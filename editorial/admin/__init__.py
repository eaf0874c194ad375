"""The admin area: staff, desks, site settings, the audit log. Admins only."""

from editorial.admin import routes  # noqa: F401  (the route modules register themselves)
from editorial.admin.blueprint import bp

__all__ = ["bp"]
