"""Site settings stored in the database, with defaults from the configuration."""

from __future__ import annotations

from flask import current_app

from editorial.extensions import db
from editorial.models import Person, SiteSetting
from editorial.services import audit, commit
from editorial.services.cache import purge_public_cache
from editorial.services.errors import ValidationFailed
from editorial.workflow import Policy

BOOLEAN_TRUE = {"1", "true", "yes", "on"}
TAGLINE = "tagline"


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


def site_tagline() -> str:
    """The masthead's tagline line: the admin's setting, else the configured default."""
    return get_setting(TAGLINE, current_app.config["SITE_TAGLINE"])


def update_site_settings(*, tagline: str, allow_self_approval: bool, actor: Person | None) -> bool:
    """An admin changes the tagline and the four-eyes switch; audited. True if anything changed."""
    tagline = (tagline or "").strip()
    if len(tagline) > 200:
        raise ValidationFailed({"tagline": "Use at most 200 characters."})
    before = {
        "tagline": site_tagline(),
        "allow_self_approval": workflow_policy().allow_self_approval,
    }
    after = {"tagline": tagline, "allow_self_approval": bool(allow_self_approval)}
    if before == after:
        return False
    set_setting(TAGLINE, tagline)
    set_setting("allow_self_approval", "1" if allow_self_approval else "0")
    if before["tagline"] != tagline:
        purge_public_cache()  # the tagline is on every public page
    audit.record(
        "site.settings_changed",
        actor=actor,
        subject_type="site",
        data={"before": before, "after": after},
    )
    commit()
    return True
