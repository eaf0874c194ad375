"""What do the demo's drawn lead photos add to `flask demo`?

    .venv/bin/python bench/demo.py

Seeds the demo twice, each time into a fresh SQLite instance folder: once as shipped (a drawn
photo and its renditions for most published stories) and once with the photos left out (the
baseline), and prints seconds for each, the ratio, and the number of photos and renditions.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from editorial import create_app
from editorial.extensions import db
from editorial.models import Photo, Rendition


def seed(with_photos: bool) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": folder, "EDITORIAL_ENV": "development"})
        with app.app_context():
            runner = app.test_cli_runner()
            assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
            patch = mock.patch("editorial.demo_stories.add_photo", return_value=None)
            started = time.perf_counter()
            if with_photos:
                result = runner.invoke(args=["demo"])
            else:
                with patch:
                    result = runner.invoke(args=["demo"])
            seconds = time.perf_counter() - started
            assert result.exit_code == 0, result.output
            photos = db.session.scalar(select(func.count(Photo.id))) or 0
            renditions = db.session.scalar(select(func.count(Rendition.id))) or 0
            db.session.remove()
    return seconds, photos, renditions


def main() -> None:
    baseline, _, _ = seed(with_photos=False)
    shipped, photos, renditions = seed(with_photos=True)
    print(f"flask demo without photos: {baseline:6.2f} s")
    print(f"flask demo with photos:    {shipped:6.2f} s  ({shipped / baseline:.2f}x baseline)")
    print(f"  {photos} photos, {renditions} renditions")


if __name__ == "__main__":
    main()
