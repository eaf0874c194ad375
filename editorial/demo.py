"""The demo newsroom: desks, staff and stories in every state, for `make run` and `flask demo`."""

from __future__ import annotations

from sqlalchemy import select, update

from editorial.demo_stories import seed_stories
from editorial.extensions import db
from editorial.models import EmailState, Notification, Person
from editorial.models.notification import WAITING_EMAIL
from editorial.services.desks import create_desk
from editorial.services.staff import create_person
from editorial.timeutil import utcnow
from editorial.workflow import Role

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


def _settle_seeded_notifications() -> None:
    """The seeded history happened "before" the demo: its notifications are read and their
    e-mail copies dropped, so the demo people start with a clean notification centre (and
    the outbox is not filled with mail about stories made days ago)."""
    db.session.execute(
        update(Notification)
        .where(Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Notification)
        .where(Notification.email_state.in_(WAITING_EMAIL))
        .values(email_state=EmailState.NONE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


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
        seed_stories()
        _settle_seeded_notifications()
    lines = [
        f"Demo newsroom ready. Sign in at /login with any of these (password {DEMO_PASSWORD}):"
    ]
    for email, name, _byline, roles, desks in STAFF:
        what = ", ".join(sorted(r.value for r in roles))
        lines.append(f"  {email:34} {name:16} {what}{' · ' + ', '.join(desks) if desks else ''}")
    return "\n".join(lines)
