"""The admin page for site settings: the tagline and the four-eyes rule."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from editorial.admin.blueprint import bp
from editorial.admin.common import actor, show_errors
from editorial.admin.forms import SettingsForm
from editorial.services import settings
from editorial.services.errors import ValidationFailed


@bp.route("/settings", methods=["GET", "POST"])
def site_settings() -> BaseResponse | str:
    """The tagline under the masthead and the four-eyes rule."""
    if request.method == "GET":
        form = SettingsForm(
            data={
                "tagline": settings.site_tagline(),
                "allow_self_approval": settings.workflow_policy().allow_self_approval,
            }
        )
    else:
        form = SettingsForm()
    if form.validate_on_submit():
        try:
            changed = settings.update_site_settings(
                tagline=form.tagline.data or "",
                allow_self_approval=form.allow_self_approval.data,
                actor=actor(),
            )
        except ValidationFailed as failed:
            show_errors(form, failed)
        else:
            flash("Settings saved." if changed else "Nothing to change.", "success")
            return redirect(url_for("admin.site_settings"))
    return render_template("admin/settings.html", form=form)
