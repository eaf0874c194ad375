"""The comment box's @ autocomplete endpoint (issue 13): signed-in staff only, a prefix of a
colleague's handle or name, a few results, the handle and name only (never an address), and
junk queries answered calmly on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from editorial.extensions import db
from tests.conftest import Factory, login
from tests.web.conftest import Newsroom

PATH = "/newsroom/people/mentions"


def suggested(client: FlaskClient, query: str) -> list[dict[str, str]]:
    response = client.get(PATH, query_string={"q": query})
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()["people"]


@pytest.fixture
def both(any_app: Flask) -> Iterator[FlaskClient]:
    yield any_app.test_client()


def test_signed_out_gets_nothing(both: FlaskClient, nr: Newsroom) -> None:
    page = both.get(PATH, query_string={"q": "ra"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    answer = both.get(PATH, query_string={"q": "ra"}, headers={"Accept": "application/json"})
    assert answer.status_code == 401 and b"Rahim" not in answer.get_data()


def test_prefix_of_handle_or_name_never_an_address(client: FlaskClient, nr: Newsroom) -> None:
    login(client, nr.reporter)
    rahim = {"handle": "rahim.uddin", "name": "Rahim Uddin"}
    assert suggested(client, "rah") == [rahim]  # the handle
    assert suggested(client, "@RAHIM.U") == [rahim]  # as typed after the @, any case
    assert suggested(client, "udd") == [rahim]  # a later word of the name
    assert suggested(client, "ahim") == []  # a prefix, not anywhere inside
    body = client.get(PATH, query_string={"q": "r"}).get_data(as_text=True)
    assert "@" not in body and "example.test" not in body
    assert suggested(client, "shirin") == []  # the writer is not offered to themselves


def test_inactive_people_are_not_offered(client: FlaskClient, nr: Newsroom) -> None:
    nr.colleague.is_active = False
    db.session.commit()
    login(client, nr.reporter)
    assert suggested(client, "rahim") == []


def test_a_few_results_at_most(client: FlaskClient, nr: Newsroom, make: Factory) -> None:
    for n in range(12):
        make.reporter(nr.desk, name=f"Zahid {n:02d}", email=f"zahid{n:02d}@example.test")
    login(client, nr.reporter)
    found = suggested(client, "zah")
    assert [p["handle"] for p in found] == [f"zahid{n:02d}" for n in range(8)]


JUNK = [
    "",
    "@",
    "%",
    "_",
    "%%",
    "a@b",
    "@example.test",
    "x" * 65,
    "' OR 1=1 --",
    "\\",
    "\x00",
    "র" * 64,
    " ",
]


@pytest.mark.parametrize("query", JUNK)
def test_junk_queries_find_nobody(both: FlaskClient, nr: Newsroom, query: str) -> None:
    login(both, nr.reporter)
    assert suggested(both, query) == []


def test_repeated_and_odd_parameters(both: FlaskClient, nr: Newsroom) -> None:
    login(both, nr.reporter)
    assert both.get(f"{PATH}?q=rah&q=%").get_json()["people"][0]["handle"] == "rahim.uddin"
    assert both.get(PATH).get_json() == {"people": []}
    assert both.post(PATH, data={"q": "rah"}).status_code == 405
