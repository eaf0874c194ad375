"""Admin pages: staff, desks, site settings and the audit log. Views parse, call, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from editorial.admin import bp
from editorial.admin.forms import (
    ROLE_HINTS,
    AuditFilterForm,
    ConfirmForm,
    DeskForm,
    NewStaffForm,
    RenameDeskForm,
    SettingsForm,
    StaffFilterForm,
    StaffForm,
    options,
)
from editorial.extensions import db, login_manager
from editorial.models import AuditEvent, Desk, Person
from editorial.services import accounts, audit, desks, settings, staff
from editorial.services.errors import ValidationFailed
from editorial.workflow import Role

PER_PAGE = 25
MAX_ID = 2**31 - 1  # larger numbers in a URL or filter are nobody (and would overflow SQLite)


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


# -- helpers ---------------------------------------------------------------------------------


def _actor() -> Person:
    actor: Person = current_user._get_current_object()  # flask_login is untyped
    return actor


def _person(person_id: int) -> Person:
    if person_id > MAX_ID:
        abort(404, "There is no such member of staff.")
    return db.get_or_404(Person, person_id, description="There is no such member of staff.")


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 100_000)


def _paginate(statement: Any):
    return db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)


def _int_or_none(value: str | None) -> int | None:
    """An id from a filter, or None for anything that cannot be one."""
    if not value or not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        return None
    return int(value)


def _show_errors(form: FlaskForm, failed: ValidationFailed) -> None:
    """Put a service's refusals next to the fields they concern; the rest become flashes."""
    for name, message in failed.errors.items():
        field = getattr(form, name, None)
        if field is not None and name != "submit":
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def _flash_refusal(failed: ValidationFailed) -> None:
    for message in failed.errors.values():
        flash(message, "error")


def _staff_form_context(form: StaffForm) -> dict[str, Any]:
    form.set_desks(desks.all_desks())
    return {"form": form, "role_hints": ROLE_HINTS}


# -- overview --------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The admin overview: head counts, desks, and the latest entries of the audit log."""
    recent = db.session.scalars(audit.search_events().limit(8)).all()
    return render_template(
        "admin/index.html",
        summary=staff.staff_summary(),
        desk_count=len(desks.all_desks()),
        recent=recent,
        subjects=_subject_names(recent),
    )


# -- staff -----------------------------------------------------------------------------------


@bp.get("/staff/")
def staff_list():
    """Everyone on the staff, searchable by name or e-mail and filtered by role, desk, status."""
    all_desks = desks.all_desks()
    filters = StaffFilterForm(formdata=request.args)
    filters.desk.choices = options([("", "Any desk"), *[(str(d.id), d.name) for d in all_desks]])
    role = filters.role.data if filters.role.data in {r.value for r in Role} else None
    statement = staff.search_staff(
        query=filters.q.data or "",
        role=Role(role) if role else None,
        desk_id=_int_or_none(filters.desk.data),
        active={"active": True, "inactive": False}.get(filters.status.data or ""),
    )
    filtered = any(request.args.get(k) for k in ("q", "role", "desk", "status"))
    return render_template(
        "admin/staff_list.html", page=_paginate(statement), filters=filters, filtered=filtered
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new():
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
                actor=_actor(),
            )
        except ValidationFailed as failed:
            _show_errors(form, failed)
        else:
            accounts.send_invitation(person, actor=_actor())
            flash(
                f"{person.name} is on the staff. An invitation is on its way to {person.email}; "
                "the link works for 7 days.",
                "success",
            )
            return redirect(url_for("admin.staff_edit", person_id=person.id))
    return render_template("admin/staff_new.html", **context)


@bp.route("/staff/<int:person_id>", methods=["GET", "POST"])
def staff_edit(person_id: int):
    """Change someone's name, byline, roles and desks; the account's actions sit alongside."""
    person = _person(person_id)
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
                actor=_actor(),
                name=form.name.data or "",
                byline=form.byline.data or "",
                roles={Role(r) for r in form.roles.data or []},
                desk_ids=list(form.desks.data or []),
            )
        except ValidationFailed as failed:
            _show_errors(form, failed)
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
        subjects=_subject_names(history),
        action_form=ConfirmForm(),
        **context,
    )


@bp.route("/staff/<int:person_id>/deactivate", methods=["GET", "POST"])
def staff_deactivate(person_id: int):
    """Ask for confirmation (GET), then deactivate: sign-in refused, live sessions end."""
    person = _person(person_id)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            staff.deactivate(person, actor=_actor())
        except ValidationFailed as failed:
            form.form_errors = list(failed.errors.values())
            status = 409
        else:
            flash(f"{person.name} is deactivated and has been signed out everywhere.", "success")
            if person.id == _actor().id:  # their own session has just ended too
                return redirect(url_for("auth.login"))
            return redirect(url_for("admin.staff_edit", person_id=person.id))
    return render_template("admin/staff_deactivate.html", person=person, form=form), status


@bp.post("/staff/<int:person_id>/reactivate")
def staff_reactivate(person_id: int):
    """Let a deactivated person sign in again."""
    person = _person(person_id)
    staff.reactivate(person, actor=_actor())
    flash(f"{person.name} can sign in again.", "success")
    return redirect(url_for("admin.staff_edit", person_id=person.id))


@bp.post("/staff/<int:person_id>/invite")
def staff_invite(person_id: int):
    """Send the invitation e-mail again (a new 7-day link)."""
    person = _person(person_id)
    try:
        accounts.send_invitation(person, actor=_actor())
    except ValidationFailed as failed:
        _flash_refusal(failed)
    else:
        flash(f"A new invitation is on its way to {person.email}.", "success")
    return redirect(url_for("admin.staff_edit", person_id=person.id))


@bp.post("/staff/<int:person_id>/reset-password")
def staff_reset_password(person_id: int):
    """E-mail the person a link to choose a new password (valid one hour)."""
    person = _person(person_id)
    try:
        accounts.send_password_reset(person, actor=_actor())
    except ValidationFailed as failed:
        _flash_refusal(failed)
    else:
        flash(
            f"A password reset link is on its way to {person.email}; it works for one hour.",
            "success",
        )
    return redirect(url_for("admin.staff_edit", person_id=person.id))


# -- desks -----------------------------------------------------------------------------------


@bp.route("/desks/", methods=["GET", "POST"])
def desk_list():
    """The desks with their member counts, and a form to add one."""
    form = DeskForm()
    if form.validate_on_submit():
        try:
            desk = desks.create_desk(form.name.data or "", form.slug.data or "", actor=_actor())
        except ValidationFailed as failed:
            _show_errors(form, failed)
        else:
            flash(f"The {desk.name} desk is created.", "success")
            return redirect(url_for("admin.desk_list"))
    return render_template(
        "admin/desks.html", desks=desks.all_desks(), counts=desks.member_counts(), form=form
    )


@bp.route("/desks/<int:desk_id>", methods=["GET", "POST"])
def desk_edit(desk_id: int):
    """Rename a desk (its web address stays the same)."""
    if desk_id > MAX_ID:
        abort(404, "There is no such desk.")
    desk = db.get_or_404(Desk, desk_id, description="There is no such desk.")
    form = RenameDeskForm(data={"name": desk.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            desks.rename_desk(desk, form.name.data or "", actor=_actor())
        except ValidationFailed as failed:
            _show_errors(form, failed)
        else:
            flash(f"The desk is now called {desk.name}.", "success")
            return redirect(url_for("admin.desk_list"))
    members = [p for p in desk.members if p.is_active]
    return render_template("admin/desk_edit.html", desk=desk, form=form, members=members)


# -- site settings ---------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def site_settings():
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
                actor=_actor(),
            )
        except ValidationFailed as failed:
            _show_errors(form, failed)
        else:
            flash("Settings saved." if changed else "Nothing to change.", "success")
            return redirect(url_for("admin.site_settings"))
    return render_template("admin/settings.html", form=form)


# -- audit log -------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log():
    """Who did what, when, with the values before and after; filter by action and person."""
    filters = AuditFilterForm(formdata=request.args)
    actions = audit.recorded_actions()
    prefixes = sorted({a.split(".", 1)[0] + "." for a in actions})
    filters.action.choices = options(
        [
            ("", "Any action"),
            *[(p, f"All {p[:-1]} actions") for p in prefixes],
            *[(a, f"{a} ({action_label(a)})") for a in actions],
        ]
    )
    people = db.session.scalars(select(Person).order_by(Person.name)).all()
    filters.actor.choices = options([("", "Anyone"), *[(str(p.id), p.name) for p in people]])
    statement = audit.search_events(
        action=filters.action.data or "", actor_id=_int_or_none(filters.actor.data)
    )
    page = _paginate(statement)
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        subjects=_subject_names(page.items),
    )


def _subject_names(events: Sequence[AuditEvent]) -> dict[tuple[str, int], str]:
    """Readable names for the staff and desks the events are about (one query each)."""
    names: dict[tuple[str, int], str] = {}
    models: tuple[tuple[str, type[Person] | type[Desk]], ...] = (("staff", Person), ("desk", Desk))
    for kind, model in models:
        ids = {e.subject_id for e in events if e.subject_type == kind and e.subject_id}
        if ids:
            rows = db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            for subject_id, name in rows:
                names[(kind, subject_id)] = name
    return names


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def audit_changes(event: AuditEvent) -> list[dict[str, Any]]:
    """The before/after of an event as rows: field, before, after, and whether it changed."""
    data = event.data or {}
    before = _mapping(data.get("before"))
    after = _mapping(data.get("after"))
    rows = []
    for key in [*before, *[k for k in after if k not in before]]:
        changed = before.get(key) != after.get(key)
        if before and after and not changed:
            continue  # an update: show what changed; a creation or deletion: show everything
        rows.append(
            {
                "field": key.replace("_", " "),
                "before": _shown(before.get(key)) if before else "",
                "after": _shown(after.get(key)) if after else "",
                "changed": changed,
            }
        )
    return rows


ACTION_LABELS = {
    "staff.created": "Created an account",
    "staff.updated": "Changed a person",
    "staff.deactivated": "Deactivated an account",
    "staff.reactivated": "Reactivated an account",
    "staff.invitation_sent": "Sent an invitation",
    "staff.invitation_accepted": "Accepted the invitation",
    "staff.password_reset_sent": "Sent a password reset link",
    "staff.password_reset_requested": "Asked for a password reset",
    "staff.password_reset": "Reset their password by e-mail link",
    "staff.password_changed": "Changed their password",
    "staff.profile_updated": "Updated their account settings",
    "staff.signed_in": "Signed in",
    "desk.created": "Created a desk",
    "desk.renamed": "Renamed a desk",
    "site.settings_changed": "Changed the site settings",
}


def action_label(action: str) -> str:
    """A sentence for the log; story actions read from the workflow's own names."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return action.split(".", 1)[-1].replace("_", " ").capitalize()


@bp.context_processor
def _audit_helpers() -> dict[str, Any]:
    return {"audit_changes": audit_changes, "action_label": action_label}
