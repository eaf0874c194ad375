"""The JSON API: public stories only, a keyset page at a time; anything not public is 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from editorial.services.revisions import CorrectionInput
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests.conftest import Factory
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path, set_published
from tests.web.test_archive_pages import JUNK

paper = sitekit.paper
ORIGIN = "http://127.0.0.1:5000"


def test_list_is_public_only_newest_first(client: FlaskClient, paper: Paper) -> None:
    older = paper.story(headline="Older", byline="Staff Reporter", dateline="Sylhet")
    newer = paper.story(headline="Newer", desk=paper.sports)
    paper.story(StoryState.SCHEDULED, headline="Scheduled")
    set_published(older, datetime(2025, 12, 1, tzinfo=UTC))
    set_published(newer, datetime(2025, 12, 2, tzinfo=UTC))
    response = client.get("/api/stories")
    assert response.mimetype == "application/json" and "ETag" in response.headers
    data = response.get_json()
    assert data["next"] is None and data["previous"] is None and "total" not in data
    assert [s["headline"] for s in data["stories"]] == ["Newer", "Older"]
    first = data["stories"][1]
    assert first["byline"] == "Staff Reporter" and first["dateline"] == "SYLHET"
    assert first["section"] == {"slug": "national", "name": "National"}
    assert first["url"] == "http://127.0.0.1:5000" + article_path(older)
    assert first["published_at"] == "2025-12-01T00:00:00+00:00"
    assert "body_html" not in first


def _dated(paper: Paper, count: int) -> list[int]:
    """`count` public stories a day apart (story n on 1 December + n), their ids by age."""
    stories = [paper.story(headline=f"National {n}") for n in range(count)]
    for n, story in enumerate(stories):
        set_published(story, datetime(2025, 12, 1 + n, tzinfo=UTC))
    return [story.id for story in stories]


def _get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix(ORIGIN))
    assert response.status_code == 200, (url, response.status_code)
    data: dict[str, Any] = response.get_json()
    return data


def _ids(data: dict[str, Any]) -> list[int]:
    return [story["id"] for story in data["stories"]]


def test_next_and_previous_walk_the_whole_list(client: FlaskClient, paper: Paper) -> None:
    ids = _dated(paper, 5)[::-1]  # newest first
    first = _get(client, "/api/stories?per_page=2")
    assert _ids(first) == ids[:2] and first["previous"] is None
    assert first["next"].startswith(ORIGIN + "/api/stories?") and "before=" in first["next"]
    second = _get(client, first["next"])
    third = _get(client, second["next"])
    assert _ids(second) == ids[2:4] and _ids(third) == ids[4:] and third["next"] is None
    assert _ids(_get(client, third["previous"])) == ids[2:4]
    assert _ids(_get(client, second["previous"])) == ids[:2]
    assert _get(client, second["previous"])["previous"] is None


def test_a_next_link_keeps_its_stories_after_a_publish(client: FlaskClient, paper: Paper) -> None:
    ids = _dated(paper, 4)[::-1]
    second = _get(client, "/api/stories?per_page=2")["next"]
    paper.story(headline="Breaking")  # the newest now: numbered pages would shift by one
    assert _ids(_get(client, second)) == ids[2:]


def test_old_page_numbers_still_answer(client: FlaskClient, paper: Paper) -> None:
    ids = _dated(paper, 5)[::-1]
    page = _get(client, "/api/stories?per_page=2&page=2")
    assert _ids(page) == ids[2:4] and _ids(_get(client, page["next"])) == ids[4:]
    assert _ids(_get(client, page["previous"])) == ids[:2]
    assert _ids(_get(client, "/api/stories?per_page=2&page=1")) == ids[:2]
    past = _get(client, "/api/stories?per_page=2&page=9")
    assert past["stories"] == [] and past["next"] is None and past["previous"] is None


def test_the_section_filter_pages_within_the_section(client: FlaskClient, paper: Paper) -> None:
    ids = _dated(paper, 3)[::-1]
    paper.story(headline="Sports", desk=paper.sports)
    sports = _get(client, "/api/stories?section=sports")
    assert [s["headline"] for s in sports["stories"]] == ["Sports"]
    national = _get(client, "/api/stories?section=national&per_page=2")
    assert "section=national" in national["next"]
    assert _ids(_get(client, national["next"])) == ids[2:]
    assert client.get("/api/stories?section=nowhere").status_code == 404


def test_a_cursor_past_the_end_is_an_empty_page(client: FlaskClient, paper: Paper) -> None:
    paper.story()
    for query in ("before=1.1", "after=99999999999999999.1"):
        data = _get(client, f"/api/stories?{query}")
        assert data["stories"] == [] and data["next"] is None and data["previous"] is None


JUNK_CURSORS = [junk for junk in JUNK if "\x00" not in junk]  # control characters are dropped
BAD_ARGUMENTS = [
    {"page": "0"},
    {"page": "x"},
    {"page": "-1"},
    {"per_page": "0"},
    {"per_page": "101"},
    *({name: junk} for name in ("before", "after") for junk in JUNK_CURSORS),
    {"before": "1764583200000000.5", "after": "1764583200000000.5"},
    {"page": "2", "before": "1764583200000000.5"},
    {"page": "2", "after": "1764583200000000.5"},
]


def test_bad_arguments_are_400_with_a_message(any_app: Flask, make: Factory) -> None:
    desk = make.desk("National")
    make.story(make.reporter(desk), desk, StoryState.PUBLISHED, editor=make.editor(desk))
    client = any_app.test_client()
    for args in BAD_ARGUMENTS:
        for section in ({}, {"section": "national"}):
            response = client.get("/api/stories", query_string=args | section)
            assert response.status_code == 400, (args, response.status_code)
            assert response.get_json()["error"], args


def test_one_story_with_body_and_corrections(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(headline="Full story", body="First paragraph.", tags=["Teesta"])
    save_story(
        story,
        StoryInput(headline=story.headline, body="Fixed paragraph.", desk_id=story.desk_id),
        actor=paper.editor,
        expected_version=story.version,
        correction=CorrectionInput(note="Fixed a name."),
    )
    data = client.get(f"/api/stories/{story.id}").get_json()
    assert data["headline"] == "Full story"
    assert data["body_html"] == "<p>Fixed paragraph.</p>\n"
    assert data["corrections"][0]["note"] == "Fixed a name."
    assert data["corrections"][0]["kind"] == "correction"
    assert data["updated_at"] is not None


@pytest.mark.parametrize("state", [StoryState.DRAFT, StoryState.APPROVED, StoryState.WITHDRAWN])
def test_non_public_story_is_404(client: FlaskClient, paper: Paper, state: StoryState) -> None:
    story = paper.story(state)
    response = client.get(f"/api/stories/{story.id}")
    assert response.status_code == 404 and response.get_json()["status"] == 404
    assert client.get("/api/stories/999999").status_code == 404


def test_republished_story_is_back(client: FlaskClient, paper: Paper) -> None:
    story = paper.story(StoryState.WITHDRAWN)
    transition_story(story, Action.REPUBLISH, actor=paper.editor)
    assert client.get(f"/api/stories/{story.id}").status_code == 200
