"""Jobs queued by name (editorial.jobs): the message, its request id, and a broker that is down."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from flask import Flask

from editorial import jobs
from editorial.celery_app import MAIL_QUEUE
from editorial.jobs import Job, enqueue
from tests.conftest import make_app

CLOSED_REDIS = "redis://127.0.0.1:6399/5"  # nothing listens there


def queued_app(tmp_path: Path, request: pytest.FixtureRequest, broker_url: str) -> Flask:
    return make_app(
        tmp_path,
        "sqlite",
        request,
        CELERY={"broker_url": broker_url, "task_always_eager": False, "task_ignore_result": True},
    )


@pytest.fixture
def memory_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = queued_app(tmp_path, request, "memory://")
    with app.app_context():
        yield app


@pytest.fixture
def down_app(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setattr(jobs, "_broker_down_until", 0.0)  # and restored after the test
    app = queued_app(tmp_path, request, CLOSED_REDIS)
    with app.app_context():
        yield app


def test_a_job_goes_to_the_broker_by_name_with_the_request_id(memory_app: Flask) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-abcdef12")
    try:
        assert enqueue(Job.SEND_ACCOUNT_EMAIL, args=(7, "invite"))
    finally:
        structlog.contextvars.clear_contextvars()
    celery = memory_app.extensions["celery"]
    with celery.connection_for_read() as connection:
        message = connection.default_channel.basic_get(
            MAIL_QUEUE
        )  # e-mail jobs are routed to their own queue
    assert message.headers["task"] == "editorial.tasks.send_account_email"
    assert message.headers["request_id"] == "req-abcdef12"
    assert message.decode()[0] == [7, "invite"]


def test_a_broker_that_failed_once_is_left_alone(
    down_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="editorial.jobs")
    assert not enqueue(Job.DELIVER_NOTIFICATION_EMAIL, args=(1,))
    assert not enqueue(Job.DELIVER_NOTIFICATION_EMAIL, args=(2,))
    messages = [r.getMessage() for r in caplog.records if r.name == "editorial.jobs"]
    assert messages == [
        "could not queue editorial.tasks.deliver_notification_email(1,)",
        "broker marked down; not queueing editorial.tasks.deliver_notification_email(2,)",
    ]
