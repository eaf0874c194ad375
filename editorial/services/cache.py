"""Public page cache invalidation: a site generation token that every cached page carries.

Changing the token makes every cached page and ETag stale at once, in every web process and
every cache (Redis or in-process), because the token is part of each cache key. It lives in
the database and changes in the same transaction as the publish, correction or withdrawal
that caused it: a committed change can never be hidden by a stale page past that instant.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.models import SiteSetting

GENERATION_KEY = "site_generation"


def site_generation() -> str:
    """The current generation; part of every public cache key and ETag."""
    row = db.session.get(SiteSetting, GENERATION_KEY)
    return row.value if row else "0"


def purge_public_cache() -> None:
    """Make every cached public page stale, as part of the current transaction."""
    # The time in front gives pages a Last-Modified; the random part makes it unique.
    token = f"{datetime.now(UTC).timestamp():.3f}-{uuid.uuid4().hex[:16]}"
    row = db.session.get(SiteSetting, GENERATION_KEY)
    if row is not None:
        row.value = token
        return
    # The very first purge: two publishers may both find no row. An upsert, so the second
    # takes over the first's row instead of failing its publish on the primary key.
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(SiteSetting).values(key=GENERATION_KEY, value=token)
    db.session.execute(
        insert.on_conflict_do_update(index_elements=[SiteSetting.key], set_={"value": token})
    )


def generation_time(token: str) -> datetime | None:
    """When the generation `token` began (None for the first one, or an old-style token)."""
    stamp, _, rest = token.partition("-")
    try:
        return datetime.fromtimestamp(float(stamp), UTC) if rest else None
    except (ValueError, OverflowError):
        return None
