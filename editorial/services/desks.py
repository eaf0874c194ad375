"""Desks: the newsroom's sections (National, Diplomatic, City...), managed by admins."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from editorial.extensions import db
from editorial.models import Desk, Person, desk_members
from editorial.rendering import slugify
from editorial.services import audit, commit, rollback
from editorial.services.cache import purge_public_cache
from editorial.services.errors import ValidationFailed


def all_desks() -> list[Desk]:
    return list(db.session.scalars(select(Desk).order_by(Desk.position, Desk.name)))


def member_counts() -> dict[int, int]:
    """Active members per desk id."""
    rows = db.session.execute(
        select(desk_members.c.desk_id, func.count())
        .join(Person, Person.id == desk_members.c.person_id)
        .where(Person.is_active.is_(True))
        .group_by(desk_members.c.desk_id)
    )
    return {desk_id: count for desk_id, count in rows}


def _name_problem(name: str, *, exclude_id: int | None = None) -> str | None:
    if not name:
        return "Enter the desk's name."
    if len(name) > 80:
        return "Use at most 80 characters."
    # Folded here, not with the database's lower(): SQLite's folds ASCII only, so a second
    # "Ümit" passed that check and broke the unique index (a 500). A newsroom has few desks.
    others = select(Desk.name).where(Desk.id != exclude_id) if exclude_id else select(Desk.name)
    if any(other.casefold() == name.casefold() for other in db.session.scalars(others)):
        return f"There is already a desk called {name}."
    return None


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Desk.id).where(Desk.slug == slug)) is not None


def _flush_or_refuse(name: str, slug: str) -> None:
    """Write the desk now. Two admins sending the same name at once on PostgreSQL both pass the
    checks above (SQLite's write lock lets one in at a time); the unique index stops the second,
    and it gets the form error the check would have given rather than a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        rollback()
        # PostgreSQL names the constraint (uq_desks_slug), SQLite the column (desks.slug).
        text = str(error.orig)
        if "desks_name" in text or "desks.name" in text:
            raise ValidationFailed({"name": f"There is already a desk called {name}."}) from None
        if "desks_slug" in text or "desks.slug" in text:
            raise ValidationFailed(
                {"slug": f"The address {slug} is taken by another desk."}
            ) from None
        raise


def create_desk(
    name: str, slug: str = "", *, actor: Person | None, in_navigation: bool = True
) -> Desk:
    """A new desk (also a section of the public site); name and slug must be unique. The admin
    form passes in_navigation=False by default, so a desk is set up before readers see it."""
    name = (name or "").strip()
    slug = slugify((slug or "").strip() or name)
    errors: dict[str, str] = {}
    if problem := _name_problem(name):
        errors["name"] = problem
    if _slug_taken(slug):
        errors["slug"] = f"The address {slug} is taken by another desk."
    if errors:
        raise ValidationFailed(errors)
    position = db.session.scalar(select(func.count(Desk.id))) or 0
    desk = Desk(name=name, slug=slug, position=position, in_navigation=in_navigation)
    db.session.add(desk)
    _flush_or_refuse(name, slug)
    audit.record(
        "desk.created",
        actor=actor,
        subject_type="desk",
        subject_id=desk.id,
        data={"after": {"name": name, "slug": slug, "in_navigation": in_navigation}},
    )
    commit()
    return desk


def rename_desk(desk: Desk, name: str, *, actor: Person | None) -> None:
    """Rename a desk. The slug stays, so section URLs and links keep working."""
    name = (name or "").strip()
    if problem := _name_problem(name, exclude_id=desk.id):
        raise ValidationFailed({"name": problem})
    if name == desk.name:
        return
    before = {"name": desk.name, "slug": desk.slug}
    desk.name = name
    _flush_or_refuse(name, desk.slug)
    purge_public_cache()  # section names appear on every public page
    audit.record(
        "desk.renamed",
        actor=actor,
        subject_type="desk",
        subject_id=desk.id,
        data={"before": before, "after": {"name": desk.name, "slug": desk.slug}},
    )
    commit()


POSITION_MAX = 999


def set_navigation(desk: Desk, position: str, in_navigation: bool, *, actor: Person | None) -> None:
    """Place a desk in the public navigation (lower positions first, then by name) or hide it
    from there; its section URL and its stories stay public either way."""
    text = (position or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > POSITION_MAX:
        raise ValidationFailed(
            {"position": f"Enter the position as a whole number from 0 to {POSITION_MAX}."}
        )
    before = {"position": desk.position, "in_navigation": desk.in_navigation}
    new = {"position": int(text), "in_navigation": bool(in_navigation)}
    if new == before:
        return
    desk.position = int(text)
    desk.in_navigation = bool(in_navigation)
    purge_public_cache()  # the navigation is on every public page
    audit.record(
        "desk.navigation",
        actor=actor,
        subject_type="desk",
        subject_id=desk.id,
        data={"before": before, "after": new},
    )
    commit()
