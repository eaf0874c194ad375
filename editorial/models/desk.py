"""Desks (National, Diplomatic, City...) and who belongs to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model, db

if TYPE_CHECKING:
    from editorial.models.staff import Person

desk_members = Table(
    "desk_members",
    db.metadata,
    Column("desk_id", ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Desk(Model):
    """A desk of the newsroom; also a section of the public site."""

    __tablename__ = "desks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)  # order in the public navigation
    # False: left out of the public navigation (its section URL and stories stay public).
    in_navigation: Mapped[bool] = mapped_column(default=True, server_default=true())

    members: Mapped[list[Person]] = relationship(
        secondary=desk_members, back_populates="desks", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Desk {self.slug}>"
