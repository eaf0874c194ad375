"""What choosing the front page costs readers: the homepage and its Top News query, with every
Top News story given a slot, against the same before anyone chose (the baseline, same run).

    .venv/bin/python bench/front_page.py [--stories 5000] [--placed 60] [--runs 200]

A fresh SQLite instance in a temporary folder gets `flask demo --stories N`; `--placed` more
published stories go into Top News. Each figure is the best of five timings of `--runs` calls:
`site.queries.top_news(7)` and an uncached GET / (PUBLIC_CACHE_ENABLED off), first with no
order (today's rule: newest first), then after `save_front_page` gives every one a slot.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select, update

from editorial import create_app
from editorial.extensions import db
from editorial.models import Person, Placement, Story
from editorial.services.frontpage import front_page_ids, front_page_version, save_front_page
from editorial.site import queries
from editorial.workflow import Role, StoryState


def best(fn: Callable[[], object], runs: int) -> float:
    return min(timeit.repeat(fn, number=runs, repeat=5)) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--placed", type=int, default=60)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-front-"))
    app = create_app(
        {
            "EDITORIAL_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(folder),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "MAIL_OUTBOX": str(folder / "outbox"),
            "PUBLIC_CACHE_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CELERY": {"broker_url": "memory://", "task_always_eager": True},
        }
    )
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "--stories", str(args.stories)])
        assert result.exit_code == 0, (result.output, result.exception)
    client = app.test_client()
    with app.app_context():
        extra = db.session.scalars(
            select(Story.id)
            .where(Story.state == StoryState.PUBLISHED, Story.placement == Placement.NONE)
            .limit(args.placed)
        ).all()
        db.session.execute(update(Story).where(Story.id.in_(extra)).values(placement=Placement.TOP))
        db.session.commit()
        editor = next(
            p
            for p in db.session.scalars(select(Person))
            if Role.DESK_EDITOR in p.actor.roles and p.actor.desk_ids
        )

        def top() -> object:
            queries.begin_read()
            cards = queries.top_news(7)
            queries.release()
            return cards

        def home() -> object:
            response = client.get("/")
            assert response.status_code == 200
            return response

        for _ in range(20):  # warm: templates compiled, statements cached, pages in memory
            top(), home()
        figures = {"top_news, newest first": best(top, args.runs)}
        figures["homepage, newest first"] = best(home, max(args.runs // 10, 5))
        order = front_page_ids()
        save_front_page(list(reversed(order)), actor=editor, expected_version=front_page_version())
        figures["top_news, every story ordered"] = best(top, args.runs)
        figures["homepage, every story ordered"] = best(home, max(args.runs // 10, 5))
    placed = len(order)
    print(f"{args.stories} generated stories (+ demo), {placed} in Top News; best of 5, per call")
    for name, seconds in figures.items():
        base = figures[name.split(",")[0] + ", newest first"]
        print(f"  {name:34} {seconds * 1000:8.3f} ms   x{seconds / base:.2f} of newest first")


if __name__ == "__main__":
    main()
