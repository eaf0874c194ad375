"""`flask backup`: bad destinations and bad archives are refused in plain words, before anything
is touched; schemas migrate forward, never backward; a non-empty database needs --force."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from editorial.backups import archive as backup_archive
from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.readiness import code_heads
from tests.conftest import Factory
from tests.integration.backupkit import (
    Members,
    files_under,
    invoke,
    manifest_of,
    read_members,
    with_manifest,
    write_members,
)


@pytest.fixture
def newsroom_backup(any_app: Flask, make: Factory, tmp_path: Path) -> Path:
    """An archive of a newsroom with one story and one photo, then a second story after it."""
    desk = make.desk("City")
    reporter = make.reporter(desk)
    make.story(reporter, desk, headline="In the backup")
    ids = desk.id, reporter.id
    photo = Path(any_app.config["INSTANCE_PATH"]) / "media" / "photos" / "one.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8" + b"x" * 1000)
    code, output = invoke(any_app, "create", "--to", str(tmp_path / "good.tar.gz"))
    assert code == 0, output
    desk, reporter = db.session.get(Desk, ids[0]), db.session.get(Person, ids[1])
    make.story(reporter, desk, headline="After the backup")
    return tmp_path / "good.tar.gz"


def state(app: Flask) -> tuple[list[str], dict[str, bytes], list[str]]:
    """Headlines, media files and leftovers of a restore: all must survive a refusal."""
    instance = Path(app.config["INSTANCE_PATH"])
    with app.app_context():
        headlines = sorted(db.session.scalars(sa.select(Story.headline)))
        leftovers = [p.name for p in instance.glob(".restore-*")]
        leftovers += [p.name for p in instance.glob("*.restoring")]
        if db.engine.dialect.name == "postgresql":
            query = "SELECT datname FROM pg_database WHERE datname LIKE '%restoring%'"
            leftovers += list(db.session.scalars(sa.text(query)))
        db.session.remove()
    return headlines, files_under(instance / "media"), leftovers


def refused(app: Flask, archive: Path, *words: str, force: bool = True) -> None:
    before = state(app)
    code, output = invoke(app, "restore", "--from", str(archive), *(["--force"] if force else []))
    assert code == 1, output
    assert "Traceback" not in output and output.startswith("error: "), output
    for word in words:
        assert word in output, output
    assert state(app) == before


def test_backup_never_overwrites(any_app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "taken.tar.gz"
    existing.write_bytes(b"someone else's file")
    code, output = invoke(any_app, "create", "--to", str(existing))
    assert code == 1 and "already exists" in output and "Traceback" not in output
    assert existing.read_bytes() == b"someone else's file"


def test_backup_into_a_folder_is_named_by_the_time(any_app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    code, output = invoke(any_app, "create", "--to", str(folder))
    assert code == 0, output
    (written,) = folder.iterdir()
    assert re.fullmatch(r"editorial-\d{8}T\d{6}Z\.tar\.gz", written.name), written.name
    assert f"backup written to {written}" in output


@pytest.mark.parametrize("name", ["backups", "nightly.tar", "b.gz"])
def test_backup_to_a_name_that_is_no_archive(any_app: Flask, tmp_path: Path, name: str) -> None:
    before = set(tmp_path.iterdir())  # the SQLite database lives there too
    code, output = invoke(any_app, "create", "--to", str(tmp_path / name))
    assert code == 1 and "ends in .tar.gz" in output and "Traceback" not in output
    assert set(tmp_path.iterdir()) == before


@pytest.mark.parametrize("where", ["missing/b.tar.gz", "a-file/b.tar.gz"])
def test_backup_to_a_place_it_cannot_write(any_app: Flask, tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    code, output = invoke(any_app, "create", "--to", str(tmp_path / where))
    assert code == 1 and "is not a folder" in output and "Traceback" not in output
    assert not list(tmp_path.glob(".backup-*"))


def test_backup_to_a_folder_it_may_not_write(
    any_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests run as root, whom chmod does not stop: the permission check is made to say no.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        backup_archive.os,
        "access",
        lambda path, mode: Path(path) != locked and real_access(path, mode),
    )
    code, output = invoke(any_app, "create", "--to", str(locked / "b.tar.gz"))
    assert code == 1 and "is not writable" in output and "Traceback" not in output
    assert list(locked.iterdir()) == [] and not list(tmp_path.glob(".backup-*"))


def _truncated(archive: Path, members: Members) -> bytes:
    return archive.read_bytes()[: archive.stat().st_size // 2]


def _flip_database(_archive: Path, members: Members) -> Members:
    name = manifest_of(members)["database_member"]
    data = bytearray(members[name])
    data[len(data) // 2] ^= 0xFF
    return {**members, name: bytes(data)}


def _flip_photo(_archive: Path, members: Members) -> Members:
    photo = members["media/photos/one.jpg"]
    return {**members, "media/photos/one.jpg": photo[:-1] + b"y"}  # same size, other bytes


def _unlisted(_archive: Path, members: Members) -> Members:
    return {**members, "media/extra.jpg": b"slipped in"}


def _manifest_change(**change: object) -> Callable[[Path, Members], Members]:
    def rewrite(_archive: Path, members: Members) -> Members:
        return with_manifest(members, manifest_of(members) | change, rehash=True)

    return rewrite


def _no_manifest(_archive: Path, members: Members) -> Members:
    return {name: data for name, data in members.items() if name != "manifest.json"}


def _unsafe_name(_archive: Path, members: Members) -> Members:
    manifest = manifest_of(members)
    manifest["files"]["../outside.jpg"] = {"size": 4}
    return with_manifest({**members, "../outside.jpg": b"evil"}, manifest, rehash=True)


def _resized(_archive: Path, members: Members) -> Members:
    return {**members, "media/photos/one.jpg": members["media/photos/one.jpg"] * 1000}


BAD_ARCHIVES = {
    "truncated": (_truncated, ["not a complete backup archive"]),
    "not an archive": (lambda _a, _m: b"PK\x03\x04 a zip, say", ["not a complete backup"]),
    "database tampered": (_flip_database, ["does not match its checksum"]),
    "photo tampered": (_flip_photo, ["media/photos/one.jpg", "checksum"]),
    "unlisted file": (_unlisted, ["does not list", "media/extra.jpg"]),
    "no manifest": (_no_manifest, ["no manifest.json"]),
    "unsafe name": (_unsafe_name, ["unsafe name", "../outside.jpg"]),
    "photo resized": (_resized, ["not the size its manifest says"]),
    "manifest mangled": (_manifest_change(files=["database.sqlite3"]), ["not a valid"]),
    "another format": (_manifest_change(format="wordpress-export"), ["not an editorial backup"]),
    "format version 2": (_manifest_change(format_version=2), ["format version 2"]),
    "newer schema": (_manifest_change(schema_revisions=["9999"]), ["9999", "newer than"]),
    "other database": (_manifest_change(dialect="oracle"), ["holds a oracle database"]),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_a_bad_archive_changes_nothing(
    any_app: Flask, newsroom_backup: Path, tmp_path: Path, case: str
) -> None:
    spoil, words = BAD_ARCHIVES[case]
    result = spoil(newsroom_backup, read_members(newsroom_backup))
    bad = tmp_path / "bad.tar.gz"
    if isinstance(result, bytes):
        bad.write_bytes(result)
    else:
        write_members(bad, result)
    refused(any_app, bad, *words)


def test_restore_refuses_a_database_with_data_without_force(
    any_app: Flask, newsroom_backup: Path
) -> None:
    refused(any_app, newsroom_backup, "already holds data", "--force", force=False)
    code, output = invoke(any_app, "restore", "--from", str(newsroom_backup), "--force")
    assert code == 0, output
    headlines, media, leftovers = state(any_app)
    assert headlines == ["In the backup"] and list(media) == ["photos/one.jpg"]
    assert leftovers == []


def test_an_archive_of_an_older_schema_is_migrated_forward(
    any_app: Flask, empty_app: Callable[[str], Flask], tmp_path: Path
) -> None:
    backend = db.engine.dialect.name
    old = empty_app(backend)
    with old.app_context():
        upgrade(revision="0005")
        db.session.execute(
            sa.text("INSERT INTO desks (name, slug, position) VALUES ('Old', 'old', 0)")
        )
        db.session.commit()
    code, output = invoke(old, "create", "--to", str(tmp_path / "old.tar.gz"))
    assert code == 0 and "schema 0005" in output, output
    assert json.loads(read_members(tmp_path / "old.tar.gz")["manifest.json"])[
        "schema_revisions"
    ] == ["0005"]

    target = empty_app(backend)
    code, output = invoke(target, "restore", "--from", str(tmp_path / "old.tar.gz"))
    assert code == 0, output
    with target.app_context():
        revisions = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
        assert revisions == code_heads()
        assert db.session.scalar(sa.text("SELECT slug FROM desks")) == "old"
        db.session.remove()


def test_a_media_volume_is_restored_in_place(
    any_app: Flask, newsroom_backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container volume mounted on the media folder cannot be renamed: its contents are
    swapped instead, and the folder itself stays."""
    media = Path(any_app.config["INSTANCE_PATH"]) / "media"
    (media / "later.jpg").write_bytes(b"uploaded after the backup")
    inode = media.stat().st_ino
    monkeypatch.setattr("editorial.backups.os.path.ismount", lambda path: Path(path) == media)
    code, output = invoke(any_app, "restore", "--from", str(newsroom_backup), "--force")
    assert code == 0, output
    assert media.stat().st_ino == inode
    assert list(files_under(media)) == ["photos/one.jpg"]
