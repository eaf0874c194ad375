"""Someone on no desk (an admin, typically) is not led into an editor that cannot file: the
newsroom offers no New story and says what to do instead (issue 13)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Factory, login
from tests.web.conftest import Newsroom


def test_admin_on_no_desk_has_a_way_forward(client: FlaskClient, make: Factory) -> None:
    admin = make.admin()
    login(client, admin)
    html = client.get("/newsroom/").get_data(as_text=True)
    assert "/newsroom/stories/new" not in html  # neither the nav nor the page leads there
    assert "You are on no desk" in html
    assert f'href="/admin/staff/{admin.id}"' in html and 'href="/admin/"' in html


def test_reporter_on_no_desk_is_told_whom_to_ask(client: FlaskClient, make: Factory) -> None:
    login(client, make.reporter())
    html = client.get("/newsroom/").get_data(as_text=True)
    assert "/newsroom/stories/new" not in html
    assert "Ask an administrator to add you to a desk." in html


def test_staff_on_a_desk_still_get_new_story(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    html = client.get("/newsroom/").get_data(as_text=True)
    assert html.count('href="/newsroom/stories/new"') == 4 and "You are on no desk" not in html
