"""Request ids on every line of a request (and in the response), secrets never logged."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from flask import Flask

from editorial.logs import formatter
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.web.conftest import post_form

log = logging.getLogger("tests.logs")


def test_a_sane_incoming_request_id_is_kept_and_returned(app: Flask) -> None:
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    assert response.headers["X-Request-ID"] == "edge-1234abcd"


def test_an_insane_request_id_is_replaced(app: Flask) -> None:
    for bad in ("x", "a b c d e f g h", "<script>alert(1)</script>", "z" * 500):
        response = app.test_client().get("/healthz", headers={"X-Request-ID": bad})
        assert response.headers["X-Request-ID"] != bad
        assert len(response.headers["X-Request-ID"]) == 32


@contextmanager
def json_lines() -> Iterator[io.StringIO]:
    """The root logger's lines at INFO, rendered as production renders them to stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_lines_of_a_request_are_json_with_its_request_id_and_no_secrets(app: Flask) -> None:
    app.add_url_rule("/_log-test", "log_test", lambda: (log.warning(
        "connecting to %s", "postgresql://u:hunter2@db/x"
    ), "ok")[1])  # fmt: skip
    with json_lines() as stream:
        response = app.test_client().get("/_log-test", headers={"X-Request-ID": "req-abcdef12"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    ours = [line for line in lines if line.get("logger") == "tests.logs"]
    assert response.status_code == 200 and ours
    assert ours[0]["request_id"] == "req-abcdef12"
    assert "hunter2" not in stream.getvalue()


def test_a_task_queued_by_a_request_carries_its_request_id() -> None:
    from celery import Celery

    from editorial.logs import _bind_task_context

    queued: list[dict] = []
    celery_app = Celery("t", broker="memory://")

    @celery_app.task(name="t.echo")
    def echo() -> None:
        queued.append(dict(structlog.contextvars.get_contextvars()))

    structlog.contextvars.bind_contextvars(request_id="req-abcdef12")
    try:
        with celery_app.connection_for_write() as connection:
            echo.apply_async(connection=connection)
            message = connection.default_channel.basic_get("celery")
    finally:
        structlog.contextvars.clear_contextvars()
    assert message.headers["request_id"] == "req-abcdef12"
    echo.push_request(request_id="req-abcdef12")
    try:
        _bind_task_context(task=echo, task_id="t-1")
        assert structlog.contextvars.get_contextvars()["request_id"] == "req-abcdef12"
    finally:
        echo.pop_request()
        structlog.contextvars.clear_contextvars()


def test_a_workflow_event_logs_its_story_actor_and_action_as_keys(
    any_app: Flask, make: Factory
) -> None:
    desk = make.desk()
    reporter = make.reporter(desk)
    story = make.story(reporter, desk, StoryState.DRAFT)
    client = any_app.test_client()
    login(client, reporter)
    with json_lines() as stream:
        response = post_form(
            client,
            f"/newsroom/stories/{story.id}/actions/submit",
            {"version": str(story.version)},
            headers={"X-Request-ID": "req-submit-0001"},
        )
    assert response.status_code == 302
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [line for line in lines if line.get("action") == "story.submitted"]
    assert len(events) == 1, lines
    event = events[0]
    assert event["story_id"] == story.id and event["actor_id"] == reporter.id
    assert event["from_state"] == "draft" and event["to_state"] == "submitted"
    assert event["request_id"] == "req-submit-0001"
    assert story.headline not in stream.getvalue()  # the facts, never the text
