"""Admin pages for staff: the searchable list, new accounts, edits, and account actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from editorial.admin.blueprint import bp
from editorial.admin.common import (
    actor,
    flash_refusal,
    int_or_none,
    paginate,
    person_or_404,
    show_errors,
    subject_names,
)
from editorial.admin.forms import (
    ROLE_HINTS,
    ConfirmForm,
    NewStaffForm,
    StaffFilterForm,
    StaffForm,
    options,
)
from editorial.extensions import db
from editorial.models import AuditEvent
from editorial.services import accounts, audit, desks, staff
from editorial.services.errors import ValidationFailed
from editorial.wording import delivery_choices
from editorial.workflow import Role


def _staff_form_context(form: StaffForm) -> dict[str, Any]:
    form.set_desks(desks.all_desks())
    return {"form": form, "role_hints": ROLE_HINTS}


@bp.get("/staff/")
def staff_list() -> str:
    """Everyone on the staff, searchable by name or e-mail and filtered by role, desk, status."""
    all_desks = desks.all_desks()
    filters = StaffFilterForm(formdata=request.args)
    filters.desk.choices = options([("", "Any desk"), *[(str(d.id), d.name) for d in all_desks]])
    role = filters.role.data if filters.role.data in {r.value for r in Role} else None
    statement = staff.search_staff(
        query=filters.q.data or "",
        role=Role(role) if role else None,
        desk_id=int_or_none(filters.desk.data),
        active={"active": True, "inactive": False}.get(filters.status.data or ""),
    )
    filtered = any(request.args.get(k) for k in ("q", "role", "desk", "status"))
    return render_template(
        "admin/staff_list.html", page=paginate(statement), filters=filters, filtered=filtered
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new() -> BaseResponse | str:
    """Create a member of staff and e-mail them an invitation to choose a password."""
    form = NewStaffForm()
    context = _staff_form_context(form)
    if form.validate_on_submit():
        try:
            person = staff.create_person(
                email=form.email.data or "",
                name=form.name.data or "",
                byline=form.byline.data or "",
                roles={Role(r) for r in form.roles.data or []},
                desk_ids=list(form.desks.data or []),
                actor=actor(),
            )
        except ValidationFailed as failed:
            show_errors(form, failed)
        else:
            accounts.send_invitation(person, actor=actor())
            flash(
                f"{person.name} is on the staff. An invitation is on its way to {person.email}; "
                "the link works for 7 days.",
                "success",
            )
            return redirect(url_for("admin.staff_edit", person_id=person.id))
    return render_template("admin/staff_new.html", **context)


@bp.route("/staff/<int:person_id>", methods=["GET", "POST"])
def staff_edit(person_id: int) -> BaseResponse | str:
    """Change someone's name, byline, roles and desks; the account's actions sit alongside."""
    person = person_or_404(person_id)
    if request.method == "GET":
        form = StaffForm(
            data={
                "name": person.name,
                "byline": person.default_byline,
                "roles": [r.value for r in person.roles],
                "desks": [d.id for d in person.desks],
            }
        )
    else:
        form = StaffForm()
    context = _staff_form_context(form)
    if form.validate_on_submit():
        try:
            staff.update_person(
                person,
                actor=actor(),
                name=form.name.data or "",
                byline=form.byline.data or "",
                roles={Role(r) for r in form.roles.data or []},
                desk_ids=list(form.desks.data or []),
            )
        except ValidationFailed as failed:
            show_errors(form, failed)
        else:
            flash(f"Saved the changes to {person.name}.", "success")
            if not current_user.is_admin:  # they took away their own admin role
                return redirect(url_for("newsroom.home"))
            return redirect(url_for("admin.staff_edit", person_id=person.id))
    history = db.session.scalars(
        audit.search_events()
        .where(AuditEvent.subject_type == "staff", AuditEvent.subject_id == person.id)
        .limit(10)
    ).all()
    return render_template(
        "admin/staff_edit.html",
        person=person,
        history=history,
        subjects=subject_names(history),
        action_form=ConfirmForm(),
        deliveries=dict(delivery_choices(current_app.config["DIGEST_DAILY_HOUR"])),
        **context,
    )


@bp.route("/staff/<int:person_id>/deactivate", methods=["GET", "POST"])
def staff_deactivate(person_id: int) -> BaseResponse | tuple[str, int]:
    """Ask for confirmation (GET), then deactivate: sign-in refused, live sessions end."""
    person = person_or_404(person_id)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            staff.deactivate(person, actor=actor())
        except ValidationFailed as failed:
            form.form_errors = list(failed.errors.values())
            status = 409
        else:
            flash(f"{person.name} is deactivated and has been signed out everywhere.", "success")
            if person.id == actor().id:  # their own session has just ended too
                return redirect(url_for("auth.login"))
            return redirect(url_for("admin.staff_edit", person_id=person.id))
    return render_template("admin/staff_deactivate.html", person=person, form=form), status


@bp.post("/staff/<int:person_id>/reactivate")
def staff_reactivate(person_id: int) -> BaseResponse:
    """Let a deactivated person sign in again."""
    person = person_or_404(person_id)
    staff.reactivate(person, actor=actor())
    flash(f"{person.name} can sign in again.", "success")
    return redirect(url_for("admin.staff_edit", person_id=person.id))


@bp.post("/staff/<int:person_id>/invite")
def staff_invite(person_id: int) -> BaseResponse:
    """Send the invitation e-mail again (a new 7-day link)."""
    return _send_link(
        person_id, accounts.send_invitation, "A new invitation is on its way to {email}."
    )


@bp.post("/staff/<int:person_id>/reset-password")
def staff_reset_password(person_id: int) -> BaseResponse:
    """E-mail the person a link to choose a new password (valid one hour)."""
    return _send_link(
        person_id,
        accounts.send_password_reset,
        "A password reset link is on its way to {email}; it works for one hour.",
    )


def _send_link(person_id: int, send: Callable[..., object], sent: str) -> BaseResponse:
    """E-mail someone an account link with `send`; flash that it went, or why it did not."""
    person = person_or_404(person_id)
    try:
        send(person, actor=actor())
    except ValidationFailed as failed:
        flash_refusal(failed)
    else:
        flash(sent.format(email=person.email), "success")
    return redirect(url_for("admin.staff_edit", person_id=person.id))
