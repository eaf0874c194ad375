"""How much building a newsroom list's rows costs, next to fetching them, for a 500-row budget.

    .venv/bin/python bench/list_rows.py [--rows 500] [--runs 200]

Rows are fetched once from an in-memory SQLite database, then turned into `StoryRow`s two
ways: as editorial.newsroom.rows does (each column named as the row is unpacked) and by Row
attribute (`row.headline`). Each figure is the best of five runs,
printed with its ratio to fetching the rows (the baseline, measured the same way).
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from editorial.extensions import db
from editorial.models import Story
from editorial.newsroom.rows import ROW_COLUMNS, StoryRow, story_row
from editorial.workflow import StoryState

DESKS = {1: "National"}


def by_attribute(row: Any, authors: dict[int, list[str]]) -> StoryRow:
    return StoryRow(
        id=row.id,
        headline=row.headline,
        standfirst=row.standfirst,
        state=StoryState(row.state),
        desk_id=row.desk_id,
        word_count=row.word_count,
        modified_at=row.modified_at,
        submitted_at=row.submitted_at,
        publish_at=row.publish_at,
        published_at=row.published_at,
        publish_failed_at=row.publish_failed_at,
        publish_error=row.publish_error or "",
        desk_name=DESKS.get(row.desk_id, ""),
        authors=tuple(authors.get(row.id, ())),
    )


def archive(count: int) -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    db.metadata.create_all(engine, tables=[Story.__table__])
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Story),
            [
                {"headline": f"Story {n}", "slug": f"story-{n}", "desk_id": 1, "created_by_id": 1}
                | {"state": StoryState.DRAFT, "modified_at": now, "created_at": now}
                for n in range(count)
            ],
        )
    return engine


def best(action: Callable[[], object], runs: int) -> float:
    """Milliseconds per call, the best of five runs."""
    return min(timeit.repeat(action, number=runs, repeat=5)) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    engine = archive(args.rows)
    query = sa.select(*ROW_COLUMNS)
    with engine.connect() as connection:
        rows: Sequence[Any] = connection.execute(query).all()

        def fetch() -> object:
            return connection.execute(query).all()

        authors = {r.id: ["A Reporter"] for r in rows}
        ways: dict[str, Callable[[], object]] = {
            "fetch the rows (baseline)": fetch,
            "rows.story_row (unpacked by name)": lambda: [
                story_row(r, DESKS, authors) for r in rows
            ],
            "row.<column> attributes": lambda: [by_attribute(r, authors) for r in rows],
        }
        assert [story_row(r, DESKS, authors) for r in rows] == [
            by_attribute(r, authors) for r in rows
        ]
        took = {name: best(action, args.runs) for name, action in ways.items()}
        baseline = took["fetch the rows (baseline)"]
        print(f"{args.rows} rows, best of 5 x {args.runs} runs")
        for name, ms in took.items():
            print(f"  {name:36} {ms:8.3f} ms  {ms / baseline:5.2f} x fetch")


if __name__ == "__main__":
    main()
