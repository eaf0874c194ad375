"""Issue 10 "Storage" and "No leaks" with S3: photos in a bucket on a real S3-protocol server.

moto runs in server mode on a loopback port for the session; each test gets a bucket of its
own. Originals and renditions are private objects; readers get copies under `public/` that
exist only while a public story leads with the photo (made after the publish commits, deleted
after the withdrawal commits), so the public URL answers NoSuchKey (404) for a draft's,
an embargoed or a withdrawn story's photo. A store that is down or a bucket that is missing
refuses the upload with a clear message, and nothing is half-stored. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import itertools
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy import func, select, update

from editorial.celery_app import BEAT_SCHEDULE_DEFAULTS
from editorial.extensions import db
from editorial.jobs import Job
from editorial.models import Person, Photo, Rendition, Story
from editorial.security import CONTENT_SECURITY_POLICY, content_security_policy
from editorial.services import commit, photos, public_media
from editorial.services.errors import ValidationFailed
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.storage import IMMUTABLE, media_store, mimetype_of
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests import photokit
from tests.conftest import Factory, csrf_token, login, make_app
from tests.integration.conftest import live_app_with, wait_until
from tests.web.sitekit import article_path

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"
_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS
    )


def s3_settings(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "MEDIA_S3_BUCKET": bucket,
        "MEDIA_S3_ENDPOINT_URL": endpoint,
        "MEDIA_S3_REGION": REGION,
        "MEDIA_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "MEDIA_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


def _app(tmp_path: Path, request: pytest.FixtureRequest, **settings: str) -> Iterator[Flask]:
    app = make_app(tmp_path, request.param, request, **settings)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture
def bucket() -> str:
    return f"editorial-media-{next(_buckets)}"


@pytest.fixture(params=BACKENDS)
def s3_app(
    tmp_path: Path, request: pytest.FixtureRequest, s3_endpoint: str, bucket: str
) -> Iterator[Flask]:
    for app in _app(tmp_path, request, **s3_settings(s3_endpoint, bucket)):
        # README "Photo storage": the bucket made, and readable by everyone under public/ only.
        result = app.test_cli_runner().invoke(args=["media", "s3-setup"])
        assert result.exit_code == 0, result.output
        assert f"created bucket {bucket}" in result.output
        assert f"public read of {bucket}/public/* only" in result.output
        yield app


class Newsroom:
    def __init__(self, make: Factory, endpoint: str, bucket: str) -> None:
        self.make = make
        self.desk = make.desk("National")
        self.reporter: Person = make.reporter(self.desk)
        self.editor: Person = make.editor(self.desk)
        self.s3 = s3_client(endpoint)
        self.bucket = bucket
        self.public_base = f"{endpoint}/{bucket}/public/"

    def photo(self, content: bytes | None = None) -> int:
        content = content or photokit.jpeg((900, 600), exif=photokit.exif_bytes(gps=True))
        photo = photos.upload_photo(
            io.BytesIO(content),
            photos.PhotoInput(credit="Rafiq Ahmed", alt_text="Boats on the river"),
            actor=self.reporter,
        )
        return photo.id

    def story(self, state: StoryState, photo_id: int) -> Story:
        return self.make.story(
            self.reporter, self.desk, state, editor=self.editor, lead_photo_id=photo_id
        )

    def keys(self, photo_id: int) -> list[str]:
        query = select(Rendition.key).where(Rendition.photo_id == photo_id)
        return sorted(db.session.scalars(query))

    def objects(self, prefix: str) -> set[str]:
        found = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        return {entry["Key"].removeprefix(prefix) for entry in found}

    def public_statuses(self, photo_id: int) -> set[int]:
        """What a reader's browser gets at each rendition's public URL (no credentials)."""
        return {status(self.public_base + key) for key in self.keys(photo_id)}


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def nr(s3_app: Flask, make: Factory, s3_endpoint: str, bucket: str) -> Newsroom:
    return Newsroom(make, s3_endpoint, bucket)


def test_an_upload_stores_private_objects_and_nothing_public(nr: Newsroom) -> None:
    photo_id = nr.photo()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None and photo.renditions_ready_at is not None
    assert nr.objects("originals/") == {photo.original_key}
    assert nr.objects("renditions/") == set(nr.keys(photo_id))
    assert nr.objects("public/") == set()
    for name in [f"originals/{photo.original_key}", f"renditions/{nr.keys(photo_id)[0]}"]:
        grants = nr.s3.get_object_acl(Bucket=nr.bucket, Key=name)["Grants"]
        assert [g["Grantee"].get("URI") for g in grants] == [None], grants  # the owner only
        assert status(f"{nr.s3.meta.endpoint_url}/{nr.bucket}/{name}") == 403  # anonymous
    assert nr.public_statuses(photo_id) == {404}
    assert status(nr.public_base + photo.original_key) == 404
    # The page would link to the public copies, not to the app's /media/ route.
    assert media_store().public_base == nr.public_base


def test_a_published_storys_photo_is_public_until_it_is_withdrawn(
    nr: Newsroom, s3_app: Flask
) -> None:
    photo_id = nr.photo()
    story = nr.story(StoryState.APPROVED, photo_id)
    assert nr.public_statuses(photo_id) == {404}

    transition_story(story, Action.PUBLISH, actor=nr.editor)
    assert nr.objects("public/") == set(nr.keys(photo_id))
    assert nr.public_statuses(photo_id) == {200}
    key = nr.keys(photo_id)[0]
    for key in nr.keys(photo_id):
        head = nr.s3.head_object(Bucket=nr.bucket, Key=f"public/{key}")
        assert head["ContentType"] == mimetype_of(key).replace("octet-stream", "?")
        assert head["CacheControl"] == IMMUTABLE

    # The article links to the public copies, og:image too (already absolute).
    reader = s3_app.test_client()
    page = reader.get(article_path(story))
    html = page.get_data(as_text=True)
    # The browser may load them: the bucket's (or CDN's) origin is among the CSP's images.
    assert (
        f"img-src 'self' data: {nr.s3.meta.endpoint_url};"
        in page.headers["Content-Security-Policy"]
    )
    linked = set(re.findall(re.escape(nr.public_base) + r"([\w.-]+)", html))
    assert linked and linked <= set(nr.keys(photo_id))  # every one of them a public copy
    assert f'content="{nr.public_base}' in html  # og:image, already absolute
    assert "/media/" not in html.replace(nr.public_base, "")

    transition_story(story, Action.WITHDRAW, actor=nr.editor, note="Legal asked us to")
    assert nr.objects("public/") == set()
    assert nr.public_statuses(photo_id) == {404}
    # The private renditions stay: the newsroom still shows them.
    assert nr.objects("renditions/") == set(nr.keys(photo_id))


def test_a_scheduled_publish_makes_the_photo_public(nr: Newsroom) -> None:
    from editorial.services.publishing import publish_due_stories

    photo_id = nr.photo()
    story = nr.story(StoryState.SCHEDULED, photo_id)
    assert nr.public_statuses(photo_id) == {404}
    publish_due_stories(now=story.publish_at + timedelta(seconds=1))
    assert nr.public_statuses(photo_id) == {200}


def test_a_photo_of_two_stories_stays_public_while_one_is_published(nr: Newsroom) -> None:
    photo_id = nr.photo()
    first = nr.story(StoryState.PUBLISHED, photo_id)
    second = nr.story(StoryState.PUBLISHED, photo_id)
    assert nr.public_statuses(photo_id) == {200}
    transition_story(first, Action.WITHDRAW, actor=nr.editor, note="Duplicate")
    assert nr.public_statuses(photo_id) == {200}
    transition_story(second, Action.WITHDRAW, actor=nr.editor, note="Wrong photo")
    assert nr.public_statuses(photo_id) == {404}


@pytest.mark.parametrize(
    "state",
    [
        StoryState.DRAFT,
        StoryState.SUBMITTED,
        StoryState.APPROVED,
        StoryState.SCHEDULED,
        StoryState.SPIKED,
        StoryState.WITHDRAWN,
    ],
)
def test_the_photo_of_a_story_not_public_is_not_in_the_bucket_for_readers(
    nr: Newsroom, s3_app: Flask, state: StoryState
) -> None:
    photo_id = nr.photo()
    nr.story(state, photo_id)
    public_media.sweep()  # even the sweep finds nothing to copy
    assert nr.objects("public/") == set()
    assert nr.public_statuses(photo_id) == {404}
    front = s3_app.test_client().get("/").get_data(as_text=True)
    assert not any(key in front for key in nr.keys(photo_id))


def test_an_embargo_set_on_a_published_story_takes_its_photo_down(nr: Newsroom) -> None:
    photo_id = nr.photo()
    story = nr.story(StoryState.PUBLISHED, photo_id)
    assert nr.public_statuses(photo_id) == {200}
    data = StoryInput(
        headline=story.headline,
        body=story.body,
        desk_id=story.desk_id,
        slug=story.slug,
        lead_photo_id=photo_id,
        embargo_at=utcnow() + timedelta(days=1),
    )
    save_story(story, data, actor=nr.editor, expected_version=story.version)
    assert nr.public_statuses(photo_id) == {404}
    # When the embargo lifts (no transition happens), the sweep puts the copies up.
    db.session.execute(
        update(Story).where(Story.id == story.id).values(embargo_at=utcnow() - timedelta(seconds=1))
    )
    commit()
    public_media.sweep()
    assert nr.public_statuses(photo_id) == {200}


def test_another_lead_photo_takes_the_old_one_down(nr: Newsroom) -> None:
    old, new = nr.photo(), nr.photo()
    story = nr.story(StoryState.PUBLISHED, old)
    data = StoryInput(
        headline=story.headline,
        body=story.body,
        desk_id=story.desk_id,
        slug=story.slug,
        lead_photo_id=new,
    )
    save_story(story, data, actor=nr.editor, expected_version=story.version)
    assert nr.public_statuses(old) == {404}
    assert nr.public_statuses(new) == {200}


def test_a_new_focal_point_on_a_public_photo_swaps_its_public_crops(nr: Newsroom) -> None:
    gradient = io.BytesIO()  # a crop of one colour is the same file wherever it is cut
    Image.linear_gradient("L").resize((900, 600)).convert("RGB").save(gradient, "JPEG")
    photo_id = nr.photo(gradient.getvalue())
    nr.story(StoryState.PUBLISHED, photo_id)
    before = set(nr.keys(photo_id))
    assert nr.objects("public/") == before
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    assert photos.set_focal_point(photo, 10.0, 80.0, actor=nr.editor)  # crops cut again (eager)
    after = set(nr.keys(photo_id))
    assert after != before and after & before  # new crops; the whole frames stay
    assert nr.objects("public/") == after  # the old crops' copies are gone
    assert nr.public_statuses(photo_id) == {200}


def test_a_photo_placed_in_a_body_is_public_with_its_story(nr: Newsroom) -> None:
    lead, placed = nr.photo(), nr.photo()
    story = nr.make.story(
        nr.reporter,
        nr.desk,
        StoryState.PUBLISHED,
        editor=nr.editor,
        lead_photo_id=lead,
        body=f'The river rose.\n\n![Boats](photo:{placed} "At dawn")\n\nThe end.',
    )
    assert nr.public_statuses(placed) == {200}
    data = StoryInput(
        headline=story.headline,
        body="The river rose. The photo went.",
        desk_id=story.desk_id,
        slug=story.slug,
        lead_photo_id=lead,
    )
    save_story(story, data, actor=nr.editor, expected_version=story.version)
    assert nr.public_statuses(placed) == {404}  # dropped from the body: taken down
    assert nr.public_statuses(lead) == {200}
    public_media.sweep()
    assert nr.public_statuses(placed) == {404}


def test_the_sweep_puts_right_what_lost_jobs_left(
    nr: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker was down for the publish and for the withdrawal: the jobs never ran."""
    shown, hidden = nr.photo(), nr.photo()
    withdrawn = nr.story(StoryState.PUBLISHED, hidden)
    with monkeypatch.context() as broker_down:  # what enqueue() answers when it cannot queue
        broker_down.setattr(public_media, "enqueue", lambda *args, **kwargs: False)
        nr.story(StoryState.PUBLISHED, shown)
        transition_story(withdrawn, Action.WITHDRAW, actor=nr.editor, note="Taken down")
    assert nr.public_statuses(shown) == {404}  # not yet: the copy job was lost
    assert nr.public_statuses(hidden) == {200}  # still up: the removal job was lost
    nr.s3.put_object(Bucket=nr.bucket, Key="public/stray-320.jpg", Body=b"old")

    assert public_media.sweep() == {"copied": 1, "taken_down": 1, "orphans": 1}
    assert nr.public_statuses(shown) == {200}
    assert nr.public_statuses(hidden) == {404}
    assert "stray-320.jpg" not in nr.objects("public/")
    assert public_media.sweep() == {"copied": 0, "taken_down": 0, "orphans": 0}
    assert BEAT_SCHEDULE_DEFAULTS["media:public"]["task"] == Job.SWEEP_PUBLIC_MEDIA


def test_the_jobs_are_safe_to_run_twice(nr: Newsroom) -> None:
    photo_id = nr.photo()
    story = nr.story(StoryState.PUBLISHED, photo_id)
    for _ in range(2):
        assert public_media.sync_photos([photo_id]) == {"public": [photo_id], "private": []}
    assert nr.objects("public/") == set(nr.keys(photo_id))
    transition_story(story, Action.WITHDRAW, actor=nr.editor, note="Taken down")
    for _ in range(2):
        assert public_media.sync_photos([photo_id]) == {"public": [], "private": [photo_id]}
    assert nr.objects("public/") == set()


def test_staff_pages_read_the_private_renditions(nr: Newsroom, s3_app: Flask) -> None:
    photo_id = nr.photo()
    staff = s3_app.test_client()
    login(staff, nr.reporter)
    thumbnail = staff.get(f"/newsroom/media/{photo_id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert thumbnail.data[:2] == b"\xff\xd8"
    assert "public" not in thumbnail.headers["Cache-Control"]  # staff only
    # The app's own public route keeps its check: 404 until published.
    key = nr.keys(photo_id)[0]
    assert s3_app.test_client().get(f"/media/{key}").status_code == 404


def test_deleting_a_photo_removes_its_objects(nr: Newsroom) -> None:
    photo_id = nr.photo()
    photo = db.session.get(Photo, photo_id)
    assert photo is not None
    photos.delete_photo(photo, actor=nr.reporter)
    assert nr.objects("originals/") == nr.objects("renditions/") == set()


def test_a_backup_says_the_photos_are_in_the_bucket(
    nr: Newsroom, s3_app: Flask, tmp_path: Path
) -> None:
    nr.photo()
    result = s3_app.test_cli_runner().invoke(
        args=["backup", "create", "--to", str(tmp_path / "backup.tar.gz")]
    )
    assert result.exit_code == 0, result.output
    assert f"photos live in the S3 bucket {nr.bucket!r}, not in this archive" in result.output


# --- a real worker: the jobs queued after commit go through Redis ---------------------------


@pytest.fixture
def live_s3_app(
    tmp_path: Path, request: pytest.FixtureRequest, broker, smtp, s3_endpoint: str, bucket: str
) -> Iterator[Flask]:
    for app in live_app_with(tmp_path, request, smtp, **s3_settings(s3_endpoint, bucket)):
        assert app.test_cli_runner().invoke(args=["media", "s3-setup"]).exit_code == 0
        yield app


@pytest.mark.services
@pytest.mark.slow
def test_a_worker_copies_on_publish_and_deletes_on_withdraw(
    live_s3_app: Flask,
    make: Factory,
    celery_procs,
    tmp_path: Path,
    s3_endpoint: str,
    bucket: str,
) -> None:
    celery_procs.worker(
        env={"EDITORIAL_INSTANCE": str(tmp_path), **s3_settings(s3_endpoint, bucket)}
    )
    nr = Newsroom(make, s3_endpoint, bucket)
    photo_id = nr.photo()

    def ready() -> bool:
        db.session.rollback()
        photo = db.session.get(Photo, photo_id)
        return photo is not None and photo.renditions_ready_at is not None

    wait_until(ready, 60, "the renditions, made by the worker into the bucket")
    assert nr.objects("renditions/") == set(nr.keys(photo_id))
    assert nr.public_statuses(photo_id) == {404}
    story = nr.story(StoryState.PUBLISHED, photo_id)
    wait_until(lambda: nr.public_statuses(photo_id) == {200}, 60, "the public copies")
    transition_story(story, Action.WITHDRAW, actor=nr.editor, note="Legal asked us to")
    wait_until(lambda: nr.public_statuses(photo_id) == {404}, 60, "the copies taken down")


# --- the store is down, or the bucket is missing: the upload is refused, nothing half-kept ----


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def down_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    yield from _app(
        tmp_path, request, **s3_settings(f"http://127.0.0.1:{closed_port()}", "editorial-media")
    )


@pytest.fixture(params=BACKENDS)
def bucketless_app(
    tmp_path: Path, request: pytest.FixtureRequest, s3_endpoint: str
) -> Iterator[Flask]:
    yield from _app(tmp_path, request, **s3_settings(s3_endpoint, "no-such-bucket-here"))


def _refused_upload(app: Flask, make: Factory) -> None:
    desk = make.desk("National")
    reporter = make.reporter(desk)
    with pytest.raises(ValidationFailed) as refused:
        photos.upload_photo(
            io.BytesIO(photokit.jpeg((400, 300))),
            photos.PhotoInput(caption="Typed by hand"),
            actor=reporter,
        )
    assert refused.value.errors == {"photo": photos.STORE_DOWN}
    assert db.session.scalar(select(func.count(Photo.id))) == 0
    staging = Path(app.config["INSTANCE_PATH"]) / "media" / "incoming"
    assert not staging.is_dir() or list(staging.iterdir()) == []

    # Through the page: the same sentence, the typed caption kept, not a 500.
    web: FlaskClient = app.test_client()
    login(web, reporter)
    data = {
        "csrf_token": csrf_token(web, "/newsroom/media/"),
        "photo": (io.BytesIO(photokit.jpeg((400, 300))), "boats.jpg"),
        "caption": "Boats at Sadarghat",
        "credit": "",
        "alt_text": "",
        "desk": "",
    }
    response = web.post("/newsroom/media/", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert "the photo store is not answering" in html
    assert "Boats at Sadarghat" in html


def test_an_upload_is_refused_while_the_store_is_down(down_app: Flask, make: Factory) -> None:
    _refused_upload(down_app, make)


def test_an_upload_is_refused_when_the_bucket_is_missing(
    bucketless_app: Flask, make: Factory
) -> None:
    _refused_upload(bucketless_app, make)


def test_the_content_security_policy_names_the_cdn() -> None:
    policy = content_security_policy("https://cdn.example.net/photos/")
    assert "img-src 'self' data: https://cdn.example.net;" in policy
    assert content_security_policy("/media/") == CONTENT_SECURITY_POLICY
