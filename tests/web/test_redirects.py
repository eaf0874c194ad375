"""TRUST 25: after sign-in, `next` leads only to this site's own paths, whatever it holds."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask

from tests.conftest import Factory, csrf_token, login

PASSWORD = "correct horse battery"
TRICKS = [
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u0085/evil.example",
    "http://evil.example/",
    "https://evil.example",
    "HTTPS://evil.example",
    "ftp://evil.example",
    "http:evil.example",
    "http:/evil.example",
    "http:\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\u2215evil.example",
    "/\uff0fevil.example",
    "\u2215\u2215evil.example",
    "\uff0f\uff0fevil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "https://newsroom@evil.example",
    "//newsroom@evil.example",
    "@evil.example",
    "evil.example",
    "/newsroom/\r\nSet-Cookie: x=1",
    "/" + "a" * 5000,
    "//" + "a" * 100_000,
]


def _lands_here(location: str) -> bool:
    """Follow the Location the way a browser would and say whether it stays on this host."""
    repaired = "".join(c for c in location if c not in "\t\n\r").strip().replace("\\", "/")
    absolute = urljoin("http://localhost/login", repaired)
    parts = urlsplit(absolute)
    return parts.scheme == "http" and parts.netloc == "localhost"


@pytest.mark.parametrize("target", TRICKS, ids=range(len(TRICKS)))
def test_next_never_leaves_the_site_after_sign_in(
    any_app: Flask, make: Factory, target: str
) -> None:
    person = make.reporter(make.desk(), password=PASSWORD)
    client = any_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert _lands_here(response.headers["Location"]), response.headers["Location"]
    # Signed in already: the GET redirects at once, by the same rule.
    again = client.get("/login?next=" + quote(target, safe=""))
    assert again.status_code == 302
    assert _lands_here(again.headers["Location"]), again.headers["Location"]


@pytest.mark.parametrize("target", TRICKS, ids=range(len(TRICKS)))
def test_next_with_tricks_never_fails_for_anonymous(any_app: Flask, target: str) -> None:
    response = any_app.test_client().get("/login?next=" + quote(target, safe=""))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/newsroom/queue", "/newsroom/queue"),
        (
            "/newsroom/search?q=ঢাকা&desk=2",
            "/newsroom/search?q=%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE&desk=2",
        ),
        ("/newsroom/stories/7#comments", "/newsroom/stories/7#comments"),
    ],
)
def test_local_paths_are_kept(any_app: Flask, make: Factory, target: str, expected: str) -> None:
    client = any_app.test_client()
    login(client, make.reporter(make.desk()))
    response = client.get("/login?next=" + quote(target, safe=""))
    assert response.headers["Location"] == expected
