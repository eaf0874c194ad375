"""/healthz against the real broker and a real scheduler: 200, and the sweep's heartbeat."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_healthy_with_redis_and_a_running_sweep(live_app: Flask, celery_procs) -> None:
    client = live_app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["broker"] == "ok"
    assert response.get_json()["sweep"] == "never"

    celery_procs.worker(beat=True)
    report = wait_until(
        lambda: (r := client.get("/healthz").get_json())["sweep"] == "ok" and r,
        10,
        "the first sweep",
    )
    assert report["status"] == report["database"] == report["broker"] == "ok"
    assert report["last_sweep_age_seconds"] < 5
