"""The demo newsroom: desks, staff and stories in every state, for `make run` and `flask demo`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.services import commit
from editorial.services.desks import create_desk
from editorial.services.staff import create_person
from editorial.services.stories import StoryInput, create_story, transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, Role

DESKS = ["National", "Diplomatic", "City", "Business", "International", "Sports", "Opinion"]
DEMO_PASSWORD = "newsroom-demo-2025"

# (email, name, byline, roles, desks)
STAFF = [
    ("admin@editorial.local", "Farhana Haque", "", {Role.ADMIN}, []),
    (
        "nasreen.akter@editorial.local",
        "Nasreen Akter",
        "National Desk",
        {Role.DESK_EDITOR, Role.REPORTER},
        ["national", "city", "business"],
    ),
    (
        "tanvir.rahman@editorial.local",
        "Tanvir Rahman",
        "Diplomatic Desk",
        {Role.DESK_EDITOR, Role.REPORTER},
        ["diplomatic", "international", "sports", "opinion"],
    ),
    (
        "rafiq.islam@editorial.local",
        "Rafiq Islam",
        "Diplomatic Correspondent",
        {Role.REPORTER},
        ["diplomatic", "international"],
    ),
    (
        "shirin.sultana@editorial.local",
        "Shirin Sultana",
        "Staff Reporter",
        {Role.REPORTER},
        ["national", "city"],
    ),
    (
        "kamal.hossain@editorial.local",
        "Kamal Hossain",
        "Business Correspondent",
        {Role.REPORTER},
        ["business"],
    ),
    (
        "arif.chowdhury@editorial.local",
        "Arif Chowdhury",
        "Sports Reporter",
        {Role.REPORTER},
        ["sports"],
    ),
    (
        "nusrat.jahan@editorial.local",
        "Nusrat Jahan",
        "Staff Writer",
        {Role.REPORTER},
        ["opinion", "city"],
    ),
]


def seed_demo() -> str:
    """Create the demo newsroom if there is no staff yet; return the sign-in details."""
    if db.session.scalar(select(Person.id).limit(1)) is None:
        for name in DESKS:
            create_desk(name, actor=None)
        for email, name, byline, roles, desks in STAFF:
            create_person(
                email=email,
                name=name,
                byline=byline,
                roles=roles,
                desk_slugs=desks,
                password=DEMO_PASSWORD,
            )
        from editorial.demo_stories import seed_stories

        seed_stories()
    lines = [
        f"Demo newsroom ready. Sign in at /login with any of these (password {DEMO_PASSWORD}):"
    ]
    for email, name, _byline, roles, desks in STAFF:
        what = ", ".join(sorted(r.value for r in roles))
        lines.append(f"  {email:34} {name:16} {what}{' · ' + ', '.join(desks) if desks else ''}")
    return "\n".join(lines)


def person(email: str) -> Person:
    return db.session.execute(select(Person).where(Person.email == email)).scalar_one()


def desk(slug: str) -> Desk:
    return db.session.execute(select(Desk).where(Desk.slug == slug)).scalar_one()


def write(
    author: str,
    desk_slug: str,
    headline: str,
    standfirst: str,
    body: str,
    dateline: str = "DHAKA",
    tags: list[str] | None = None,
    byline: str = "",
) -> Story:
    """A draft by one of the demo staff (byline: the author's own unless given)."""
    return create_story(
        StoryInput(
            headline=headline,
            standfirst=standfirst,
            body=body,
            byline=byline,
            dateline=dateline,
            desk_id=desk(desk_slug).id,
            tags=tags or [],
        ),
        actor=person(author),
    )


def advance(story, editor: str, to: str, *, note: str = "", hours_ago: float | None = None):
    """Move a demo story along the workflow as a real editor would."""
    author = story.authors[0]
    editor_person = person(editor)
    steps = {
        "submitted": [(Action.SUBMIT, author)],
        "changes_requested": [(Action.SUBMIT, author), (Action.REQUEST_CHANGES, editor_person)],
        "approved": [(Action.SUBMIT, author), (Action.APPROVE, editor_person)],
        "scheduled": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.SCHEDULE, editor_person),
        ],
        "published": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.PUBLISH, editor_person),
        ],
        "withdrawn": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.PUBLISH, editor_person),
            (Action.WITHDRAW, editor_person),
        ],
        "spiked": [(Action.SPIKE, editor_person)],
    }[to]
    for action, actor in steps:
        transition_story(
            story,
            action,
            actor=actor,
            note=note or "Demo note.",
            publish_at=utcnow() + timedelta(hours=3),
        )
    if hours_ago is not None and story.state == "published":
        when = utcnow() - timedelta(hours=hours_ago)
        story.published_at = story.first_published_at = when
        commit()
    return story
