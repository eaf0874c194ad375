"""Account services on SQLite and PostgreSQL: single-use links, the last admin under concurrency."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, Person
from editorial.services import accounts, audit, staff
from editorial.services.errors import ValidationFailed
from editorial.tokens import LinkKind, LinkUsed, make_token
from editorial.workflow import Role
from tests.conftest import Factory

NEW = "a brand new passphrase"


def test_link_is_single_use(any_app: Flask, make: Factory) -> None:
    person = make.reporter()
    token = make_token(any_app.config["SECRET_KEY"], LinkKind.INVITE, person.id, 0)
    accounts.redeem_link(token, LinkKind.INVITE, NEW)
    assert staff.authenticate(person.email, NEW) is not None
    with pytest.raises(LinkUsed):
        accounts.redeem_link(token, LinkKind.INVITE, "another passphrase")
    assert db.session.get(Person, person.id).credential_epoch == 1


def test_search_escapes_wildcards_on_every_database(any_app: Flask, make: Factory) -> None:
    make.reporter(name="Rafiq 100% Islam")
    make.reporter(name="Shirin Sultana")

    def names(query: str) -> list[str]:
        return [p.name for p in db.session.scalars(staff.search_staff(query=query, active=None))]

    assert names("100%") == ["Rafiq 100% Islam"]
    assert names("%") == ["Rafiq 100% Islam"]
    assert names("_") == []
    assert names("SULTANA") == ["Shirin Sultana"]


def test_audit_search_by_prefix(any_app: Flask, make: Factory) -> None:
    admin = make.admin()
    make.desk("City")
    staff.deactivate(make.reporter(), actor=admin)
    desk_actions = db.session.scalars(audit.search_events(action="desk.")).all()
    assert [e.action for e in desk_actions] == ["desk.created"]
    mine = db.session.scalars(audit.search_events(actor_id=admin.id)).all()
    assert [e.action for e in mine] == ["staff.deactivated"]


def test_two_admins_demoting_each_other_leave_one(any_app: Flask, make: Factory) -> None:
    """Both requests pass the count unless the check is serialised: exactly one must win."""
    first, second = make.admin(), make.admin()
    ids = [(first.id, second.id), (second.id, first.id)]
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor_id: int, target_id: int) -> None:
        with any_app.app_context():
            actor, target = db.session.get(Person, actor_id), db.session.get(Person, target_id)
            db.session.rollback()  # do not hold SQLite's write lock while waiting
            barrier.wait()
            try:
                staff.update_person(
                    target,
                    actor=actor,
                    name=target.name,
                    byline="",
                    roles={Role.REPORTER},
                    desk_ids=[],
                )
                outcomes.append("demoted")
            except ValidationFailed as failed:
                outcomes.append(failed.errors["roles"])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=pair) for pair in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("demoted") == 1, outcomes
    assert any("last active admin" in outcome for outcome in outcomes)
    assert staff.active_admin_count() == 1
    updates = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.updated"))
    assert len(updates.all()) == 1
