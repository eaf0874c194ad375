"""TRUST case 16: nothing unpublished reaches readers, anywhere, with any query string.

For a story in each unpublished state (and one published but under embargo), with editors'
Top News placement forced on it: its URL is 404, and no page, feed, sitemap, search, count,
JSON-LD, More articles or Top News list shows it. After publishing, all of them do; after
withdrawing, none do and its URL answers 410. The page cache stays on throughout, so these
also prove that publishing and withdrawing invalidate it.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Placement, Story
from editorial.services import commit
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.services.unpublishing import set_unpublish, unpublish_due_stories
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.web import sitekit
from tests.web.sitekit import Paper, article_path, jsonld

paper = sitekit.paper

HIDDEN = [
    StoryState.DRAFT,
    StoryState.SUBMITTED,
    StoryState.CHANGES_REQUESTED,
    StoryState.APPROVED,
    StoryState.SCHEDULED,
    StoryState.SPIKED,
    "embargoed",
]
QUERY_STRINGS = ["", "?preview=1", "?static=1", "?page=2", "?state=draft", "?page=1&state=all"]
MARKER = "Quokka"  # in the hidden story's headline, slug, body, tag


def _hidden(paper: Paper, state: StoryState | str) -> Story:
    """A story readers must not see, placed in Top News by force."""
    headline = f"{MARKER} secret {state} story"
    fields = {"headline": headline, "body": f"The {MARKER.lower()} text.", "tags": ["Quokkas"]}
    if state == "embargoed":
        story = paper.story(StoryState.PUBLISHED, **fields)
        data = StoryInput(
            headline=headline,
            body=story.body,
            desk_id=story.desk_id,
            slug=story.slug,
            tags=["Quokkas"],
            embargo_at=utcnow() + timedelta(days=1),
        )
        save_story(story, data, actor=paper.editor, expected_version=story.version)
    else:
        story = paper.story(state, **fields)
    db.session.execute(update(Story).where(Story.id == story.id).values(placement=Placement.TOP))
    commit()
    return story


def _listing_urls(paper: Paper, anchor: Story) -> list[str]:
    return [
        "/",
        "/latest",
        "/national/",
        "/section/national/",
        "/tag/quokkas",
        "/tag/shared",
        f"/search?q={MARKER.lower()}",
        "/search?q=secret",
        "/feed.xml",
        "/national/feed.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/api/stories",
        "/api/stories?section=national",
        article_path(anchor),  # More articles, Top News, Latest News and JSON-LD of another story
    ]


def _shows(client: FlaskClient, url: str, story: Story) -> bool:
    response = client.get(url)
    if response.status_code == 301:
        response = client.get(response.headers["Location"])
    text = response.get_data(as_text=True)
    return (
        MARKER in text
        or story.slug in text
        or re.search(rf'"id":\s*{story.id}\b', text) is not None
    )


@pytest.fixture
def anchor(paper: Paper) -> Story:
    """A public story on the same desk, in Top News, sharing a tag with the hidden one."""
    story = paper.story(headline="Visible anchor story", tags=["Shared"])
    paper.top(story)
    return story


@pytest.mark.parametrize("state", HIDDEN)
def test_unpublished_story_is_nowhere(
    client: FlaskClient, paper: Paper, anchor: Story, state: StoryState | str
) -> None:
    story = _hidden(paper, state)
    db.session.refresh(story)
    own = [article_path(story), f"/api/stories/{story.id}"]
    for base in own:
        for qs in QUERY_STRINGS:
            url = base + ("&" + qs[1:] if "?" in base and qs else qs)
            assert client.get(url).status_code == 404, url
    for base in _listing_urls(paper, anchor):
        for qs in QUERY_STRINGS:
            url = base + ("&" + qs[1:] if "?" in base and qs else qs)
            assert not _shows(client, url, story), f"{state} story leaked on {url}"
    _counts_are_public_only(client)


def _counts_are_public_only(client: FlaskClient) -> None:
    """Counts and JSON-LD know only the anchor."""
    api = client.get("/api/stories").get_json()
    assert len(api["stories"]) == 1 and api["next"] is None  # the control story only
    section = client.get("/national/").get_data(as_text=True)
    # Listings count nothing (issue 14): the section lists the anchor alone, and no older page.
    listed = section.split('<ol class="listing-items">', 1)[1].split("</ol>", 1)[0]
    assert listed.count("<li>") == 1, "the section lists a hidden story"
    assert "Older stories" not in section, "the section pages on to a hidden story"
    page = client.get(api["stories"][0]["url"].replace("http://127.0.0.1:5000", ""))
    [data] = jsonld(page.get_data(as_text=True))
    assert data["headline"] == "Visible anchor story"
    assert MARKER not in json.dumps(data)


def test_publish_then_withdraw(client: FlaskClient, paper: Paper, anchor: Story) -> None:
    story = _hidden(paper, StoryState.APPROVED)
    urls = _listing_urls(paper, anchor)
    for url in urls:  # warm every cache with the story absent
        assert not _shows(client, url, story), url

    transition_story(story, Action.PUBLISH, actor=paper.editor)
    path = article_path(story)
    assert client.get(path).status_code == 200
    assert client.get(f"/api/stories/{story.id}").status_code == 200
    for url in urls:
        if url != "/tag/shared":  # the hidden story is not tagged Shared
            assert _shows(client, url, story), f"published story missing from {url}"

    transition_story(story, Action.WITHDRAW, actor=paper.editor, note="Legal advice.")
    _gone_everywhere(client, story, urls)


def _gone_everywhere(client: FlaskClient, story: Story, urls: list[str]) -> None:
    """Its URL answers 410 with a notice and none of its text; no other output shows it."""
    path = article_path(story)
    for qs in QUERY_STRINGS:
        gone = client.get(path + qs)
        assert gone.status_code == 410, qs
        assert "withdrawn" in gone.get_data(as_text=True)
        assert MARKER not in gone.get_data(as_text=True)
    assert client.get(f"/api/stories/{story.id}").status_code == 404
    for url in urls:
        assert not _shows(client, url, story), f"withdrawn story still on {url}"


def test_a_scheduled_unpublish_takes_the_story_off_every_output(
    client: FlaskClient, paper: Paper, anchor: Story
) -> None:
    """The scheduler's withdrawal at the Unpublish at time clears what Withdraw clears, with
    every cache warm with the story in it."""
    story = _hidden(paper, StoryState.APPROVED)
    transition_story(story, Action.PUBLISH, actor=paper.editor)
    urls = _listing_urls(paper, anchor)
    for url in urls:
        if url != "/tag/shared":
            assert _shows(client, url, story), f"published story missing from {url}"
    at = utcnow() + timedelta(minutes=5)
    set_unpublish(story, actor=paper.editor, unpublish_at=at, note="Rights expire.")
    assert _shows(client, "/", story)  # setting the time changes nothing readers see
    assert unpublish_due_stories(at + timedelta(seconds=1)) == [story.id]
    _gone_everywhere(client, story, urls)


def test_embargo_lifting_shows_story_without_any_write(
    client: FlaskClient, paper: Paper, anchor: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An embargo ends with no write to the database: the cache must notice the clock."""
    story = _hidden(paper, "embargoed")
    path = article_path(story)
    assert client.get(path).status_code == 404
    assert not _shows(client, "/", story)
    later = utcnow() + timedelta(days=2)
    import editorial.site.cache as cache
    import editorial.site.queries as queries

    monkeypatch.setattr(queries, "utcnow", lambda: later)
    monkeypatch.setattr(cache, "utcnow", lambda: later)
    assert client.get(path).status_code == 200
    assert _shows(client, "/", story)
