"""Web-tier fixtures and helpers: mail outbox, database snapshots, a small newsroom."""

from __future__ import annotations

import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from editorial.extensions import db

LINK = re.compile(r"https?://[^\s<>\"]+/(?:invite|password/reset)/[A-Za-z0-9_.\-]+")
# A newsroom-local date and time field's bad inputs ("Publish at", "Unpublish at") and the
# message each must show.
BAD_LOCAL_TIMES = [
    ("2020-01-01T10:00", "has already passed"),
    ("", "Enter a date and time"),
    ("tomorrow at noon", "is not a date and time"),
    ("2026-02-30T10:00", "is not a date and time"),
    ("9999-12-31T23:59", "more than a year ahead"),
    ("0001-01-01T00:00", "not a usable date"),
]


def outbox_messages(app: Flask) -> list[EmailMessage]:
    """Every message written to the local outbox, oldest first."""
    folder = Path(app.config["MAIL_OUTBOX"])
    if not folder.is_dir():
        return []
    return [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    ]


def account_link(message: EmailMessage) -> str:
    """The invitation or reset link in a message's plain-text part."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "no text part"
    match = LINK.search(body.get_content())
    assert match, "no account link in the e-mail"
    return match.group(0)


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[EmailMessage]]:
    """Call it to read the outbox as it is now."""
    return lambda: outbox_messages(app)


def follow_redirect(client: FlaskClient, response: TestResponse) -> TestResponse:
    """Follow one redirect by hand (the isolated test client cannot follow them itself)."""
    assert response.status_code in (301, 302, 303), response.status_code
    return client.get(response.headers["Location"])


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table: compare two to prove a request changed nothing."""
    db.session.expire_all()
    return {
        table.name: sorted(
            (tuple(row) for row in db.session.execute(select(table)).all()), key=repr
        )
        for table in db.metadata.sorted_tables
    }


# --- Newsroom (issue 3): a small newsroom of two desks, and posting forms with their token ------

from dataclasses import dataclass  # noqa: E402

from editorial.models import Desk, Person, Story  # noqa: E402
from editorial.models.loading import STORY_WHOLE  # noqa: E402
from tests.conftest import Factory, csrf_token  # noqa: E402


@dataclass
class Newsroom:
    """Two desks: reporter, colleague and editor on one; an editor and a reporter on the other."""

    desk: Desk
    other_desk: Desk
    reporter: Person
    colleague: Person
    editor: Person
    other_editor: Person
    outsider: Person

    def form(self, **fields: str) -> dict[str, str]:
        """The story editor's fields, filled in, with any overrides."""
        return {
            "headline": "Padma bridge toll revenue crosses Tk 2,000 crore",
            "standfirst": "The bridge authority says traffic is up a fifth on last year.",
            "body": "Toll collection on the Padma bridge has crossed Tk 2,000 crore.\n\n"
            "The authority said traffic grew steadily through the monsoon.",
            "byline": "Staff Reporter",
            "dateline": "DHAKA",
            "desk": str(self.desk.id),
            "slug": "",
            "tags": "",
            "embargo": "",
            "action": "save",
            **fields,
        }


@pytest.fixture
def nr(make: Factory) -> Newsroom:
    desk, other = make.desk("National"), make.desk("Sports")
    return Newsroom(
        desk=desk,
        other_desk=other,
        reporter=make.reporter(desk, name="Shirin Sultana", email="shirin.sultana@example.test"),
        colleague=make.reporter(desk, name="Rahim Uddin", email="rahim.uddin@example.test"),
        editor=make.editor(desk, name="Nasreen Akter", email="nasreen.akter@example.test"),
        other_editor=make.editor(other, name="Kamal Hossain", email="kamal.hossain@example.test"),
        outsider=make.reporter(other, name="Farid Ahmed", email="farid.ahmed@example.test"),
    )


def post_form(
    client: FlaskClient, path: str, data: dict[str, str] | None = None, **kw
) -> TestResponse:
    """POST a form as the browser would: with this session's CSRF token."""
    token = csrf_token(client, "/newsroom/")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def reload(story: Story) -> Story:
    """The story as the database has it now."""
    db.session.expire_all()
    return db.session.scalars(select(Story).options(*STORY_WHOLE).where(Story.id == story.id)).one()
