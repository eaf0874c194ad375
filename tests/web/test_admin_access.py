"""Every admin URL, present and future, is for admins only; CSRF on every POST; GETs change nothing.

The routes are enumerated from the app's url_map, so a new admin route is covered without
touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from editorial.models import Desk, Person
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import snapshot


def admin_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert len(rules) >= 10, "the admin routes vanished?"
    return rules


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def build(app: Flask, rule: Rule, person: Person | None = None, desk: Desk | None = None) -> str:
    """A URL for the rule, pointing at a real person and desk where it takes ids."""
    values: dict[str, object] = {}
    for name in rule.arguments:
        if name == "person_id":
            values[name] = person.id if person else 1
        elif name == "desk_id":
            values[name] = desk.id if desk else 1
        else:
            values[name] = 1
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


@pytest.fixture
def newsroom(make: Factory) -> dict[str, object]:
    desk = make.desk("City")
    return {
        "desk": desk,
        "admin": make.admin(),
        "other_admin": make.admin(),
        "editor": make.editor(desk),
        "reporter": make.reporter(desk),
    }


def form_for(newsroom: dict) -> dict[str, object]:
    """Plausible data for any admin form: if a check were missing, the POST would act."""
    desk = newsroom["desk"]
    return {
        "name": "Changed Name",
        "email": "new.person@example.test",
        "byline": "Staff Reporter",
        "roles": ["admin", "desk_editor"],
        "desks": [str(desk.id)],
        "slug": "new-desk",
        "tagline": "Changed tagline",
        "allow_self_approval": "y",
        "submit": "1",
    }


def every_admin_request(
    app: Flask, client: FlaskClient, newsroom: dict, token: str
) -> Iterator[tuple[str, TestResponse]]:
    """Each admin URL with each of its methods (a POST with a filled form): what was asked for,
    and the answer."""
    for rule in admin_rules(app):
        url = build(app, rule, newsroom["other_admin"], newsroom["desk"])
        for method in methods(rule):
            data = {**form_for(newsroom), "csrf_token": token} if method == "POST" else None
            yield f"{method} {url}", client.open(url, method=method, data=data)


@pytest.mark.parametrize("who", ["reporter", "editor"])
def test_non_admins_get_403_on_every_admin_url(
    app: Flask, client: FlaskClient, newsroom: dict, who: str
) -> None:
    login(client, newsroom[who])
    token = csrf_token(client, "/account")
    before = snapshot()
    for request, response in every_admin_request(app, client, newsroom, token):
        assert response.status_code == 403, f"{who} {request}"
    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in_on_every_admin_url(
    app: Flask, client: FlaskClient, newsroom: dict
) -> None:
    token = csrf_token(client, "/login")
    before = snapshot()
    for request, response in every_admin_request(app, client, newsroom, token):
        assert response.status_code == 302, f"anonymous {request}"
        assert "/login" in response.headers["Location"]
    assert snapshot() == before


def test_admin_reaches_every_admin_get(app: Flask, client: FlaskClient, newsroom: dict) -> None:
    login(client, newsroom["admin"])
    for rule in admin_rules(app):
        if "GET" in methods(rule):
            url = build(app, rule, newsroom["other_admin"], newsroom["desk"])
            assert client.get(url).status_code == 200, url


def test_admin_gets_change_nothing(app: Flask, client: FlaskClient, newsroom: dict) -> None:
    """A GET with form-like query strings on every admin page leaves every table as it was."""
    login(client, newsroom["admin"])
    before = snapshot()
    query = {k: v for k, v in form_for(newsroom).items() if isinstance(v, str)}
    for rule in admin_rules(app):
        if "GET" in methods(rule):
            url = build(app, rule, newsroom["other_admin"], newsroom["desk"])
            assert client.get(url, query_string=query).status_code == 200, url
    assert snapshot() == before


def test_admin_posts_without_csrf_are_refused(
    app: Flask, client: FlaskClient, newsroom: dict
) -> None:
    login(client, newsroom["admin"])
    before = snapshot()
    posts = 0
    for rule in admin_rules(app):
        if "POST" in methods(rule):
            url = build(app, rule, newsroom["other_admin"], newsroom["desk"])
            response = client.post(url, data=form_for(newsroom))
            assert response.status_code == 400, url
            posts += 1
    assert posts >= 6
    assert snapshot() == before


def test_admin_post_with_another_sessions_token_is_refused(
    app: Flask, client: FlaskClient, newsroom: dict
) -> None:
    other = app.test_client()
    login(other, newsroom["other_admin"])
    foreign = csrf_token(other, "/admin/settings")
    login(client, newsroom["admin"])
    before = snapshot()
    response = client.post("/admin/settings", data={"tagline": "Hijacked", "csrf_token": foreign})
    assert response.status_code == 400
    assert snapshot() == before


def test_admin_link_shown_only_to_admins(client: FlaskClient, newsroom: dict) -> None:
    login(client, newsroom["editor"])
    assert "/admin/" not in client.get("/account").get_data(as_text=True)
