"""Public page cache invalidation: a site generation token that every cached page carries.

Changing the token makes every cached page and ETag stale at once, in every web process and
every cache (Redis or in-process), because the token is part of each cache key. It lives in
the database and changes in the same transaction as the publish, correction or withdrawal
that caused it: a committed change can never be hidden by a stale page past that instant.
"""

from __future__ import annotations

import uuid

from editorial.extensions import db
from editorial.models import SiteSetting

GENERATION_KEY = "site_generation"


def site_generation() -> str:
    """The current generation; part of every public cache key and ETag."""
    row = db.session.get(SiteSetting, GENERATION_KEY)
    return row.value if row else "0"


def purge_public_cache() -> None:
    """Make every cached public page stale, as part of the current transaction."""
    token = uuid.uuid4().hex
    row = db.session.get(SiteSetting, GENERATION_KEY)
    if row is None:
        db.session.add(SiteSetting(key=GENERATION_KEY, value=token))
    else:
        row.value = token
