"""TRUST 28: odd requests get a 4xx, never a 5xx; control characters never reach a header, XML
or JSON raw. Routes come from the URL map, so a new route is covered without editing this file."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from flask import Flask

from editorial.services import accounts
from editorial.services.comments import add_comment
from editorial.tokens import LinkKind
from editorial.workflow import StoryState
from tests.conftest import Factory

# Every C0 control, DEL, a few C1 controls and the Unicode line separators.
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x80\x85\x9b\x9f\u2028\u2029"
HOSTILE = f"Flood\r\nBcc: victim@evil.example\x00{CONTROLS}warning"
# Stored story text: NUL is refused or stripped on save (a separate fix), the rest is kept.
MAX_URL_INT = 2**31 - 1  # the largest id an INTEGER column holds
STORED = HOSTILE.replace("\x00", "")


def _path(rule, value: str = "1") -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", value, rule.rule)


@pytest.mark.parametrize("length", [300, 10_000])
def test_a_long_host_header_is_a_400_on_every_route(any_app: Flask, length: int) -> None:
    client = any_app.test_client()
    for rule in any_app.url_map.iter_rules():
        response = client.get(_path(rule), headers={"Host": "a" * length})
        assert response.status_code == 400, (rule.rule, response.status_code)


def test_anonymous_options_never_fails_on_any_route(any_app: Flask) -> None:
    client = any_app.test_client()
    for rule in any_app.url_map.iter_rules():
        response = client.open(_path(rule), method="OPTIONS")
        assert response.status_code < 500, (rule.rule, response.status_code)
        assert response.status_code in {200, 302}, (rule.rule, response.status_code)


@pytest.mark.parametrize(
    "number", ["0", "-1", str(MAX_URL_INT), str(MAX_URL_INT + 1), str(2**63), str(10**30)]
)
def test_out_of_range_numbers_in_urls_are_404(any_app: Flask, number: str) -> None:
    client = any_app.test_client()
    for rule in any_app.url_map.iter_rules():
        if "int" not in str(rule._converters):  # rules with a number in the path
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_path(rule, number), method=method)
            assert response.status_code < 500, (method, rule.rule, number)
            if rule.endpoint.startswith("site.") or rule.endpoint.startswith("api."):
                assert response.status_code == 404, (rule.rule, number, response.status_code)


def test_sitemap_parts_out_of_range_are_404(any_app: Flask) -> None:
    client = any_app.test_client()
    for number in ("0", "2", str(MAX_URL_INT), str(2**62), str(10**30)):
        assert client.get(f"/sitemaps/stories-{number}.xml").status_code == 404, number


@pytest.mark.parametrize(
    "headers",
    [
        {"User-Agent": "x" * 100_000},
        {"Cookie": "session=" + "y" * 100_000},
        {"Accept": "text/html;" * 10_000},
        {"X-Forwarded-For": ", ".join(["10.0.0.1"] * 5_000)},
        {"Referer": "http://127.0.0.1/" + "z" * 100_000},
    ],
    ids=["user-agent", "cookie", "accept", "forwarded-for", "referer"],
)
def test_any_header_length_is_never_a_5xx(any_app: Flask, headers: dict[str, str]) -> None:
    client = any_app.test_client()
    for path in ("/", "/login", "/newsroom/", "/admin/", "/api/stories", "/feed.xml"):
        assert client.get(path, headers=headers).status_code < 500, path


@pytest.mark.parametrize("length", [300, 10_000, 100_000])
def test_any_path_length_is_never_a_5xx(any_app: Flask, length: int) -> None:
    client = any_app.test_client()
    for prefix in ("/", "/newsroom/stories/", "/admin/staff/", "/api/stories/", "/sitemaps/"):
        response = client.get(prefix + "a" * length)
        # A 404, a sign-in redirect, or the section alias's redirect: never a failure.
        assert response.status_code < 500, (prefix, response.status_code)


# -- control characters in what the system writes -------------------------------------------


def _header_lines(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    return head.decode("ascii").replace("\r\n", "\n").split("\n")


def _assert_clean_headers(app: Flask, *, expected: int) -> list[str]:
    from pathlib import Path

    files = sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(files) == expected, [f.name for f in files]
    subjects = []
    for path in files:
        lines = _header_lines(path.read_bytes())  # ASCII: anything else is encoded
        names = [line.split(":", 1)[0] for line in lines if not line[:1].isspace()]
        assert "Bcc" not in names, names
        for line in lines:
            assert not any(unicodedata.category(c) == "Cc" for c in line), repr(line)
        from email import policy
        from email.parser import BytesParser

        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        subject = str(message["Subject"])
        assert not any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in subject)
        subjects.append(subject)
    return subjects


def test_control_characters_never_reach_notification_and_mention_headers(
    any_app: Flask, make: Factory
) -> None:
    desk = make.desk()
    reporter = make.reporter(desk, name=f"Shirin{STORED}", email="shirin.sultana@example.test")
    editor = make.editor(desk, email="nasreen.akter@example.test")
    story = make.story(reporter, desk, StoryState.SUBMITTED, headline=STORED)
    add_comment(story, "Please check the figures, @nasreen.akter", actor=reporter)
    subjects = _assert_clean_headers(any_app, expected=2)
    assert any(
        s.startswith("Submitted for review: Flood Bcc: victim@evil.example") for s in subjects
    ), subjects
    assert any("mentioned you" in s and "Flood Bcc" in s for s in subjects), subjects
    assert editor.email  # both messages went to the desk editor


@pytest.mark.parametrize("kind", [LinkKind.INVITE, LinkKind.RESET])
def test_control_characters_never_reach_account_email_headers(
    any_app: Flask, make: Factory, kind: LinkKind
) -> None:
    any_app.config["SITE_NAME"] = HOSTILE
    person = make.reporter(password=None if kind is LinkKind.INVITE else "a long password 1")
    send = accounts.send_invitation if kind is LinkKind.INVITE else accounts.send_password_reset
    send(person, actor=None)
    (subject,) = _assert_clean_headers(any_app, expected=1)
    assert "Flood Bcc: victim@evil.example" in subject


def test_control_characters_never_reach_feeds_sitemaps_or_json_raw(
    any_app: Flask, make: Factory
) -> None:
    desk = make.desk()
    reporter, editor = make.reporter(desk), make.editor(desk)
    story = make.story(
        reporter, desk, StoryState.PUBLISHED, editor=editor, headline=STORED, standfirst=STORED
    )
    client = any_app.test_client()
    raw_controls = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0 forbids
    for path in ("/feed.xml", f"/{desk.slug}/feed.xml", "/sitemap.xml", "/news-sitemap.xml"):
        response = client.get(path)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, path
        assert not raw_controls.search(response.get_data(as_text=True)), path
    api = client.get("/api/stories")
    assert api.status_code == 200
    assert not raw_controls.search(api.get_data(as_text=True))
    assert any(item["headline"].startswith("Flood") for item in api.get_json()["stories"])
    article = client.get(f"/api/stories/{story.id}")
    assert article.status_code == 200
    for block in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>',
        client.get(api.get_json()["stories"][0]["url"].split("5000", 1)[-1]).get_data(as_text=True),
        re.S,
    ):
        assert not raw_controls.search(block)
        json.loads(block)
