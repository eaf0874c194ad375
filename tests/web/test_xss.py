"""Script in any field never runs on any newsroom page: story, editor, preview, diff, lists.

Each page is parsed as a browser would; the test fails on any script, event handler,
javascript:/data: URL, inline style, SVG, MathML, iframe or object that the payload smuggled in.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from editorial.services.comments import add_comment
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.templating import newsroom_zone
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, reload

PAYLOADS = [
    '<script>alert("xss")</script>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    '<div style="width: expression(alert(1))">x</div>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "<<script>script>alert(1)<</script>/script>",
    "javascript:alert(1)",
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "frame", "base", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class Inspector(HTMLParser):
    """Collects every dangerous thing a browser would act on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("type") == "application/ld+json":
            return  # data, not code (the public article template's JSON-LD)
        if tag == "script" and attributes.get("src", "").startswith("/static/"):
            return
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
            cleaned = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and cleaned.startswith(BAD_SCHEMES):
                self.problems.append(f"{tag} {name}={value}")


def problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_inspector_catches_the_payloads_when_unescaped() -> None:
    """The checker itself must see what an unescaped payload would do."""
    caught = [p for p in PAYLOADS if problems(f"<p>{p}</p>")]
    assert len(caught) >= 12


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_never_runs_on_any_page(
    client: FlaskClient, nr: Newsroom, make: Factory, payload: str
) -> None:
    fields = {
        "standfirst": payload,
        "byline": payload[:120],
        "dateline": payload[:80],
    }
    body = f"Safe opening paragraph.\n\n{payload}\n\nIn a list:\n\n- {payload}\n\n> {payload}"
    story = make.story(
        nr.reporter, nr.desk, StoryState.SUBMITTED, headline=payload[:200], body=body, **fields
    )
    # a second revision with the payload moved around, for the diff view
    save_story(
        story,
        StoryInput(
            headline=f"Changed {payload}"[:200],
            standfirst=f"{payload} changed",
            body=f"{payload}\n\nNew paragraph {payload}",
            byline=payload[:120],
            dateline=payload[:80],
            desk_id=nr.desk.id,
        ),
        actor=nr.editor,
        expected_version=reload(story).version,
    )
    add_comment(reload(story), f"{payload} @shirin.sultana", actor=nr.editor)
    scheduled = make.story(
        nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor, headline=payload[:200]
    )
    publish_at = utcnow() + timedelta(hours=2)
    transition_story(scheduled, Action.SCHEDULE, actor=nr.editor, publish_at=publish_at)
    month = publish_at.astimezone(newsroom_zone()).strftime("%Y-%m")
    day = publish_at.astimezone(newsroom_zone()).date().isoformat()

    base = f"/newsroom/stories/{story.id}"
    headline = " ".join(f"Changed {payload}"[:200].split())
    pages = {
        nr.editor: [
            base,
            f"{base}/edit",
            f"{base}/preview",
            f"{base}/history",
            f"{base}/compare?a=1&b=2",
            f"{base}/compare?a=2&b=1",
            f"/newsroom/stories/{scheduled.id}/preview",
            "/newsroom/queue",
            f"/newsroom/budget?day={day}",
            f"/newsroom/calendar?month={month}",
            "/newsroom/search?q=",
            f"/newsroom/search?q={payload}",
            "/newsroom/",
        ],
        nr.reporter: ["/newsroom/", "/newsroom/notifications", base],
    }
    for person, paths in pages.items():
        login(client, person)
        for path in paths:
            response = client.get(path)
            assert response.status_code in {200, 400}, path
            html = response.get_data(as_text=True)
            found = problems(html)
            assert not found, f"{path}: {found}"
            if path in {base, f"{base}/history"}:
                assert str(escape(headline)) in html, path  # shown, as text
