"""Site settings stored in the database, with defaults from the configuration."""

from __future__ import annotations

from flask import current_app

from editorial.extensions import db
from editorial.models import SiteSetting
from editorial.workflow import Policy

BOOLEAN_TRUE = {"1", "true", "yes", "on"}


def get_setting(key: str, default: str = "") -> str:
    row = db.session.get(SiteSetting, key)
    return row.value if row else default


def set_setting(key: str, value: str) -> None:
    """Store a setting in the current transaction (the caller commits and audits)."""
    row = db.session.get(SiteSetting, key)
    if row is None:
        db.session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value


def workflow_policy() -> Policy:
    """The workflow's site-level switches (four-eyes may be relaxed by an admin)."""
    default = "1" if current_app.config.get("ALLOW_SELF_APPROVAL") else "0"
    return Policy(allow_self_approval=get_setting("allow_self_approval", default) in BOOLEAN_TRUE)
