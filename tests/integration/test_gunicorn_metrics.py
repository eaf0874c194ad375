"""/metrics under `gunicorn -w 2` as production runs it (gunicorn.conf.py, a shared
PROMETHEUS_MULTIPROC_DIR): every scrape, whichever worker answers it, reports the requests
of every worker, also of workers that have died since."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "metrics-token-for-tests-0123456789"
REQUESTS = 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def healthz_count(port: int) -> float:
    """The request-latency histogram's count for /healthz, as one scrape reports it."""
    _, text = get(port, "/metrics", Authorization=f"Bearer {TOKEN}")
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "editorial_http_request_duration_seconds_count"
        and sample.labels.get("route") == "/healthz"
    )


def workers(master: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    env = {
        "PATH": os.pathsep.join([str(BIN), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "EDITORIAL_ENV": "production",
        "SECRET_KEY": "a-secret-for-the-gunicorn-metrics-test",
        "EDITORIAL_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'editorial.sqlite3'}",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "FLASK_APP": "wsgi",
    }
    (tmp_path / "prometheus").mkdir()
    migrated = subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr.decode()[-2000:]
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    # The compose file's command: gunicorn reads gunicorn.conf.py from the working directory.
    master = subprocess.Popen(
        [str(BIN / "gunicorn"), "wsgi:app", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def answering() -> bool:
        try:
            return get(port, "/healthz")[0] == 200 and len(workers(master)) == 2
        except OSError:
            return False

    try:
        wait_for(answering, 60, "gunicorn to answer")
        yield master, port
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(30)
        except subprocess.TimeoutExpired:
            master.kill()
        log.close()


def test_every_scrape_counts_every_workers_requests(
    gunicorn: tuple[subprocess.Popen, int],
) -> None:
    master, port = gunicorn
    before = healthz_count(port)  # the start-up probes
    for _ in range(REQUESTS):
        assert get(port, "/healthz")[0] == 200
    expected = before + REQUESTS
    # A handful of scrapes land on both workers; each reports the same total.
    assert {healthz_count(port) for _ in range(6)} == {expected}

    # Both workers die and are replaced: the new ones never served /healthz, yet report it all.
    dead = workers(master)
    for pid in dead:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(workers(master) - dead) == 2, 30, "two new workers")
    wait_for(lambda: _answers(port), 30, "the new workers to answer")
    assert {healthz_count(port) for _ in range(4)} == {expected}


def _answers(port: int) -> bool:
    try:
        return get(port, "/robots.txt")[0] == 200
    except OSError:
        return False
