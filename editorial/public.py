"""THE public predicate, shared by the public site (site/queries.py builds every public read
on it) and the services that keep public copies of photos in step (services/public_media.py).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, or_

from editorial.models import Story
from editorial.timeutil import UTCDateTime
from editorial.workflow import StoryState

# "Now" is a bound parameter, filled in at execution: the statements are built once and
# reused (building them costs more than running them), and a statement run without it fails
# loudly instead of showing anything.
NOW = "public_now"


def is_public() -> ColumnElement[bool]:
    """Published, and past its embargo if it has one."""
    return (Story.state == StoryState.PUBLISHED) & or_(
        Story.embargo_at.is_(None), Story.embargo_at <= bindparam(NOW, type_=UTCDateTime())
    )
