"""`flask backup create --to PATH` and `flask backup restore --from PATH [--force]`.

One archive holds the database (SQLite's online backup, or pg_dump's custom format) and the
media folder, with a manifest of checksums. A restore verifies the whole archive, stages the
database and media beside the live ones, migrates the staged database forward, and only then
swaps them in; it refuses a database newer than the code, or a non-empty target without --force.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import NoReturn

import click
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import URL

from editorial.backups.archive import (
    BackupError,
    Manifest,
    check_destination,
    copy_tree,
    read_archive,
    write_archive,
)
from editorial.backups.databases import Database, database_of, engine_for
from editorial.extensions import db
from editorial.mediastore import media_folder
from editorial.timeutil import utcnow

backup_cli = AppGroup("backup", help="Back up and restore the database and media.")


def live_database() -> Database:
    return database_of(db.engine.url)


def create_backup(destination: Path) -> Manifest:
    """Write one archive of the database and the media folder to `destination` (new file)."""
    check_destination(destination)
    database = live_database()
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".backup-") as folder:
        staging = Path(folder)
        revisions = database.dump(staging / database.member)
        media = media_folder()
        copied = copy_tree(media, staging / "media") if media.is_dir() else []
        manifest = Manifest(
            schema_revisions=revisions,
            dialect=database.dialect,
            database_member=database.member,
            created_at=utcnow().isoformat(),
            files={
                name: {} for name in [database.member, *(f"media/{p.as_posix()}" for p in copied)]
            },
        )
        write_archive(staging, manifest, destination)
    return manifest


def _migrations() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def check_schema(manifest: Manifest) -> None:
    """Older revisions are migrated forward after staging; unknown ones are from newer code."""
    if not manifest.schema_revisions:
        raise BackupError("the archive's database was never migrated; it holds no newsroom.")
    script = _migrations()
    for revision in manifest.schema_revisions:
        try:
            script.get_revision(revision)
        except CommandError as error:
            heads = ", ".join(script.get_heads())
            raise BackupError(
                f"the archive's schema revision {revision} is newer than this code knows "
                f"(its newest is {heads}). Restore it with the editorial version that made it."
            ) from error


def _upgrade(url: URL) -> None:
    """Migrate the staged database (not the live one) to the code's head."""
    config = current_app.extensions["migrate"].migrate.get_config()
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        engine.dispose()


def _check_target(manifest: Manifest, database: Database, force: bool) -> None:
    if manifest.dialect != database.dialect:
        raise BackupError(
            f"the archive holds a {manifest.dialect} database; this app uses {database.dialect}."
        )
    check_schema(manifest)
    if not force and not database.is_empty():
        raise BackupError(
            "the target database already holds data; restoring would replace all of it. "
            "Stop the web and worker processes and run again with --force to replace it."
        )


def _swap_media(staged: Path, media: Path, aside: Path) -> None:
    """Put the archive's media folder in place; the old one ends in `aside` (deleted later).

    A folder is swapped by two renames; a mount point (a container volume) cannot be renamed,
    so its contents are moved out and the archive's moved in."""
    staged.mkdir(exist_ok=True)
    if os.path.ismount(media):
        aside.mkdir()
        for entry in list(media.iterdir()):
            shutil.move(entry, aside / entry.name)
        for entry in list(staged.iterdir()):
            shutil.move(entry, media / entry.name)
        return
    if media.exists():
        shutil.move(media, aside)
    media.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staged, media)


def restore_backup(source: Path, *, force: bool = False) -> Manifest:
    """Replace the database and media with the archive's, or change nothing at all."""
    database = live_database()
    instance = Path(current_app.config["INSTANCE_PATH"])
    with tempfile.TemporaryDirectory(dir=instance, prefix=".restore-") as folder:
        staging = Path(folder)
        manifest = read_archive(source, staging / "archive")
        _check_target(manifest, database, force)
        staged = database.stage(staging / "archive" / manifest.database_member)
        try:
            _upgrade(staged)
        except Exception as error:
            database.discard(staged)
            raise BackupError(
                f"the archive's database could not be migrated to this code's schema: {error}"
            ) from error
        db.session.remove()
        db.engine.dispose()  # this process's connections point at the database being replaced
        database.swap(staged)
        _swap_media(staging / "archive" / "media", media_folder(), staging / "old-media")
    return manifest


def _describe(manifest: Manifest) -> str:
    size = sum(int(entry["size"]) for entry in manifest.files.values())
    return (
        f"{manifest.dialect} database at schema {', '.join(manifest.schema_revisions)}, "
        f"{len(manifest.media_members())} media files, {size / 1e6:.1f} MB, "
        f"taken {manifest.created_at}"
    )


def archive_path(destination: Path) -> Path:
    """Where `--to` means the archive to go: into an existing folder, under a name of the
    time; else the file named, which must say it is a .tar.gz (a folder meant but mistyped
    would otherwise become an archive of that name)."""
    if destination.is_dir():
        return destination / f"editorial-{utcnow():%Y%m%dT%H%M%SZ}.tar.gz"
    if not destination.name.endswith(".tar.gz"):
        raise BackupError(
            f"{destination} is not a folder, and a backup's file name ends in .tar.gz: give"
            f" an existing folder, or a name such as {destination.name}.tar.gz."
        )
    return destination


def _fail(error: BackupError) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    raise SystemExit(1)


@backup_cli.command("create")
@click.option("--to", "destination", required=True, type=click.Path(path_type=Path))
def create_command(destination: Path) -> None:
    """Write a backup archive (a new .tar.gz file, or one named by the time in a folder
    given) of the database and the media folder."""
    try:
        destination = archive_path(destination.absolute())
        manifest = create_backup(destination)
    except BackupError as error:
        _fail(error)
    click.echo(f"backup written to {destination}: {_describe(manifest)}")
    if bucket := current_app.config.get("MEDIA_S3_BUCKET"):
        click.echo(
            f"note: photos live in the S3 bucket {bucket!r}, not in this archive: back up its"
            " originals/ and renditions/ with the bucket's own versioning or replication"
            " (public/ is rebuilt from the database by the media:public sweep)."
        )


@backup_cli.command("restore")
@click.option("--from", "source", required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup archive: verified first, swapped in whole, migrated to this code."""
    try:
        manifest = restore_backup(source.absolute(), force=force)
    except BackupError as error:
        _fail(error)
    click.echo(f"restored {source}: {_describe(manifest)}")
