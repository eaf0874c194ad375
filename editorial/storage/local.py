"""Photo files on the local filesystem (MEDIA_PATH, or instance/media): today's behaviour.

Nothing is copied anywhere at publish time: `/media/<key>` asks the database on every request
whether a public story uses the photo, and answers 404 until one does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from flask import Response, send_from_directory

from editorial import mediastore
from editorial.storage.base import ORIGINALS, Area, mimetype_of


def _folder(area: Area) -> Path:
    return mediastore.originals() if area == ORIGINALS else mediastore.renditions()


class LocalStore:
    public_copies = False

    def __init__(self, public_base: str = "/media/") -> None:
        self.public_base = public_base

    def staging_folder(self) -> Path:
        # Beside the originals: the staged upload is renamed into place (same filesystem).
        return mediastore.originals()

    def put_file(self, area: Area, key: str, staged: Path) -> None:
        folder = _folder(area)
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(staged, folder / key)  # same content, same name: a re-upload is free

    def put(self, area: Area, key: str, content: bytes) -> None:
        mediastore.write_file(_folder(area) / key, content)

    def exists(self, area: Area, key: str) -> bool:
        return (_folder(area) / key).is_file()

    def local_copy(self, area: Area, key: str) -> AbstractContextManager[Path]:
        return nullcontext(_folder(area) / key)

    def delete(self, area: Area, key: str) -> None:
        (_folder(area) / key).unlink(missing_ok=True)

    def send(self, area: Area, key: str, *, max_age: int | None = None) -> Response:
        return send_from_directory(_folder(area), key, mimetype=mimetype_of(key), max_age=max_age)

    def publish(self, keys: Iterable[str]) -> None:
        """Nothing to copy: the /media/ route checks each request."""

    def unpublish(self, keys: Iterable[str]) -> None:
        """Nothing to remove: the /media/ route checks each request."""

    def public_keys(self) -> Iterator[str]:
        return iter(())
