"""Issue 11, the editor's writing help: the live preview endpoint (the server's renderer and
sanitiser, CSRF, staff only, the size cap), the photo picker's JSON (staff only; nothing of an
unpublished photo reachable by readers), and privacy embeds where readers meet them (story
pages, live entries, the API). SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from editorial.extensions import db
from editorial.models import BODY_MAX, Story, WorkingCopy
from editorial.services.live import EntryInput, post_entry, start_live_coverage
from editorial.workflow import StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom, reload
from tests.web.sitekit import article_path, jsonld
from tests.web.test_photo_body import _photo

PREVIEW = "/newsroom/editor/preview"
PHOTOS = "/newsroom/editor/photos"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture(autouse=True)
def _each_database(any_app: Flask) -> Flask:
    return any_app


@pytest.fixture
def web(any_app: Flask) -> FlaskClient:
    return any_app.test_client()


def preview(
    client: FlaskClient, payload: dict[str, Any] | str, *, token: str | None = None
) -> TestResponse:
    """POST as toolbar.js does: JSON, the CSRF token in X-CSRFToken."""
    headers = {"Accept": "application/json"}
    token = csrf_token(client, "/newsroom/") if token is None else token
    if token:
        headers["X-CSRFToken"] = token
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(PREVIEW, data=data, content_type="application/json", headers=headers)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element the browser would make of `html`, with its attributes."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def _html(response: TestResponse) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    html: str = response.get_json()["html"]
    return html


# --- the live preview -------------------------------------------------------------------------


def test_the_preview_is_the_servers_rendering(web: FlaskClient, nr: Newsroom) -> None:
    login(web, nr.reporter)
    answer = preview(web, {"body": "## Toll\n\nTolls **rose** by *a fifth*."})
    assert (
        _html(answer) == "<h2>Toll</h2>\n<p>Tolls <strong>rose</strong> by <em>a fifth</em>.</p>\n"
    )
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_preview_places_library_photos_from_the_staff_files(
    web: FlaskClient, nr: Newsroom
) -> None:
    photo = _photo(nr.reporter)
    login(web, nr.reporter)
    html = _html(preview(web, {"body": f'![Boats at dawn](photo:{photo.id} "At Sadarghat")'}))
    assert '<figure class="body-photo">' in html and 'alt="Boats at dawn"' in html
    assert "/newsroom/media/files/" in html and 'src="/media/' not in html
    html = _html(preview(web, {"body": "![x](photo:99999)"}))
    assert 'class="photo-warning"' in html  # as the Preview page warns


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        '<div class="embed" data-embed-src="https://evil.example/"><a href="#">Load</a></div>',
    ],
)
def test_script_in_the_preview_is_sanitised(web: FlaskClient, nr: Newsroom, payload: str) -> None:
    login(web, nr.reporter)
    html = _html(preview(web, {"body": f"Text.\n\n{payload}\n\nMore."}))
    for tag, attributes in _elements(html):
        assert tag in {"p", "a"}, html
        for name, value in attributes:
            assert not name.startswith("on") and name in {"href", "rel"}, html
            assert not (value or "").lower().startswith(("javascript:", "data:")), html


def test_the_preview_boxes_only_real_provider_addresses(web: FlaskClient, nr: Newsroom) -> None:
    login(web, nr.reporter)
    html = _html(preview(web, {"body": f"{VIDEO}\n\nhttps://x.com/jack/status/20"}))
    assert html.count('<div class="embed"') == 2 and "<iframe" not in html
    assert "Load YouTube video \u2014 this loads content from youtube.com" in html
    for lookalike in (
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
        "https://x.com.evil.example/jack/status/20",
        "javascript:alert(1)",
    ):
        html = _html(preview(web, {"body": lookalike}))
        assert "embed" not in html and "<iframe" not in html, lookalike


def test_anonymous_is_told_to_sign_in(web: FlaskClient) -> None:
    response = preview(web, {"body": "Text."}, token="")
    assert response.status_code == 401 and response.get_json() == {"error": "sign in required"}
    response = web.post(PREVIEW, data="{}", content_type="application/json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_the_preview_needs_the_csrf_token(web: FlaskClient, nr: Newsroom, token: str) -> None:
    login(web, nr.reporter)
    csrf_token(web, "/newsroom/")
    response = preview(web, {"body": "Text."}, token=token)
    assert response.status_code == 403
    assert "security token" in response.get_json()["error"] and "html" not in response.get_json()


def test_another_sessions_token_is_refused(any_app: Flask, web: FlaskClient, nr: Newsroom) -> None:
    other = any_app.test_client()
    login(other, nr.editor)
    stolen = csrf_token(other, "/newsroom/")
    login(web, nr.reporter)
    csrf_token(web, "/newsroom/")
    assert preview(web, {"body": "Text."}, token=stolen).status_code == 403


def test_a_body_over_the_cap_is_413_and_nothing_is_kept(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, body="As saved.")
    login(web, nr.reporter)
    response = preview(web, {"body": "x" * (BODY_MAX + 1)})
    assert response.status_code == 413
    assert f"the limit is {BODY_MAX:,}" in response.get_json()["error"]
    assert "your text is unchanged" in response.get_json()["error"]
    assert reload(story).body == "As saved."
    assert db.session.scalar(select(func.count()).select_from(WorkingCopy)) == 0
    assert preview(web, {"body": "x" * BODY_MAX}).status_code == 200


@pytest.mark.parametrize(
    "payload", ["not json", "[]", '{"body": 5}', '{"text": "a"}', '{"body": null}']
)
def test_a_request_not_understood_is_400(web: FlaskClient, nr: Newsroom, payload: str) -> None:
    login(web, nr.reporter)
    response = preview(web, payload)
    assert response.status_code == 400 and "not understood" in response.get_json()["error"]


# --- the photo picker -------------------------------------------------------------------------


def test_the_picker_lists_library_photos_with_their_markdown(
    web: FlaskClient, nr: Newsroom
) -> None:
    boats = _photo(nr.reporter, caption='Launches "at dawn"', alt_text="Boats [two]")
    _photo(nr.reporter, caption="Rickshaws in rain", credit="", alt_text="")
    login(web, nr.colleague)
    answer = web.get(PHOTOS, headers={"Accept": "application/json"}).get_json()
    assert [p["caption"] for p in answer["photos"]] == ["Rickshaws in rain", 'Launches "at dawn"']
    rickshaws, picked = answer["photos"]
    assert picked["markdown"] == f'![Boats \\[two\\]](photo:{boats.id} "Launches \\"at dawn\\"")'
    assert picked["problem"] == "" and "credit" in rickshaws["problem"]
    if picked["ready"]:
        assert picked["thumbnail"] == f"/newsroom/media/{boats.id}/thumbnail"
        with web.get(picked["thumbnail"]) as response:
            assert response.status_code == 200
    searched = web.get(PHOTOS + "?q=launches").get_json()["photos"]
    assert [p["id"] for p in searched] == [boats.id]
    assert web.get(PHOTOS + "?q=nothing-like-it").get_json()["photos"] == []


def test_the_picker_shrugs_off_bad_input(web: FlaskClient, nr: Newsroom) -> None:
    _photo(nr.reporter)
    login(web, nr.reporter)
    for query in ("?page=abc", "?page=-1", "?from=2026-99-99", "?q=%25_", "?q=" + "w" * 5000):
        response = web.get(PHOTOS + query)
        assert response.status_code == 200, query
        assert isinstance(response.get_json()["photos"], list)


def test_no_reader_reaches_an_unpublished_photos_metadata(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    photo = _photo(nr.reporter, caption="Secret draft caption", credit="Unpublished Credit")
    make.story(nr.reporter, nr.desk, body=f"![a](photo:{photo.id})", lead_photo_id=photo.id)
    for headers in ({}, {"Accept": "application/json"}):
        response = web.get(PHOTOS, headers=headers)
        assert response.status_code in (302, 401)
        assert b"Secret draft" not in response.data and b"Unpublished Credit" not in response.data
    assert web.get(f"/newsroom/media/{photo.id}/thumbnail").status_code == 302
    for path in ("/api/stories", "/search?q=secret", "/feed.xml", "/"):
        assert b"Secret draft" not in web.get(path).data, path


# --- the editor page --------------------------------------------------------------------------


def test_the_editor_offers_the_help_to_scripts_only(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    for path in (f"/newsroom/stories/{story.id}/edit", "/newsroom/stories/new"):
        html = web.get(path).get_data(as_text=True)
        assert f'data-preview="{PREVIEW}"' in html and f'data-photos="{PHOTOS}"' in html
        assert '<script src="/static/js/toolbar.js" defer></script>' in html
        assert "editor-toolbar" not in html and "live-preview" not in html  # made by the script
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
        assert 'name="action" value="preview"' in html  # the Preview page stays


def test_the_preview_page_still_renders_the_form(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk)
    login(web, nr.reporter)
    token = csrf_token(web, f"/newsroom/stories/{story.id}/edit")
    form = {**nr.form(body=f"Intro.\n\n{VIDEO}"), "csrf_token": token, "version": "1"}
    html = web.post(f"/newsroom/stories/{story.id}/preview", data=form).get_data(as_text=True)
    assert "Preview - not published" in html and 'data-embed="youtube"' in html
    assert '<script src="/static/js/embeds.js" defer></script>' in html


# --- embeds where readers meet them -----------------------------------------------------------


def test_a_public_story_shows_the_box_and_loads_nothing_from_the_provider(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    body = f"The minister spoke.\n\n{VIDEO}\n\nhttps://youtube.com.evil.example/watch?v=dQw4w9WgXcQ"
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body=body)
    response = web.get(article_path(story))
    html = response.get_data(as_text=True)
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert f'<a href="{VIDEO}" rel="noopener noreferrer nofollow">Load YouTube video' in html
    assert "<iframe" not in html and "youtube-nocookie.com/embed" not in html.split("data-embed")[0]
    assert "<p>https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ</p>" in html
    assert '<script src="/static/js/embeds.js" defer></script>' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert (
        "frame-src 'self' https://www.youtube-nocookie.com https://platform.twitter.com " in policy
    )
    api = web.get(f"/api/stories/{story.id}").get_json()
    assert 'data-embed="youtube"' in api["body_html"]


def test_a_story_without_embeds_loads_no_script(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor, body="Hi.")
    assert b"embeds.js" not in web.get(article_path(story)).data


def test_live_entries_embed_too_in_the_text_and_as_the_link(
    web: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.PUBLISHED, editor=nr.editor)
    start_live_coverage(story, actor=nr.reporter)
    story = db.session.get(Story, story.id)
    post_entry(story, EntryInput(body=f"The speech:\n\n{VIDEO}"), actor=nr.reporter)
    post_entry(
        story,
        EntryInput(body="Reaction.", link="https://twitter.com/dhaka_news/status/123"),
        actor=nr.reporter,
    )
    post_entry(
        story,
        EntryInput(body="Other.", link="https://x.com.evil.example/a/status/1"),
        actor=nr.reporter,
    )
    path = article_path(db.session.get(Story, story.id))
    for html in (
        web.get(path).get_data(as_text=True),
        web.get(path + "/live").get_data(as_text=True),
    ):
        assert 'data-embed="youtube"' in html
        assert (
            'data-embed-src="https://platform.twitter.com/embed/Tweet.html?id=123&amp;dnt=true"'
            in html
        )
        assert (
            '<a href="https://x.com.evil.example/a/status/1" rel="nofollow noopener noreferrer">'
            in html
        )
        assert "<iframe" not in html
    page = web.get(path).get_data(as_text=True)
    assert "embeds.js" in page
    bodies = [post["articleBody"] for post in jsonld(page)[0]["liveBlogUpdate"]]
    assert f"The speech:\n{VIDEO}" in bodies  # the address, not the box's words
    assert not any("Load YouTube" in text for text in bodies)
