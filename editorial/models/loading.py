"""Loader options named by what a read needs.

Every relationship raises when it is read without having been loaded (`lazy="raise"`), so a
loop that would issue one query per row fails in the tests instead of slowing a page down.
A query says what it loads, with the options below.

A commit or a rollback expires every object in the session. A service acting for one person
on one story reads the person's access and the story's facts through `actor_of` and
`facts_of`, which load what is missing for that one object by name; a list never does.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

import editorial.models.photo  # noqa: F401  (Story.lead_photo's target, mapped before the options)
from editorial.extensions import db
from editorial.models.staff import EMAIL_PREFERENCES, LoginSession, Person
from editorial.models.story import Story
from editorial.workflow import Actor, StoryFacts

# A person's workflow Actor: roles and desks, for every person a query returns (two SELECTs).
PERSON_ACCESS: tuple[_AbstractLoad, ...] = (
    selectinload(Person.role_rows),
    selectinload(Person.desks),
)

# The signed-in person behind a session row, with roles and desks, in the session's own
# SELECT (a person holds a few roles and desks: the joined rows stay few). Read the result
# with .unique().
SIGNED_IN: tuple[_AbstractLoad, ...] = (
    joinedload(LoginSession.person).options(joinedload(Person.role_rows), joinedload(Person.desks)),
)

# A story's workflow facts (state, desk, authors): what a permission check reads.
STORY_FACTS: tuple[_AbstractLoad, ...] = (selectinload(Story.authors),)

# A story's authors as a notice to them needs them: whether active, and how they want e-mail.
NOTIFIED_AUTHORS: tuple[_AbstractLoad, ...] = (
    selectinload(Story.authors).load_only(
        Person.id, Person.is_active, *(getattr(Person, c) for c in EMAIL_PREFERENCES)
    ),
)

# A story as a list shows it: desk name, bylines, tags.
STORY_CARD: tuple[_AbstractLoad, ...] = (
    joinedload(Story.desk),
    selectinload(Story.authors),
    selectinload(Story.tags),
)

# One whole story: its page, its editor form, its article (the card and its notices).
STORY_WHOLE: tuple[_AbstractLoad, ...] = (*STORY_CARD, selectinload(Story.corrections))


def load_missing(obj: object, *keys: str) -> None:
    """Load the relationships `keys` of this one object if its load did not (one SELECT each)."""
    missing = sorted(inspect(obj).unloaded & set(keys))
    if missing:
        db.session.refresh(obj, missing)


def load_whole(story: Story) -> None:
    """Everything one story's page shows of it, if not yet loaded (STORY_WHOLE's relationships)."""
    load_missing(story, "desk", "authors", "tags", "corrections")


def load_access(person: Person) -> None:
    """The roles and desks of the one person a service acts for or on, if not yet loaded."""
    load_missing(person, "role_rows", "desks")


def actor_of(person: Person) -> Actor:
    """The workflow's view of the person a service acts for."""
    load_access(person)
    return person.actor


def facts_of(story: Story) -> StoryFacts:
    """The workflow's view of the story a service acts on."""
    load_missing(story, "authors")
    return story.facts
