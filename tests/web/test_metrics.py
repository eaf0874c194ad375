"""/metrics: 404 without the right bearer token; latency labelled by route rule, not path."""

from __future__ import annotations

from flask import Flask

TOKEN = "metrics-token-for-tests-0123456789"


def test_metrics_is_404_without_or_with_a_wrong_token(any_app: Flask) -> None:
    any_app.config["METRICS_TOKEN"] = TOKEN
    client = any_app.test_client()
    assert client.get("/metrics").status_code == 404
    for header in (f"Bearer {TOKEN}x", "Bearer ", TOKEN, f"Basic {TOKEN}", f"bearer{TOKEN}"):
        assert client.get("/metrics", headers={"Authorization": header}).status_code == 404


def test_metrics_is_always_404_when_no_token_is_configured(any_app: Flask) -> None:
    any_app.config["METRICS_TOKEN"] = None
    client = any_app.test_client()
    for header in ("Bearer ", "Bearer None", "Bearer"):
        assert client.get("/metrics", headers={"Authorization": header}).status_code == 404


def test_latency_is_labelled_by_route_rule_never_by_path(any_app: Flask) -> None:
    any_app.config["METRICS_TOKEN"] = TOKEN
    client = any_app.test_client()
    client.get("/tag/no-such-story-a")
    client.get("/tag/no-such-story-b")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "editorial_http_request_duration_seconds_bucket" in text
    assert "no-such-story" not in text
    assert 'route="/tag/<tag_slug>"' in text
