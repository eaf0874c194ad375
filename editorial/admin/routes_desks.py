"""Admin pages for desks: the list with member counts, new desks, renaming."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from editorial import style
from editorial.admin.blueprint import bp
from editorial.admin.common import actor, desk_or_404, show_errors
from editorial.admin.forms import DeskForm, NavigationForm, RenameDeskForm
from editorial.extensions import db
from editorial.models import Desk, Person
from editorial.services import desks, housestyle
from editorial.services.errors import ValidationFailed


@bp.route("/desks/", methods=["GET", "POST"])
def desk_list() -> BaseResponse | str:
    """The desks with their member counts, and a form to add one."""
    form = DeskForm()
    if form.validate_on_submit():
        try:
            desk = desks.create_desk(
                form.name.data or "",
                form.slug.data or "",
                actor=actor(),
                in_navigation=bool(form.in_navigation.data),
            )
        except ValidationFailed as failed:
            show_errors(form, failed)
        else:
            flash(f"The {desk.name} desk is created.", "success")
            return redirect(url_for("admin.desk_list"))
    return render_template(
        "admin/desks.html", desks=desks.all_desks(), counts=desks.member_counts(), form=form
    )


@bp.route("/desks/<int:desk_id>", methods=["GET", "POST"])
def desk_edit(desk_id: int) -> BaseResponse | tuple[str, int]:
    """Rename a desk (its web address stays the same), or place it in the public navigation."""
    desk = desk_or_404(desk_id)
    posted = request.method == "POST"
    navigating = posted and "save" in request.form
    # Each form reads the POST only when it was the one sent; the other shows the desk as it is.
    renaming = posted and not navigating
    form = RenameDeskForm() if renaming else RenameDeskForm(formdata=None, data={"name": desk.name})
    shown = {"position": str(desk.position), "in_navigation": desk.in_navigation}
    nav = NavigationForm() if navigating else NavigationForm(formdata=None, data=shown)
    if navigating and nav.validate_on_submit():
        try:
            desks.set_navigation(
                desk, nav.position.data or "", bool(nav.in_navigation.data), actor=actor()
            )
        except ValidationFailed as failed:
            show_errors(nav, failed)
        else:
            flash(f"The {desk.name} desk's place in the navigation is saved.", "success")
            return redirect(url_for("admin.desk_list"))
    elif renaming and form.validate_on_submit():
        try:
            desks.rename_desk(desk, form.name.data or "", actor=actor())
        except ValidationFailed as failed:
            show_errors(form, failed)
        else:
            flash(f"The desk is now called {desk.name}.", "success")
            return redirect(url_for("admin.desk_list"))
    html = render_template(
        "admin/desk_edit.html", desk=desk, form=form, nav=nav, members=_active_members(desk.id)
    )
    return html, 400 if nav.errors else 200


def _active_members(desk_id: int) -> list[Person]:
    """The desk's active members with their roles (listed beside each name)."""
    return list(
        db.session.scalars(
            select(Person)
            .options(selectinload(Person.role_rows))
            .where(Person.desks.any(Desk.id == desk_id), Person.is_active.is_(True))
            .order_by(Person.name, Person.id)
        )
    )


@bp.route("/desks/<int:desk_id>/style", methods=["GET", "POST"])
def desk_style(desk_id: int) -> BaseResponse | tuple[str, int]:
    """The desk's house-style checklist, which Publish and Schedule run."""
    desk = desk_or_404(desk_id)
    settings = housestyle.desk_style(desk.id)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in (*style.CHECKS, *style.NUMBERS)}
        settings, errors = style.parse_settings(typed)
        if not errors:
            housestyle.set_house_style(desk, settings, actor=actor())
            flash(f"The {desk.name} desk's house style is saved.", "success")
            return redirect(url_for("admin.desk_style", desk_id=desk.id))
    html = render_template(
        "admin/desk_style.html",
        desk=desk,
        settings=settings,
        typed=typed,
        errors=errors,
        limits=style.NUMBERS,
    )
    return html, 400 if errors else 200
