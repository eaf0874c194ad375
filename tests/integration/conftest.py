"""Real parts for the Celery tests: worker and beat processes, Redis, an aiosmtpd server.

The worker runs as `python -m celery -A wsgi.celery_app worker --pool=threads` (CELERY.md: the
prefork pool hangs on a group SIGTERM), configured through the environment exactly as in
production, against the test PostgreSQL database and Redis db 5 (flushed per test, never
FLUSHALL). Each process gets its own session so SIGKILL takes an embedded beat child with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from flask import Flask

from editorial.celery_app import TASK_QUEUES
from editorial.config import _embedded_broker
from editorial.extensions import db
from tests.conftest import REDIS_URL, make_app, need_service
from tests.integration.backupkit import empty_app  # noqa: F401  (a fixture of the backup tests)
from tests.integration.deskkit import desk, editor, reporter  # noqa: F401  (scheduling tests)

ROOT = Path(__file__).resolve().parents[2]
# Ours alone (other suites use other numbers); TEST_REDIS_DB lets parallel runs on one machine
# each take their own.
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "5"))
SMTP_PORTS = range(5650, 5750)
CLOSED_REDIS = "redis://127.0.0.1:6399/5"  # nothing listens there: "Redis is down"
BROKER_PREFIX = f"editorial-test-{os.getpid()}:"
READY_TIMEOUT = 40.0


def redis_url(db_number: int = REDIS_DB) -> str:
    parsed = urlparse(REDIS_URL)
    return f"redis://{parsed.hostname}:{parsed.port or 6379}/{db_number}"


def live_celery_config(broker_url: str) -> dict[str, Any]:
    """The test process's Celery config: a real broker, nothing eager."""
    return {
        "broker_url": broker_url,
        "task_always_eager": False,
        "task_ignore_result": True,
        "timezone": "UTC",
        "enable_utc": True,
    }


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05
) -> Any:
    """Poll `predicate` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- Celery processes -------------------------------------------------------------------------


@dataclass
class CeleryProcess:
    """One worker or beat process and its log file."""

    name: str
    popen: subprocess.Popen
    log: Path
    beat: bool = False
    consumes: bool = True

    @property
    def pid(self) -> int:
        return self.popen.pid

    def ready(self) -> CeleryProcess:
        """Wait until the worker consumes and its beat (if any) has started."""
        if self.consumes:
            self.wait_for_log(" ready.")
        if self.beat:
            self.wait_for_log("beat: Starting...")
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_log(self, needle: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited ({self.popen.returncode}):\n{self.text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} not ready after {timeout:.0f} s:\n{self.text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and an embedded beat child)."""
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (warm shutdown), then SIGKILL after `timeout`."""
        if self.popen.poll() is not None:
            self._signal_group(signal.SIGKILL)  # reap a leftover beat child, if any
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)  # the process leads its own session


@dataclass
class CeleryProcesses:
    """Starts real `celery worker`/`beat` processes and stops every one of them afterwards."""

    folder: Path
    env: dict[str, str]
    processes: list[CeleryProcess] = field(default_factory=list)

    def worker(
        self,
        *,
        beat: bool = False,
        app: str = "wsgi.celery_app",
        concurrency: int = 4,
        env: dict[str, str] | None = None,
        wait: bool = True,
        bare: bool = False,
        queues: str = "",
    ) -> CeleryProcess:
        """A started worker (with an embedded beat if asked), ready to take tasks unless
        `wait` is False (then call .ready() before relying on it). `bare` runs it with the
        README's command line, without the --without-* flags the other tests add for speed.
        It consumes every queue unless `queues` names some (`-Q`, as the Procfile does)."""
        n = len(self.processes) + 1
        args = [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            f"--hostname=test{n}-{os.getpid()}@%h",
        ]
        if queues:
            args += ["-Q", queues]
        if not bare:
            args += ["--without-mingle", "--without-gossip"]
        if beat:
            args += ["--beat", f"--schedule={self.folder / f'beat-{n}'}"]
        process = self._start(f"worker{n}", app, args, env, beat=beat)
        if wait:
            process.ready()
        return process

    def beat(self, *, env: dict[str, str] | None = None) -> CeleryProcess:
        """A started stand-alone beat process with its own schedule file."""
        n = len(self.processes) + 1
        args = ["beat", "--loglevel=INFO", f"--schedule={self.folder / f'beat-{n}'}"]
        process = self._start(f"beat{n}", "wsgi.celery_app", args, env, beat=True)
        process.ready()
        return process

    def _start(
        self, name: str, app: str, args: list[str], env: dict[str, str] | None, *, beat: bool
    ) -> CeleryProcess:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", app, *args],
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = CeleryProcess(name, popen, log, beat=beat, consumes=args[0] == "worker")
        self.processes.append(process)
        return process

    def kill_all(self) -> None:
        """SIGKILL: nothing of a finished test needs a warm shutdown (its Redis db is flushed),
        and each warm shutdown would cost about two seconds."""
        for process in self.processes:
            process.kill()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} (pid {p.pid}) =====\n{p.text()}" for p in self.processes)


def process_env(instance: Path, database_url: str, broker: str | None, **extra: str) -> dict:
    """The environment of a worker: production configuration, test services."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "MAIL_SERVER", "MAIL_PORT", "BROKER_KEY_PREFIX"}
    }
    env |= {
        "EDITORIAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "EDITORIAL_INSTANCE": str(instance),
        "PUBLISH_SWEEP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if broker:
        env["REDIS_URL"] = broker
    return env | extra


class Broker:
    """This test run's keys in Redis db 5.

    Every key carries a prefix unique to the run (BROKER_KEY_PREFIX), so two test runs at once
    (a developer's and CI's) never take each other's tasks, and emptying the broker deletes
    only our keys (no FLUSHDB, never FLUSHALL).
    """

    def __init__(self) -> None:
        import redis

        self.prefix = BROKER_PREFIX
        self.client = redis.Redis.from_url(redis_url())

    def llen(self, key: str) -> int:
        return self.client.llen(self.prefix + key)

    def queued(self) -> int:
        """Messages waiting in every Celery queue (publishing, mail, default)."""
        return sum(self.llen(queue.name) for queue in TASK_QUEUES)

    def lrange(self, key: str, start: int, end: int) -> list[bytes]:
        return self.client.lrange(self.prefix + key, start, end)

    def hlen(self, key: str) -> int:
        return self.client.hlen(self.prefix + key)

    def hvals(self, key: str) -> list[bytes]:
        return self.client.hvals(self.prefix + key)

    def wipe(self) -> None:
        """Delete every key of this run: what a Redis restart without persistence does."""
        for key in self.client.scan_iter(match=f"{self.prefix}*", count=1000):
            self.client.delete(key)


@pytest.fixture
def broker() -> Iterator[Broker]:
    """Redis db 5 (our keys only), emptied before and after the test."""
    need_service("Redis", REDIS_URL)
    broker = Broker()
    broker.wipe()
    yield broker
    broker.wipe()
    broker.client.close()


@pytest.fixture
def live_app(
    tmp_path: Path, request: pytest.FixtureRequest, broker: Any, smtp: SmtpServer
) -> Iterator[Flask]:
    """The app on PostgreSQL whose Celery sends real messages to Redis db 5."""
    yield from live_app_with(tmp_path, request, smtp)


def live_app_with(
    tmp_path: Path, request: pytest.FixtureRequest, smtp: SmtpServer, **config: Any
) -> Iterator[Flask]:
    """`live_app` with more settings (a fixture's body: yields the app in its context)."""
    app = make_app(
        tmp_path,
        "postgresql",
        request,
        CELERY=live_celery_config(redis_url()),
        BROKER_KEY_PREFIX=BROKER_PREFIX,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        **config,
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def embedded_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app exactly as `make run` configures it, but for the tests' SQLite copy."""
    app = make_app(
        tmp_path, "sqlite", request, CELERY=live_celery_config(_embedded_broker(tmp_path))
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def celery_procs(
    tmp_path: Path, pg_database: str, broker: Any, smtp: SmtpServer
) -> Iterator[CeleryProcesses]:
    """Start workers/beats on the test database and Redis db 5; all killed at the end."""
    folder = tmp_path / "celery"
    folder.mkdir()
    env = process_env(
        folder,
        pg_database,
        redis_url(),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        BROKER_KEY_PREFIX=BROKER_PREFIX,
    )
    procs = CeleryProcesses(folder, env)
    yield procs
    procs.kill_all()
    print(procs.logs())  # pytest shows it only when the test failed


# --- SMTP ------------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps messages, and can answer 4xx/5xx to the first tries, or
    hold its answer to DATA or QUIT (a stuck server) while the command is in `hold`."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.attempts = 0
        self.refuse_next = 0  # answer the next N RCPTs with 421 (try again later)
        self.reject_all = False  # answer every RCPT with 550 (no such mailbox)
        self.hold: set[str] = set()  # "DATA", "QUIT": left unanswered while in the set
        self.holding = 0  # commands being held now

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.attempts += 1
        if self.reject_all:
            return "550 5.1.1 No such mailbox"
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "421 4.3.2 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        await self._held("DATA")
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope) -> str:
        await self._held("QUIT")
        return "221 Bye"

    async def _held(self, command: str) -> None:
        """Answer only once `command` leaves `hold`: the client waits (or gives up, or dies)."""
        if command not in self.hold:
            return
        self.holding += 1
        try:
            while command in self.hold:
                await asyncio.sleep(0.05)
        finally:
            self.holding -= 1

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """aiosmtpd on a port of ours (5650-5749), started and stopped on demand.

    Until it starts, the port is held by a socket that is bound but not listening: connections
    are refused (the outage the tests play), and no other test run can take the port.
    """

    def __init__(self) -> None:
        self.inbox = Inbox()
        self._reservation = _reserve_port(SMTP_PORTS)
        self.port = self._reservation.getsockname()[1]
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._reservation.close()
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        self.inbox.hold.clear()
        self._reservation.close()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _reserve_port(ports: range) -> socket.socket:
    for port in ports:
        reservation = socket.socket()
        try:
            reservation.bind(("127.0.0.1", port))
        except OSError:
            reservation.close()
            continue
        return reservation
    pytest.fail(f"no free SMTP port in {ports.start}-{ports.stop - 1}")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server, NOT started: tests start it (late, to play an outage) with .start()."""
    server = SmtpServer()
    yield server
    server.stop()


# --- reading the database while the worker writes it -------------------------------------------


def rows(statement: sa.Executable) -> list[sa.Row]:
    """Fresh rows (no identity map, a new transaction each time)."""
    db.session.rollback()
    result = db.session.execute(statement).all()
    db.session.rollback()
    return result
