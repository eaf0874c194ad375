"""`flask staff deactivate` on SQLite and PostgreSQL: an unknown address and an account already
deactivated get a line that says so, and the second deactivation records nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent
from tests.conftest import Factory


def _deactivate(app: Flask, email: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["staff", "deactivate", "--email", email])
    db.session.remove()
    return result.exit_code, result.output


def _deactivations() -> int:
    counted = select(func.count()).where(AuditEvent.action == "staff.deactivated")
    return db.session.scalar(counted) or 0


def test_deactivating_twice_says_so_and_records_nothing(any_app: Flask, make: Factory) -> None:
    email = make.reporter(make.desk("City")).email
    db.session.commit()
    assert _deactivate(any_app, email) == (0, f"deactivated {email}\n")
    assert _deactivate(any_app, email) == (0, f"{email} is already deactivated\n")
    assert _deactivations() == 1
    code, output = _deactivate(any_app, "nobody@example.test")
    assert code == 1 and "no account for nobody@example.test" in output
