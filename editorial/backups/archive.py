"""The backup archive: a gzip'd tar whose first member, manifest.json, lists every other file
with its size and sha256. Nothing in an archive is trusted until every checksum matched."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

FORMAT = "editorial-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# Photos and pg_dump's output are compressed already; only SQLite's file gains from more work.
GZIP_LEVEL = 1
INVALID_MANIFEST = "the archive's manifest is not a valid editorial manifest."


class BackupError(Exception):
    """A problem the operator can fix; the message says what, in plain words."""


@dataclass
class Manifest:
    """What an archive holds: format, schema revision, when, and every file's checksum."""

    schema_revisions: list[str]
    dialect: str
    database_member: str
    created_at: str
    files: dict[str, dict[str, int | str]] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def media_members(self) -> list[str]:
        return sorted(name for name in self.files if name.startswith("media/"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_destination(path: Path) -> None:
    """Refuse before any work: a backup never overwrites, and must have somewhere to go."""
    if path.exists() or path.is_symlink():
        raise BackupError(f"{path} already exists; a backup never overwrites. Choose a new name.")
    parent = path.parent
    if not parent.is_dir():
        raise BackupError(f"{parent} is not a folder, so {path} cannot be written.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BackupError(f"{parent} is not writable, so {path} cannot be written.")


def write_archive(staging: Path, manifest: Manifest, destination: Path) -> None:
    """Tar `staging` (already holding every file of the manifest) into `destination`.

    The archive is written beside the destination under a temporary name and linked into
    place at the end: a crash leaves no half archive under the real name, and a file that
    appeared meanwhile is still not overwritten (link fails where rename would clobber).
    """
    for name in manifest.files:
        file = staging / name
        manifest.files[name] = {"size": file.stat().st_size, "sha256": sha256_of(file)}
    body = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
    (staging / MANIFEST).write_bytes(body)
    try:
        handle, partial = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    except OSError as error:
        raise BackupError(f"cannot write in {destination.parent}: {error.strerror}") from error
    try:
        with os.fdopen(handle, "wb") as raw:
            _write_tar(raw, staging, [MANIFEST, *manifest.files])
            raw.flush()
            os.fsync(raw.fileno())
        os.link(partial, destination)
    except FileExistsError as error:
        raise BackupError(f"{destination} appeared while the backup was written.") from error
    except OSError as error:  # a full disk, say
        raise BackupError(f"could not write {destination}: {error.strerror}") from error
    finally:
        os.unlink(partial)


def _write_tar(raw: BinaryIO, staging: Path, names: list[str]) -> None:
    with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=GZIP_LEVEL) as tar:
        for name in names:
            tar.add(staging / name, arcname=name, recursive=False)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the archive holds a file with an unsafe name: {name!r}")
    return str(path)


def _well_formed(data: Any) -> bool:
    """The manifest's JSON has the shapes the rest of the code reads."""
    if not isinstance(data, dict):
        return False
    files, revisions = data.get("files"), data.get("schema_revisions")
    return (
        isinstance(files, dict)
        and all(isinstance(entry, dict) for entry in files.values())
        and isinstance(revisions, list)
        and all(isinstance(revision, str) for revision in revisions)
    )


def _parse_manifest(raw: bytes) -> Manifest:
    try:
        data = json.loads(raw)
        manifest = Manifest(**data) if _well_formed(data) else None
    except (ValueError, TypeError) as error:
        raise BackupError(INVALID_MANIFEST) from error
    if manifest is None:
        raise BackupError(INVALID_MANIFEST)
    if manifest.format != FORMAT:
        raise BackupError(f"this is not an editorial backup (format {manifest.format!r}).")
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(
            f"the archive has format version {manifest.format_version}; this code reads "
            f"version {FORMAT_VERSION}. Use the editorial version that wrote it."
        )
    return manifest


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> str:
    """Copy one regular file out of the archive, returning its sha256."""
    if not member.isfile():
        raise BackupError(f"the archive holds something other than a file: {member.name!r}")
    target = into / _safe_name(member.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    assert source is not None  # a regular file always has contents
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def read_archive(path: Path, into: Path) -> Manifest:
    """Extract `path` into the folder `into` and verify it; raise BackupError on any doubt."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            return _verify_members(tar, into)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(
            f"{path} is not a complete backup archive (truncated or not a .tar.gz): {error}"
        ) from error


def _verify_members(tar: tarfile.TarFile, into: Path) -> Manifest:
    members = iter(tar)
    first = next(members, None)
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError("this is not an editorial backup: it has no manifest.json first.")
    source = tar.extractfile(first)
    assert source is not None
    manifest = _parse_manifest(source.read())
    seen: dict[str, str] = {}
    for member in members:
        if member.name not in manifest.files or member.name in seen:
            raise BackupError(f"the archive holds a file its manifest does not list: {member.name}")
        if member.size != manifest.files[member.name].get("size"):
            raise BackupError(f"{member.name} is not the size its manifest says: it was altered.")
        seen[member.name] = _extract(tar, member, into)
    for name, expected in manifest.files.items():
        if name not in seen:
            raise BackupError(f"the archive is missing {name}, which its manifest lists.")
        if seen[name] != expected.get("sha256"):
            raise BackupError(f"{name} does not match its checksum: the archive was altered.")
    if manifest.database_member not in seen:
        raise BackupError("the archive's manifest names no database file it holds.")
    return manifest


def copy_tree(source: Path, into: Path) -> list[Path]:
    """Copy every regular file under `source` into `into`; the copied paths, relative."""
    copied = []
    for file in sorted(source.rglob("*")):
        if file.is_file() and not file.is_symlink():
            relative = file.relative_to(source)
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, into / relative)
            copied.append(relative)
    return copied
