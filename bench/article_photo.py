"""What does a photo cost the article page? (issue 10: within 10% of the same page without)

    .venv/bin/python bench/article_photo.py
    .venv/bin/python bench/article_photo.py --rounds 400

Seeds the demo newsroom into a fresh SQLite instance folder (its sidebars, Top News and More
articles with their thumbnails, as a reader sees them), then publishes three stories with the
same text: one without a photo (the baseline), one with a lead photo, and one with a lead photo
and two photos in its body. Each article is requested in turn, round-robin (so a burst of load
elsewhere on the machine hits all of them alike), with the Flask test client: once with the
page cache off (every request renders: the cold path) and once with it on. Prints the median
and p90 of each and the ratio to the baseline measured in the same round.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from editorial import create_app
from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.services import photos
from editorial.services.stories import StoryInput, create_story
from editorial.services.transitions import transition_story
from editorial.site import queries
from editorial.workflow import Action

REPORTER = "shirin.sultana@editorial.local"
EDITOR = "nasreen.akter@editorial.local"
BODY = "\n\n".join(
    f"Paragraph {n}: the river authority said launches from Sadarghat would leave half an hour "
    "later through the fog season, and that the terminal would stay open through the night for "
    "passengers who arrive early." + (" More detail follows." * 3)
    for n in range(12)
)


def _photo(actor: Person, seed: int) -> int:
    image = Image.effect_noise((2048, 1365), 40 + seed).convert("RGB")  # a photo-like texture
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    data = photos.PhotoInput(
        caption=f"Launches wait for the fog to lift at Sadarghat ({seed})",
        credit="Rafiq Ahmed",
        alt_text="Wooden launches moored three deep at the terminal",
    )
    return photos.upload_photo(io.BytesIO(buffer.getvalue()), data, actor=actor).id


def _published(headline: str, body: str, lead: int | None, desk: Desk, people: tuple) -> str:
    reporter, editor = people
    story = create_story(
        StoryInput(
            headline=headline,
            standfirst="The river authority moves the first departure to dawn.",
            body=body,
            byline="Staff Reporter",
            dateline="DHAKA",
            desk_id=desk.id,
            lead_photo_id=lead,
        ),
        actor=reporter,
    )
    for action, actor in ((Action.SUBMIT, reporter), (Action.APPROVE, editor)):
        transition_story(story, action, actor=actor, note="bench")
    transition_story(story, Action.PUBLISH, actor=editor)
    found = db.session.get(Story, story.id)
    assert found is not None
    return queries.article_of(found).card.url


def _measure(client: FlaskClient, urls: dict[str, str], rounds: int) -> dict[str, list[float]]:
    for url in urls.values():  # warm: templates compiled, statements cached, cache filled
        for _ in range(5):
            assert client.get(url).status_code == 200, url
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            response.get_data()
            times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return times


def _report(title: str, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["no photo"])
    print(f"\n{title}")
    for name, values in times.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(
            f"  {name:<24} median {median:7.2f} ms  p90 {p90:7.2f} ms  "
            f"ratio {median / base:5.2f}x no photo"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    os.environ.update(REDIS_URL="", DATABASE_URL="", MAIL_SERVER="")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "INSTANCE_PATH": folder,
                "EDITORIAL_ENV": "development",
                "CELERY": {"task_always_eager": True, "broker_url": "memory://"},
            }
        )
        with app.app_context():
            runner = app.test_cli_runner()
            assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
            seeded = runner.invoke(args=["demo"])
            assert seeded.exit_code == 0, seeded.output
            people = tuple(
                db.session.scalars(select(Person).where(Person.email == email)).one()
                for email in (REPORTER, EDITOR)
            )
            desk = db.session.scalars(select(Desk).where(Desk.name == "City")).one()
            lead, first, second = (_photo(people[0], n) for n in range(3))
            with_body = BODY.replace(
                "Paragraph 4:", f'![](photo:{first} "In the body")\n\nParagraph 4:'
            ).replace("Paragraph 9:", f"![](photo:{second})\n\nParagraph 9:")
            urls = {
                "no photo": _published("Launches leave later", BODY, None, desk, people),
                "lead photo": _published("Launches leave later too", BODY, lead, desk, people),
                "lead + 2 body photos": _published(
                    "Launches leave later again", with_body, lead, desk, people
                ),
            }
            db.session.remove()
        client = app.test_client()
        app.config["PUBLIC_CACHE_ENABLED"] = False
        cold = _measure(client, urls, args.rounds)
        app.config["PUBLIC_CACHE_ENABLED"] = True
        cached = _measure(client, urls, args.rounds)
    print(f"article page, {args.rounds} rounds each, Flask test client, SQLite")
    _report("cold (page cache off: every request renders)", cold)
    _report("cached (page cache on)", cached)


if __name__ == "__main__":
    main()
