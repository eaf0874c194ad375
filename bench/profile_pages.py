"""Where a cold public page spends its time: cProfile of the article and the homepage.

    .venv/bin/python bench/profile_pages.py                 # demo newsroom + 2,000 stories, SQLite
    .venv/bin/python bench/profile_pages.py --stories 10000 --rounds 200 --top 30

Seeds a fresh SQLite instance folder (`flask demo --stories N`), then renders each page
`--rounds` times with the page cache off (PUBLIC_CACHE_ENABLED=0: every request renders) under
cProfile, with the Flask test client, and prints the functions with the most cumulative time and
the share spent in SQL, Jinja and our own code. (No py-spy or pyinstrument in .venv: cProfile.)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(folder: str, stories: int) -> dict[str, str]:
    env = dict(
        os.environ,
        EDITORIAL_ENV="development",
        EDITORIAL_INSTANCE=folder,
        DATABASE_URL=f"sqlite:///{folder}/editorial.sqlite3",
        FLASK_APP="wsgi:app",
    )
    env.pop("REDIS_URL", None)
    for cmd in (["db", "upgrade"], ["demo", "--stories", str(stories)]):
        subprocess.run(
            [str(ROOT / ".venv/bin/flask"), *cmd],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return env


def print_shares(stats: pstats.Stats) -> None:
    """The share of own time spent in SQL (SQLAlchemy and the driver) and in Jinja."""
    table: dict = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values())
    sql = jinja = 0.0
    for (filename, _line, _name), row in table.items():
        if any(part in filename for part in ("sqlalchemy", "sqlite3", "psycopg")):
            sql += row[2]
        elif "jinja2" in filename or "templates/" in filename:
            jinja += row[2]
    print(
        f"  own time in SQL (SQLAlchemy + driver): {sql / total:.0%}, in Jinja: {jinja / total:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cached", action="store_true", help="profile cache hits instead")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="editorial-profile-")
    env = seed(folder, args.stories)
    os.environ.update(env)
    from wsgi import app

    app.config["PUBLIC_CACHE_ENABLED"] = args.cached
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    marker = 'class="lead-headline">'
    start = html.index(marker)
    article = html[html.index('href="', start) + 6 :].split('"', 1)[0]
    for name, path in (("homepage", "/"), ("article", article)):
        for _ in range(10):
            assert client.get(path).status_code == 200
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(args.rounds):
            client.get(path)
        profile.disable()
        elapsed = (time.perf_counter() - started) / args.rounds * 1000
        print(f"\n=== {name} {path}: {elapsed:.1f} ms per request under cProfile")
        stats = pstats.Stats(profile)
        print_shares(stats)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
