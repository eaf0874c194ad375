"""The JSON API: public stories only, paginated; anything not public is 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from editorial.services.stories import CorrectionInput, StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path, set_published

paper = sitekit.paper


def test_list_is_public_only_newest_first(client: FlaskClient, paper: Paper) -> None:
    older = paper.story(headline="Older", byline="Staff Reporter", dateline="Sylhet")
    newer = paper.story(headline="Newer", desk=paper.sports)
    paper.story(StoryState.SCHEDULED, headline="Scheduled")
    set_published(older, datetime(2025, 12, 1, tzinfo=UTC))
    set_published(newer, datetime(2025, 12, 2, tzinfo=UTC))
    response = client.get("/api/stories")
    assert response.mimetype == "application/json" and "ETag" in response.headers
    data = response.get_json()
    assert data["total"] == 2 and data["pages"] == 1 and data["next"] is None
    assert [s["headline"] for s in data["stories"]] == ["Newer", "Older"]
    first = data["stories"][1]
    assert first["byline"] == "Staff Reporter" and first["dateline"] == "SYLHET"
    assert first["section"] == {"slug": "national", "name": "National"}
    assert first["url"] == "http://127.0.0.1:5000" + article_path(older)
    assert first["published_at"] == "2025-12-01T00:00:00+00:00"
    assert "body_html" not in first


def test_pagination_and_section_filter(client: FlaskClient, paper: Paper) -> None:
    for n in range(3):
        paper.story(headline=f"National {n}")
    paper.story(headline="Sports", desk=paper.sports)
    page = client.get("/api/stories?per_page=2&page=2").get_json()
    assert page["total"] == 4 and page["pages"] == 2 and len(page["stories"]) == 2
    assert page["next"] is None
    assert page["previous"].endswith("/api/stories?page=1&per_page=2")
    sports = client.get("/api/stories?section=sports").get_json()
    assert [s["headline"] for s in sports["stories"]] == ["Sports"]
    assert client.get("/api/stories?section=nowhere").status_code == 404
    assert client.get("/api/stories?page=9").get_json()["stories"] == []


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=101", "page=-1"])
def test_bad_arguments_are_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/stories?{query}")
    assert response.status_code == 400 and "error" in response.get_json()


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
