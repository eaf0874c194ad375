"""Admin pages: the admins-only gate, the overview, and the wiring of the route modules.

Staff, desks, site settings and the audit log each have their module (routes_*.py); the
helpers they share are in common.py. Views parse, call a service, render.
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from editorial.admin import (  # noqa: F401  (the route modules register themselves)
    routes_audit,
    routes_desks,
    routes_settings,
    routes_staff,
)
from editorial.admin.blueprint import bp
from editorial.admin.common import subject_names
from editorial.extensions import db, login_manager
from editorial.services import audit, desks, staff


@bp.before_request
def _admins_only() -> BaseResponse | None:
    """Every admin URL, present and future, any method, is for admins: others get 403.

    Not `@login_required`: it lets OPTIONS through unauthenticated, which would reach the
    admin check with an anonymous user.
    """
    if not current_user.is_authenticated:
        sign_in: BaseResponse = login_manager.unauthorized()
        return sign_in
    if not current_user.is_admin:
        abort(403, "The admin area is for administrators.")
    return None


@bp.get("/")
def index() -> str:
    """The admin overview: head counts, desks, and the latest entries of the audit log."""
    recent = db.session.scalars(audit.search_events().limit(8)).all()
    return render_template(
        "admin/index.html",
        summary=staff.staff_summary(),
        desk_count=len(desks.all_desks()),
        recent=recent,
        subjects=subject_names(recent),
    )
