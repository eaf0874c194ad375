"""A photo's focal point: two percent fields on its page (a click on the photo fills them,
with JavaScript); saving queues the crops cut again around the point."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from editorial.extensions import csrf, db
from editorial.models import Photo
from editorial.newsroom.blueprint import bp
from editorial.newsroom.common import csrf_problem, person
from editorial.newsroom.focal import focal_panel, parse_percent
from editorial.newsroom.forms import PhotoDetailsForm
from editorial.newsroom.routes_media import render_photo
from editorial.services.errors import ValidationFailed
from editorial.services.photos import set_focal_point

PROBLEM = "Enter a number from 0 to 100 (percent from the {edge})."


@bp.post("/media/<int:photo_id>/focal-point")
@login_required
@csrf.exempt  # checked inside the view: a refused token keeps what was typed
def set_photo_focal_point(photo_id: int):
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404, "There is no such photo.")
    typed = {name: request.form.get(name, "") for name in ("focal_x", "focal_y")}

    def again(errors: dict[str, str], status: int):
        general = {k: v for k, v in errors.items() if k not in typed}
        panel = focal_panel(
            photo,
            typed["focal_x"],
            typed["focal_y"],
            **{k: v for k, v in errors.items() if k in typed},
        )
        form = PhotoDetailsForm(formdata=None, obj=photo)
        return render_photo(photo, form, errors=general, focal=panel, status=status)

    if problem := csrf_problem():
        return again({"general": problem}, 400)
    x, y = parse_percent(typed["focal_x"]), parse_percent(typed["focal_y"])
    errors = {
        name: PROBLEM.format(edge=edge)
        for name, edge, value in (("focal_x", "left edge", x), ("focal_y", "top edge", y))
        if value is None
    }
    if errors:
        return again(errors, 422)
    assert x is not None and y is not None
    try:
        changed = set_focal_point(photo, x, y, actor=person())
    except ValidationFailed as failed:
        return again(failed.errors, 422)
    flash(
        "Focal point saved; the crops are being cut again around it."
        if changed
        else "The focal point was already there: nothing changed.",
        "success",
    )
    return redirect(url_for(".photo_page", photo_id=photo_id) + "#focal-point")
