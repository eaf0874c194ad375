"""What do S3 photo storage and its public copies cost, against local files, in the same run?

    .venv/bin/python bench/s3_media.py [--stories 20]

Starts moto's S3 server on a loopback port (a Python server: a real store's round trips are
longer, its throughput higher), and on two fresh SQLite apps, one with local files and one with
MEDIA_S3_BUCKET, times:

- publish: `transition_story(PUBLISH)` of a story leading with a photo of its own (the request's
  part: with S3 it also reads the lead photo and queues the copy job, not run here);
- sync: the copy job for one photo just published (`public_media.sync_photos`: every rendition
  copied server-side under public/, then the stories read again);
- sweep: beat's `media:public` over all those photos, in step (one listing, one query);
- upload: `upload_photo` of a 1600x1067 JPEG, renditions included (they run eagerly here).

Each S3 figure is printed as a multiple of the local one (sync and sweep: of a local publish).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moto.server import ThreadedMotoServer

from editorial import create_app
from editorial.extensions import db
from editorial.models import Story
from editorial.services import photos, public_media
from editorial.services.transitions import transition_story
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, base_config, migrate


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run(folder: Path, stories: int, settings: dict[str, str]) -> dict[str, float]:
    app = create_app(base_config(folder, f"sqlite:///{folder / 'bench.sqlite3'}", **settings))
    migrate(app)
    timings: dict[str, list[float]] = {"upload": [], "publish": [], "sync": []}
    with app.app_context():
        if settings:
            assert app.test_cli_runner().invoke(args=["media", "s3-setup"]).exit_code == 0
        make = Factory()
        desk = make.desk("National")
        reporter, editor = make.reporter(desk), make.editor(desk)
        content = photokit.jpeg((1600, 1067))
        queued: list[list[int]] = []
        public_media.queue_sync = lambda photo_ids, at=(): queued.append(photo_ids) or True  # type: ignore[assignment]
        for n in range(stories):
            start = time.perf_counter()
            photo = photos.upload_photo(
                io.BytesIO(content + n.to_bytes(4, "big")),  # a photo of its own each time
                photos.PhotoInput(credit="Bench", alt_text="Bench"),
                actor=reporter,
            )
            timings["upload"].append(time.perf_counter() - start)
            story: Story = make.story(
                reporter, desk, StoryState.APPROVED, editor=editor, lead_photo_id=photo.id
            )
            start = time.perf_counter()
            transition_story(story, Action.PUBLISH, actor=editor)
            timings["publish"].append(time.perf_counter() - start)
            start = time.perf_counter()
            public_media.sync_photos([photo.id])
            timings["sync"].append(time.perf_counter() - start)
        start = time.perf_counter()
        swept = public_media.sweep()
        sweep = time.perf_counter() - start
        assert not any(swept.values()), swept
        db.session.remove()
        db.engine.dispose()
    return {name: _median_ms(values) for name, values in timings.items()} | {"sweep": sweep * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20)
    args = parser.parse_args()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = {
        "MEDIA_S3_BUCKET": "bench-media",
        "MEDIA_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ACCESS_KEY_ID": "bench",
        "MEDIA_S3_SECRET_ACCESS_KEY": "bench",
    }
    try:
        with tempfile.TemporaryDirectory() as local_dir, tempfile.TemporaryDirectory() as s3_dir:
            local = run(Path(local_dir), args.stories, {})
            remote = run(Path(s3_dir), args.stories, s3)
    finally:
        server.stop()
    base = local["publish"]
    print(f"{args.stories} stories, each leading with a photo of its own; medians in ms")
    for name in ("publish", "upload"):
        ratio = remote[name] / local[name]
        print(f"{name:8} local {local[name]:8.1f}   s3 {remote[name]:8.1f}   {ratio:5.2f}x")
    for name, label in (("sync", "per photo"), ("sweep", f"all {args.stories}")):
        ratio = remote[name] / base
        print(f"{name:8} s3 {remote[name]:8.1f} ({label}) = {ratio:5.2f}x a local publish")


if __name__ == "__main__":
    main()
