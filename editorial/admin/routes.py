"""Admin pages."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required

from editorial.admin import bp


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every admin URL, present and future, is for admins: others get 403."""
    if not current_user.is_admin:
        abort(403, "The admin area is for administrators.")


@bp.get("/")
def index():
    return render_template("admin/index.html")
