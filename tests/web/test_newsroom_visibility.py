"""Every newsroom URL that names a story answers 404 to someone who may not see it: no glimpse.

The routes come from the app's url_map, so a new story route is covered without editing this.
"""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from editorial.models import Story
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom, post_form, reload

FIELDS = {"version": "1", "note": "n", "comment": "c", "placement": "top", "headline": "h"}


def story_rules(app: Flask) -> list[Rule]:
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("newsroom.") and "story_id" in r.arguments
    ]
    endpoints = {r.endpoint for r in rules}
    expected = {
        "newsroom.story",
        "newsroom.edit_story",
        "newsroom.history",
        "newsroom.compare",
        "newsroom.preview",
        "newsroom.comments",
        "newsroom.act",
        "newsroom.place",
        "newsroom.restore",
    }
    assert expected <= endpoints, expected - endpoints
    return rules


def urls(app: Flask, story_id: int) -> list[tuple[str, str]]:
    """(method, url) for every story route, with real-looking arguments."""
    result = []
    for rule in story_rules(app):
        values = {"story_id": story_id, "number": 1, "name": "approve", "entry_id": 1}
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        if rule.endpoint == "newsroom.compare":
            url += "?a=1&b=1"
        result += [(m, url) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return result


@pytest.mark.parametrize("state", [StoryState.DRAFT, StoryState.SUBMITTED, StoryState.PUBLISHED])
def test_others_get_404_on_every_story_url(
    app: Flask, client: FlaskClient, nr: Newsroom, make: Factory, state: StoryState
) -> None:
    story = make.story(nr.reporter, nr.desk, state, editor=nr.editor)
    version = story.version
    for stranger in (nr.outsider, nr.other_editor, nr.colleague, make.admin()):
        login(client, stranger)
        for method, url in urls(app, story.id):
            response = client.get(url) if method == "GET" else post_form(client, url, FIELDS)
            assert response.status_code == 404, (stranger.name, method, url)
            body = response.get_data(as_text=True)
            assert story.headline not in body and "The body of the story" not in body
    assert reload(story).version == version


def test_missing_story_is_404(app: Flask, client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.editor)
    for method, url in urls(app, 424242):
        response = client.get(url) if method == "GET" else post_form(client, url, FIELDS)
        assert response.status_code == 404, (method, url)


def test_author_and_desk_editor_see_it(
    app: Flask, client: FlaskClient, nr: Newsroom, make: Factory
) -> None:
    story = make.story(nr.reporter, nr.desk, StoryState.SUBMITTED)
    for person in (nr.reporter, nr.editor):
        login(client, person)
        for path in ("", "/history", "/compare", "/preview"):
            assert client.get(f"/newsroom/stories/{story.id}{path}").status_code == 200, path


def test_revision_of_another_story_is_404(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    """Compare and restore check the revision's story, not just the story in the URL."""
    mine = make.story(nr.reporter, nr.desk)
    theirs = make.story(nr.outsider, nr.other_desk, headline="Secret sports scoop")
    login(client, nr.reporter)
    assert client.get(f"/newsroom/stories/{mine.id}/compare?a=1&b=2").status_code == 404
    # revision numbers are per story: 1 is mine, never theirs
    html = client.get(f"/newsroom/stories/{mine.id}/compare?a=1&b=1").get_data(as_text=True)
    assert "Secret sports scoop" not in html
    response = post_form(
        client, f"/newsroom/stories/{mine.id}/revisions/9/restore", {"version": "1"}
    )
    assert response.status_code == 404
    assert isinstance(theirs, Story)


def test_anonymous_is_sent_to_sign_in(app: Flask, client: FlaskClient, nr: Newsroom, make) -> None:
    story = make.story(nr.reporter, nr.desk)
    for method, url in urls(app, story.id):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert client.post(url, data=FIELDS).status_code in {302, 400}
    assert reload(story).version == 1
