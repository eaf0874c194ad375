"""What the admin views share: the acting admin, lookups that 404, paging, filters, errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, flash, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from editorial import keyset
from editorial.extensions import db
from editorial.models import AuditEvent, Desk, Person
from editorial.models.loading import PERSON_ACCESS
from editorial.services.errors import ValidationFailed

PER_PAGE = 25
MAX_ID = 2**31 - 1  # larger numbers in a URL or filter are nobody (and would overflow SQLite)


def actor() -> Person:
    """The signed-in admin (the real object, for services that take the actor)."""
    signed_in: Person = current_user._get_current_object()  # flask_login is untyped
    return signed_in


def person_or_404(person_id: int) -> Person:
    if person_id > MAX_ID:
        abort(404, "There is no such member of staff.")
    person: Person | None = db.session.scalar(
        select(Person).options(*PERSON_ACCESS).where(Person.id == person_id)
    )
    if person is None:
        abort(404, "There is no such member of staff.")
    return person


def desk_or_404(desk_id: int) -> Desk:
    if desk_id > MAX_ID:
        abort(404, "There is no such desk.")
    return db.get_or_404(Desk, desk_id, description="There is no such desk.")


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 100_000)


def paginate(statement: Any) -> Any:
    """One page (PER_PAGE rows) of a select, at the ?page= of the request."""
    return db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)


def window(statement: Any, key: keyset.SortKey) -> keyset.Window:
    """One page (PER_PAGE rows) of a select ordered by `key` (time, id) newest first, at the
    request's ?before=/?after= cursor. Neither counted nor OFFSET: counting the audit log read
    all of it on every view (81 ms at 270,000 events) and a deep page read every row above."""
    before, after = keyset.requested()
    return keyset.window(
        statement,
        key,
        PER_PAGE,
        before=before,
        after=after,
        fetch=lambda page: list(db.session.scalars(page)),
    )


def int_or_none(value: str | None) -> int | None:
    """An id from a filter, or None for anything that cannot be one."""
    if not value or not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        return None
    return int(value)


def show_errors(form: FlaskForm, failed: ValidationFailed) -> None:
    """Put a service's refusals next to the fields they concern; the rest become flashes."""
    for name, message in failed.errors.items():
        field = getattr(form, name, None)
        if field is not None and name != "submit":
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def flash_refusal(failed: ValidationFailed) -> None:
    for message in failed.errors.values():
        flash(message, "error")


def subject_names(events: Sequence[AuditEvent]) -> dict[tuple[str, int], str]:
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
