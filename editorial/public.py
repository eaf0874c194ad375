"""THE public predicates, shared by the public site (site/queries.py builds every public read
on them) and the services that keep public copies of photos in step (services/public_media.py):
what makes a story public, and so what makes a photo public.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from editorial.models import Story, StoryPhoto
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


def photo_is_public(photo_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A public story uses the photo (correlated on `photo_id`): as its lead or in its body."""
    leads = select(Story.id).where(is_public(), Story.lead_photo_id == photo_id)
    in_body = (
        select(StoryPhoto.story_id)
        .join(Story, Story.id == StoryPhoto.story_id)
        .where(is_public(), StoryPhoto.photo_id == photo_id)
    )
    return or_(exists(leads), exists(in_body))
