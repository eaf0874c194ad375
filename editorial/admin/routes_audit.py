"""The audit log: who did what, when, with the values before and after.

Also the template helpers that turn an event into readable rows (used by the overview and a
person's page as well as the log).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlalchemy import select

from editorial.admin.blueprint import bp
from editorial.admin.common import int_or_none, subject_names, window
from editorial.admin.forms import AuditFilterForm, options
from editorial.extensions import db
from editorial.models import AuditEvent, Person
from editorial.services import audit
from editorial.wording import event_words as action_label


@bp.get("/audit")
def audit_log() -> str:
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
        action=filters.action.data or "", actor_id=int_or_none(filters.actor.data)
    )
    page = window(statement, (AuditEvent.at, AuditEvent.id))
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        subjects=subject_names(page.items),
        filter_args={k: v for k, v in request.args.items() if k in ("action", "actor") and v},
    )


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


@bp.context_processor
def _audit_helpers() -> dict[str, Any]:
    return {"audit_changes": audit_changes, "action_label": action_label}
