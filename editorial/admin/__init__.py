"""The admin area: staff, desks, site settings, the audit log. Admins only."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from editorial.admin import routes  # noqa: E402,F401
