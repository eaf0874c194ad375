"""Loader options named by what a read needs.

No relationship loads eagerly by default: lists say what they load, and everything else
either loads lazily one object at a time (a story's desk, authors and tags; a person's roles
and desks) or raises (`lazy="raise"`), so a loop that would issue one query per row fails in
the tests instead of slowing a page down.
"""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from editorial.models.staff import Person

# A person's workflow Actor: roles and desks, for every person a query returns (two SELECTs).
PERSON_ACCESS = (
    selectinload(Person.role_rows),
    selectinload(Person.desks),
)
