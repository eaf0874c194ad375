"""Benchmark the public site: 10,000 stories, gunicorn with 2 workers, cold render vs cached.

    .venv/bin/python bench/site.py                      # fresh SQLite instance in /tmp
    .venv/bin/python bench/site.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/site.py --stories 2000 --seconds 5 --driver python

Steps: `flask db upgrade` and `flask demo --stories N` into a fresh instance folder (or the given,
empty, PostgreSQL database); then, once with the page cache off (PUBLIC_CACHE_ENABLED=0, every
request renders) and once with it on, start `gunicorn -w 2` on 127.0.0.1:5640 and drive the
homepage and an article, each right after a baseline run (/robots.txt: the app's cheapest
answer, no database), with `wrk` if installed (else a Python keep-alive load generator), each
for a bounded time and request count. Prints requests/s and p50/p99 latency, and each figure
against its baseline. gunicorn is stopped by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST, PORT = "127.0.0.1", 5640
COUNT_STORIES = """
from sqlalchemy import func, select
from wsgi import app
from editorial.extensions import db
from editorial.models import Story
with app.app_context():
    print(db.session.scalar(select(func.count(Story.id))))
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def production_env(instance: Path) -> dict[str, str]:
    """The production app on SQLite in `instance`, no Redis, the page cache as configured."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "PUBLIC_CACHE_ENABLED"}
    } | {
        "EDITORIAL_ENV": "production",
        "EDITORIAL_INSTANCE": str(instance),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str], stories: int) -> None:
    run([str(BIN / "flask"), "db", "upgrade"], env)
    existing = run([str(BIN / "python"), "-c", COUNT_STORIES], env).strip().splitlines()[-1]
    if existing != "0":
        sys.exit(f"the database already holds {existing} stories; give the bench an empty one")
    started = time.perf_counter()
    run([str(BIN / "flask"), "demo", "--stories", str(stories)], env)
    print(
        f"seeded the demo newsroom and {stories:,} generated stories in "
        f"{time.perf_counter() - started:.1f} s"
    )


def get(path: str, port: int = PORT) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    """gunicorn with 2 sync workers, started and stopped by PID (`app` from `cwd`: ours,
    news_day.py's constant-bytes app, or wagtail.py's Wagtail site with its own `gunicorn`)."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        *,
        app: str = "wsgi:app",
        port: int = PORT,
        cwd: Path = ROOT,
        probe: str = "/robots.txt",
        gunicorn: Path = BIN / "gunicorn",
    ) -> None:
        self.env, self.log, self.app, self.port, self.cwd = env, log, app, port, cwd
        self.probe, self.gunicorn = probe, gunicorn
        self.process: subprocess.Popen | None = None

    def worker_pids(self) -> list[int]:
        """The workers' process ids (children of the gunicorn master)."""
        assert self.process is not None
        found = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in found.split()]

    def __enter__(self) -> Server:
        try:
            get(self.probe, self.port)
        except OSError:
            pass  # nothing listening: good
        else:
            sys.exit(f"something already listens on {HOST}:{self.port}; stop it first")
        self.process = subprocess.Popen(
            [
                str(self.gunicorn),
                "-w",
                "2",
                "-b",
                f"{HOST}:{self.port}",
                "--access-logfile",
                "/dev/null",
                self.app,
            ],
            cwd=self.cwd,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if get(self.probe, self.port)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        sys.exit(f"gunicorn did not start; see {self.log}")

    def __exit__(self, *_exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- load drivers ---------------------------------------------------------------------------------


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def drive_wrk(name: str, path: str, seconds: float, connections: int, port: int = PORT) -> Result:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds:.0f}s",
            "--latency",
            f"http://{HOST}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    percentile = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M))
    if "99" not in percentile:
        sys.exit(f"could not read wrk's output:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        print(f"  ({name}: wrk socket errors: {socket_errors.group(1)})")
    return Result(
        name,
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        _ms(percentile["50"]),
        _ms(percentile["99"]),
        requests,
        int(errors.group(1)) if errors else 0,
    )


def drive_python(
    name: str,
    path: str,
    seconds: float,
    connections: int,
    max_requests: int = 200_000,
    port: int = PORT,
) -> Result:
    """Threads with http.client keep-alive (reconnecting when gunicorn closes the socket)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        mine: list[float] = []
        while time.perf_counter() < stop_at and len(latencies) + len(mine) < max_requests:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection.close()
                continue
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(name, len(latencies) / elapsed, cuts[49], cuts[98], len(latencies), errors[0])


def measure(mode: str, env: dict[str, str], args: argparse.Namespace, log: Path) -> list[Result]:
    """Each target right after its own baseline run, so drift on a busy machine cancels out."""
    env = env | {"PUBLIC_CACHE_ENABLED": "0" if mode == "cold" else "1"}
    drive = drive_wrk if args.driver == "wrk" else drive_python
    results = []
    with Server(env, log):
        _status, body = get("/api/stories?per_page=1")
        article = urlparse(json.loads(body)["stories"][0]["url"]).path
        for path in ("/robots.txt", "/", article):  # warm both workers' caches and pools
            for _ in range(20):
                get(path)
        for name, path in (("homepage /", "/"), ("article", article)):
            baseline = drive(f"{mode} baseline", "/robots.txt", args.seconds, args.connections)
            result = drive(f"{mode} {name}", path, args.seconds, args.connections)
            results += [baseline, result]
    return results


def report(results: list[Result]) -> None:
    print(
        f"\n{'run':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12} "
        f"{'requests':>9} {'errors':>6}"
    )
    for baseline, result in zip(results[::2], results[1::2], strict=True):
        for row, ratio in ((baseline, ""), (result, f"{result.rps / baseline.rps:.0%}")):
            print(
                f"{row.name:24} {row.rps:8.0f} {row.p50_ms:8.1f} {row.p99_ms:8.1f} "
                f"{ratio:>12} {row.requests:9} {row.errors:6}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="editorial-bench-"))
    env = production_env(instance)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    database = args.database_url or f"SQLite in {instance}"
    print(
        f"bench: {database}; driver {args.driver}, {args.connections} connections, "
        f"{args.seconds:.0f} s per measurement, gunicorn -w 2 on {HOST}:{PORT}"
    )
    try:
        prepare(env, args.stories)
        log = instance / "gunicorn.log"
        results = measure("cold", env, args, log) + measure("cached", env, args, log)
        report(results)
    finally:
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
