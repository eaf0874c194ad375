"""Writing the audit trail, always inside the transaction of the change it records."""

from __future__ import annotations

from typing import Any

from editorial.extensions import db
from editorial.models import AuditEvent, Person
from editorial.timeutil import utcnow


def record(
    action: str,
    *,
    actor: Person | None,
    story_id: int | None = None,
    subject_type: str = "story",
    subject_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the change it describes)."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        action=action,
        story_id=story_id,
        subject_type=subject_type,
        subject_id=subject_id if subject_id is not None else story_id,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    db.session.add(event)
    return event
