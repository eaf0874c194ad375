"""The front page: which Top News story leads, and the order of the rest.

The order lives on the stories (`front_position`: 0 leads, then 1, 2...; none: not ordered yet,
placed after the ordered ones, newest first, which is also the whole rule when nobody has
ordered anything). One `front_page` row carries a version: a save names the version its
editor saw, and one conditional UPDATE of that row decides between two editors saving at
once (the second finds the version moved on and gets a conflict; nothing of the first's order
is lost). Every save is audited and makes the public cache stale in the same transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.models import FRONT_PAGE_ID, FrontPage, Person, Placement, Story
from editorial.models.loading import actor_of
from editorial.models.story import front_page_order
from editorial.services import audit, commit, rollback
from editorial.services.cache import TOP, bump
from editorial.services.errors import StaleFrontPage, ValidationFailed
from editorial.timeutil import utcnow
from editorial.workflow import FRONT_PAGE_STATES, TransitionNotAllowed, can_edit_front_page

log = logging.getLogger(__name__)


def front_page_version() -> int:
    """The version a front-page form must send back (0 before the first save)."""
    version = db.session.scalar(select(FrontPage.version).where(FrontPage.id == FRONT_PAGE_ID))
    return version or 0


def front_page_ids() -> list[int]:
    """The Top News stories that are or will be public, in front-page order (the lead first)."""
    return list(
        db.session.scalars(
            select(Story.id)
            .where(Story.placement == Placement.TOP, Story.state.in_(FRONT_PAGE_STATES))
            .order_by(*front_page_order())
        )
    )


def _ensure_row() -> None:
    """The front page row exists (a fresh database, or one emptied by tests, has none)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(FrontPage)
        .values(id=FRONT_PAGE_ID, version=0)
        .on_conflict_do_nothing(index_elements=[FrontPage.id])
    )


def save_front_page(order: list[int], *, actor: Person, expected_version: int) -> int:
    """Give Top News this order (the first leads); return the new front-page version.

    Stories that left Top News meanwhile are skipped; Top News stories missing from `order`
    (placed after the editor opened the page) keep no slot and follow the ordered ones.
    """
    if not can_edit_front_page(actor_of(actor)):
        raise TransitionNotAllowed("Only desk editors arrange the front page.")
    if len(set(order)) != len(order):
        raise ValidationFailed({"order": "A story appears twice in the order; reload the page."})
    _ensure_row()
    now = utcnow()
    claimed = db.session.execute(
        update(FrontPage)
        .where(FrontPage.id == FRONT_PAGE_ID, FrontPage.version == expected_version)
        .values(version=FrontPage.version + 1, updated_at=now, updated_by_id=actor.id)
        .returning(FrontPage.version)
    ).all()
    if not claimed:
        rollback()
        raise StaleFrontPage(expected_version, front_page_version())
    before = front_page_ids()
    eligible = set(before)
    after = [story_id for story_id in order if story_id in eligible]
    db.session.execute(
        update(Story)
        .where(Story.front_position.is_not(None))
        .values(front_position=None)
        .execution_options(synchronize_session=False)
    )
    for position, story_id in enumerate(after):
        db.session.execute(
            update(Story)
            .where(Story.id == story_id)
            .values(front_position=position)
            .execution_options(synchronize_session=False)
        )
    version: int = claimed[0][0]
    audit.record(
        "frontpage.arranged",
        actor=actor,
        subject_type="front_page",
        subject_id=FRONT_PAGE_ID,
        data={"before": before, "after": after, "version": version},
    )
    bump(TOP)  # the homepage and Top News beside every article
    actor_id = actor.id
    commit()
    log.info("front page v%s arranged by %s: %s", version, actor_id, after)
    return version
