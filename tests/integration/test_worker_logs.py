"""Production logs end to end: a request schedules a story, the worker publishes it on time,
and the worker's lines are JSON carrying the id of the request that queued the task."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.models import Story
from editorial.timeutil import utcnow, zone
from editorial.workflow import StoryState
from tests.conftest import Factory, login
from tests.integration.conftest import rows, wait_until
from tests.web.conftest import post_form

pytestmark = [pytest.mark.services, pytest.mark.slow]
REQUEST_ID = "req-schedule-0001"


def test_the_worker_logs_json_with_the_request_id_of_its_task(
    live_app: Flask, make: Factory, celery_procs, smtp
) -> None:
    smtp.start()
    desk = make.desk()
    editor = make.editor(desk)
    story = make.story(make.reporter(desk), desk, StoryState.APPROVED, editor=editor)
    client = live_app.test_client()
    login(client, editor)
    at = (utcnow() + timedelta(seconds=3)).astimezone(zone(live_app.config["EDITORIAL_TIMEZONE"]))
    response = post_form(
        client,
        f"/newsroom/stories/{story.id}/actions/schedule",
        {"version": str(story.version), "publish_at": at.strftime("%Y-%m-%dT%H:%M:%S")},
        headers={"X-Request-ID": REQUEST_ID},
    )
    assert response.status_code == 302 and response.headers["X-Request-ID"] == REQUEST_ID

    # No beat: only the ETA task this request queued can publish the story.
    worker = celery_procs.worker(env={"LOG_FORMAT": "json", "EDITORIAL_ENV": "production"})
    published = select(Story.id).where(Story.id == story.id, Story.state == StoryState.PUBLISHED)
    wait_until(lambda: rows(published), 30, "the scheduled story to be published")
    worker.wait_for_log("published 1 scheduled stories")
    lines = [json.loads(line) for line in worker.text().splitlines() if line.startswith("{")]
    assert lines and all("event" in line and "level" in line for line in lines)
    ours = [line for line in lines if line.get("request_id") == REQUEST_ID]
    assert any("published 1 scheduled stories" in line["event"] for line in ours), lines
    assert all(line["task"] == "editorial.tasks.publish_due_stories" for line in ours)
    # The workflow event itself, with its facts as keys of their own (the system acted).
    events = [line for line in ours if line.get("action") == "story.published.scheduled"]
    assert len(events) == 1, lines
    assert events[0]["story_id"] == story.id and events[0]["actor_id"] is None
    assert events[0]["from_state"] == "scheduled" and events[0]["to_state"] == "published"
