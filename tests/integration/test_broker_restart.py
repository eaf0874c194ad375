"""Surviving the broker (issue 8): a real Redis server SIGKILLed and restarted empty under real
worker processes started with the README's bare command line, and a stand-alone beat.

The machine's shared Redis is never touched: each test starts its own throwaway
`redis-server` (no persistence) on a free port, kills it and restarts it on the same port.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from editorial.jobs import Job
from editorial.models import Story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.integration.conftest import ROOT, rows, wait_until
from tests.integration.test_celery_publishing import newsroom as newsroom  # the fixture

pytestmark = [pytest.mark.services, pytest.mark.slow]


class ThrowawayRedis:
    """A redis-server of our own: started, SIGKILLed and restarted empty on one port."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, 10, "redis-server to accept connections")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


def test_workers_and_beat_ride_out_a_broker_restart(
    newsroom, make, celery_procs, redis_server: ThrowawayRedis
) -> None:
    """Two workers (peers: gossip and mingle would talk) and a beat: Redis is SIGKILLed and
    comes back empty. Every process is still alive, a story due during the outage is
    published, and beat said once that the broker was away and once that it was back."""
    env = {"REDIS_URL": redis_server.url}
    workers = [celery_procs.worker(bare=True, env=env) for _ in range(2)]
    beat = celery_procs.beat(env=env)
    story = make.story(
        newsroom.reporter, newsroom.desk, StoryState.APPROVED, editor=newsroom.editor
    )

    redis_server.kill()
    for worker in workers:
        worker.wait_for_log("Connection to broker lost")
    # Scheduled while the broker is down: due before it returns, published by the sweep after.
    transition_story(
        story, Action.SCHEDULE, actor=newsroom.editor, publish_at=utcnow() + timedelta(seconds=1)
    )
    beat.wait_for_log("cannot reach the broker")
    redis_server.start()  # empty: no persistence

    wait_until(
        lambda: rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.PUBLISHED,
        30,
        "the story due during the outage to be published",
    )
    beat.wait_for_log("the broker is back")
    for process in [*workers, beat]:
        assert process.popen.poll() is None, f"{process.name} exited:\n{process.text()}"
        assert "Unrecoverable error" not in process.text()
    beat_log = beat.text()
    assert "Traceback" not in beat_log
    assert beat_log.count("cannot reach the broker") == 1
    assert beat_log.count("the broker is back") == 1


def test_worker_holding_wake_ups_rides_out_a_broker_restart(
    newsroom, make, celery_procs, redis_server: ThrowawayRedis
) -> None:
    """A worker holding unacked messages (the ETA wake-up of a story due later) when Redis
    dies: closing the lost connection tried to restore them through a dropped transport and
    the worker exited ("Unrecoverable error: AttributeError ... 'hostname'"). It must stay up,
    and the story (its wake-up gone with Redis's data) is published by the sweep."""
    import redis

    env = {"REDIS_URL": redis_server.url}
    worker = celery_procs.worker(bare=True, env=env)
    celery_procs.beat(env=env)
    story = make.story(
        newsroom.reporter, newsroom.desk, StoryState.APPROVED, editor=newsroom.editor
    )
    client = redis.Redis.from_url(redis_server.url)
    unacked = celery_procs.env["BROKER_KEY_PREFIX"] + "unacked"
    transition_story(
        story, Action.SCHEDULE, actor=newsroom.editor, publish_at=utcnow() + timedelta(seconds=20)
    )
    # This process queues its wake-ups on the suite's Redis, not the throwaway one; the
    # upcoming step, asked for here rather than at beat's next minute, queues it there.
    _send_task(celery_procs, env, Job.QUEUE_UPCOMING)
    wait_until(lambda: client.hlen(unacked), 18, "the worker to hold the wake-up")
    client.close()

    redis_server.kill()
    worker.wait_for_log("Connection to broker lost")
    redis_server.start()
    wait_until(
        lambda: rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.PUBLISHED,
        30,
        "the story to be published by the sweep",
    )
    assert worker.popen.poll() is None, worker.text()
    assert "Unrecoverable error" not in worker.text()


def _send_task(celery_procs, env: dict[str, str], job: Job) -> None:
    """Queue a task by name on the throwaway broker with Celery's own command line."""
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "wsgi.celery_app", "call", job.value],
        cwd=ROOT, env={**celery_procs.env, **env}, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
