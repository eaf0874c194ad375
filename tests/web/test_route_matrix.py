"""TRUST 14: every route for anonymous, reporter, desk editor and admin, with a table that must
name every route: a new route fails here until someone decides who may reach it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from editorial.workflow import StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web import sitekit

PUBLIC, SIGNED_IN, ADMIN, TOKEN = "public", "signed in", "admin", "token link"

ACCESS = {
    **dict.fromkeys(
        [
            "static",
            "health.healthz",
            "metrics.metrics",
            "readiness.readyz",
            "api.stories",
            "api.story",
            "auth.login",
            "auth.logout",
            "auth.forgot_password",
        ],
        PUBLIC,
    ),
    **{
        endpoint: PUBLIC
        for endpoint in (
            "site.article",
            "site.feed",
            "site.home",
            "site.latest",
            "site.live_entries",
            "site.media",
            "site.news_sitemap",
            "site.robots",
            "site.search",
            "site.section",
            "site.section_alias",
            "site.section_feed",
            "site.sitemap",
            "site.sitemap_sections",
            "site.sitemap_stories",
            "site.tag",
        )
    },
    "auth.accept_invitation": TOKEN,
    "auth.reset_password": TOKEN,
    "auth.unlock_account": TOKEN,
    "auth.account": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    **{
        endpoint: SIGNED_IN
        for endpoint in (
            "newsroom.act",
            "newsroom.set_unpublish_time",
            "newsroom.cancel_unpublish_time",
            "newsroom.autosave_new",
            "newsroom.autosave_story",
            "newsroom.discard_new_copy",
            "newsroom.discard_story_copy",
            "newsroom.preview_form",
            "newsroom.preview_new",
            "newsroom.editor_preview",
            "newsroom.editor_photos",
            "newsroom.budget",
            "newsroom.calendar",
            "newsroom.comments",
            "newsroom.mention_suggestions",
            "newsroom.compare",
            "newsroom.delete_live_entry",
            "newsroom.edit_live_entry",
            "newsroom.end_live",
            "newsroom.pin_live_entry",
            "newsroom.post_live_entry",
            "newsroom.edit_story",
            "newsroom.edit_update",
            "newsroom.update_act",
            "newsroom.compare_update",
            "newsroom.history",
            "newsroom.home",
            "newsroom.edit_photo_details",
            "newsroom.front_page",  # desk editors only (403 for others: test_front_page.py)
            "newsroom.arrange_front_page",
            "newsroom.media",
            "newsroom.media_file",
            "newsroom.media_thumbnail",
            "newsroom.new_story",
            "newsroom.notifications",
            "newsroom.place",
            "newsroom.preview",
            "newsroom.queue",
            "newsroom.read_all_notifications",
            "newsroom.photo_page",
            "newsroom.read_notification",
            "newsroom.remove_photo",
            "newsroom.replace_media",
            "newsroom.restore",
            "newsroom.search",
            "newsroom.set_photo_focal_point",
            "newsroom.story",
            "newsroom.upload_media",
        )
    },
    **{
        endpoint: ADMIN
        for endpoint in (
            "admin.audit_log",
            "admin.desk_edit",
            "admin.desk_list",
            "admin.desk_style",
            "admin.index",
            "admin.site_settings",
            "admin.staff_deactivate",
            "admin.staff_edit",
            "admin.staff_invite",
            "admin.staff_list",
            "admin.staff_new",
            "admin.staff_reactivate",
            "admin.staff_reset_password",
        )
    },
}


def _path(rule: str, ids: dict[str, int]) -> str:
    """A concrete URL for a rule: ids of real objects, plausible words elsewhere."""
    return re.sub(
        r"<(?:\w+:)?(\w+)>",
        lambda m: str(ids.get(m.group(1), "x")),
        rule,
    )


def _rules(app: Flask, level: str):
    for rule in app.url_map.iter_rules():
        if ACCESS.get(rule.endpoint) == level:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert missing == [], f"add these routes to ACCESS with who may reach them: {missing}"
    stale = sorted(set(ACCESS) - {r.endpoint for r in app.url_map.iter_rules()})
    assert stale == [], f"routes in ACCESS that no longer exist: {stale}"


@pytest.fixture
def ids(make: Factory) -> dict[str, int]:
    desk = make.desk()
    reporter = make.reporter(desk)
    editor = make.editor(desk)
    story = make.story(reporter, desk, StoryState.SUBMITTED)
    return {
        "story_id": story.id,
        "person_id": editor.id,
        "desk_id": desk.id,
        "notification_id": 1,
        "number": 1,
        "photo_id": 1,
        "entry_id": 1,
    }


def test_anonymous_is_sent_to_sign_in_everywhere_staff_only(
    client: FlaskClient, app: Flask, ids: dict[str, int]
) -> None:
    token = csrf_token(client)
    for level in (SIGNED_IN, ADMIN):
        for rule, method in _rules(app, level):
            path = _path(rule.rule, ids)
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/login" in response.headers["Location"], (method, path)


def test_staff_who_are_not_admins_get_403_on_every_admin_route(
    client: FlaskClient, app: Flask, make: Factory, ids: dict[str, int]
) -> None:
    desk = make.desk()
    for person in (make.reporter(desk), make.editor(desk)):
        login(client, person)
        token = csrf_token(client, "/newsroom/")
        for rule, method in _rules(app, ADMIN):
            path = _path(rule.rule, ids)
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (person.email, method, path)


def test_staff_routes_never_show_another_desks_story(
    client: FlaskClient, app: Flask, make: Factory, ids: dict[str, int]
) -> None:
    outsider = make.editor(make.desk())
    login(client, outsider)
    token = csrf_token(client, "/newsroom/")
    for rule, method in _rules(app, SIGNED_IN):
        if "story_id" not in rule.arguments:
            continue
        path = _path(rule.rule, ids)
        response = client.open(path, method=method, data={"csrf_token": token, "version": "1"})
        assert response.status_code == 404, (method, path, response.status_code)


public_paths = sitekit.public_paths


def test_public_routes_answer_anonymous_readers(
    client: FlaskClient, app: Flask, public_paths: dict[str, tuple[str, int]]
) -> None:
    """Each public page, asked for something that exists, answers: a 404 here is a bug."""
    public_gets = {rule.endpoint for rule, method in _rules(app, PUBLIC) if method == "GET"}
    assert public_gets == set(public_paths), "give every public GET route a URL and a status"
    answers = {}
    for endpoint, (path, _) in public_paths.items():
        with client.get(path) as response:  # closes the static file
            answers[endpoint] = response.status_code
    assert answers == {endpoint: status for endpoint, (_, status) in public_paths.items()}
