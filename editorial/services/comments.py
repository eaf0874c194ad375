"""Newsroom comments on a story, and the @mentions in them."""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select

from editorial.extensions import db
from editorial.models import PERSON_ACCESS, Comment, Person, Story
from editorial.models.loading import actor_of, facts_of
from editorial.services import audit, commit
from editorial.services.errors import ValidationFailed
from editorial.services.notifications import notify_mentions
from editorial.timeutil import utcnow
from editorial.workflow import TransitionNotAllowed, can_comment, can_view

MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.-]+)")
MAX_COMMENT = 10_000
MAX_MENTIONS = 20
# The @ autocomplete: at most this many suggestions, for a typed prefix of at most QUERY_MAX.
SUGGESTIONS = 8
QUERY_MAX = 64


def add_comment(story: Story, body: str, *, actor: Person) -> Comment:
    """A newsroom comment; @mentions notify the people named who can see the story."""
    if not can_comment(actor_of(actor), facts_of(story)):
        raise TransitionNotAllowed("You cannot comment on this story.")
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": "Write a comment first."})
    if len(body) > MAX_COMMENT:
        raise ValidationFailed({"body": f"Comments are at most {MAX_COMMENT:,} characters."})
    comment = Comment(story_id=story.id, author_id=actor.id, body=body, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    mentioned = mentioned_people(body, story)
    audit.record(
        "story.commented",
        actor=actor,
        story_id=story.id,
        subject_type="comment",
        subject_id=comment.id,
        data={"mentions": [p.id for p in mentioned]},
    )
    notify_mentions(story, comment, mentioned, actor=actor)
    commit()
    return comment


def mentioned_people(body: str, story: Story) -> list[Person]:
    """People named as @email or @first.last (their e-mail's local part) who can see the story."""
    facts = facts_of(story)
    return [p for p in _people_named(_handles(body)) if can_view(p.actor, facts)]


def _handles(body: str) -> list[str]:
    """The distinct @handles of a text, lower case, without a sentence's closing full stop."""
    return list(
        dict.fromkeys(
            m.group(1).lower().rstrip(".")
            for m in MENTION.finditer(body)
            # "info@example.com" in running text is an address, not a mention.
            if m.start() == 0 or not body[m.start() - 1].isalnum()
        )
    )[:MAX_MENTIONS]


def mention_problems(body: str, story: Story) -> list[str]:
    """What the writer should hear about their @mentions: handles that name nobody, and people
    named who cannot see the story (neither was told)."""
    handles = _handles(body)
    if not handles:
        return []
    people = _people_named(handles)
    facts = facts_of(story)
    problems = []
    for handle in handles:
        named = [p for p in people if _answers_to(p, handle)]
        if not named:
            problems.append(
                f"Nobody in the newsroom answers to @{handle}, so nobody was told. Check the "
                "spelling: @ and a colleague's e-mail or its first part, e.g. @rahim.uddin."
            )
        elif not any(can_view(p.actor, facts) for p in named):
            problems.append(f"@{handle} cannot see this story, so they were not told.")
    return problems


def _answers_to(person: Person, handle: str) -> bool:
    email = person.email.lower()
    return email == handle or email.startswith(f"{handle}@")


def _people_named(handles: list[str]) -> list[Person]:
    """Active staff whose e-mail, or its local part, is one of the handles."""
    if not handles:
        return []
    email = func.lower(Person.email)
    candidates = db.session.scalars(
        select(Person)
        .options(*PERSON_ACCESS)  # each one's Actor decides whether they may see the story
        .where(
            Person.is_active.is_(True),
            or_(email.in_(handles), *(email.startswith(f"{h}@", autoescape=True) for h in handles)),
        )
    )
    return list(candidates)


def suggest_mentions(
    query: str, *, actor: Person, limit: int = SUGGESTIONS
) -> list[dict[str, str]]:
    """Active colleagues for the @ autocomplete: handle (e-mail local part) or name starting
    with `query`, or a later word of the name doing so; the writer left out.

    Only what the comment needs goes out, the handle and the name: never an address (a query
    holding "@" matches nothing, so domains cannot be probed either).
    """
    typed = query.strip().removeprefix("@").lower()
    if not typed or len(typed) > QUERY_MAX or "@" in typed:
        return []
    email, name = func.lower(Person.email), func.lower(Person.name)
    rows = db.session.execute(
        select(Person.email, Person.name)
        .where(
            Person.is_active.is_(True),
            Person.id != actor.id,
            or_(
                email.startswith(typed, autoescape=True),
                name.startswith(typed, autoescape=True),
                name.contains(f" {typed}", autoescape=True),
            ),
        )
        .order_by(Person.name, Person.id)
        .limit(max(1, min(limit, SUGGESTIONS)))
    ).all()
    return [{"handle": address.split("@", 1)[0].lower(), "name": who} for address, who in rows]
