"""What every media store offers: the photo files by area and key, and the public copies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Literal, Protocol

from flask import Response

# Originals are the files as uploaded (never served to readers); renditions are the re-encoded,
# metadata-free files made from them. Both are private: what readers get is decided per store.
Area = Literal["originals", "renditions"]
ORIGINALS: Area = "originals"
RENDITIONS: Area = "renditions"

MIMETYPES = {"avif": "image/avif", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
# A rendition's name is a hash of its bytes, so its content never changes: cache it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def mimetype_of(key: str) -> str:
    return MIMETYPES.get(key.rpartition(".")[2].lower(), "application/octet-stream")


class StoreUnavailable(Exception):
    """The store could not be reached or refused the request; the message says it plainly
    (for the log: people are shown their own sentence)."""


class MediaStore(Protocol):
    """The photo files. Keys are content-hashed names, so a write is idempotent."""

    # True: readers get copies made into a public place while a public story uses the photo
    # (publish/unpublish below do the work). False: the app checks every request (/media/<key>).
    public_copies: bool
    # Where readers fetch a public rendition: this plus the key.
    public_base: str

    def staging_folder(self) -> Path:
        """A local folder for an upload being received (then handed to put_file)."""
        ...

    def put_file(self, area: Area, key: str, staged: Path) -> None:
        """Store the staged file under `key`; the staged file is gone afterwards."""
        ...

    def put(self, area: Area, key: str, content: bytes) -> None: ...

    def exists(self, area: Area, key: str) -> bool: ...

    def local_copy(self, area: Area, key: str) -> AbstractContextManager[Path]:
        """The file as a local path for as long as the context lasts."""
        ...

    def delete(self, area: Area, key: str) -> None:
        """Remove the file; nothing happens if it is not there."""
        ...

    def send(self, area: Area, key: str, *, max_age: int | None = None) -> Response:
        """A response with the file (for staff pages and the local /media/ route)."""
        ...

    def publish(self, keys: Iterable[str]) -> None:
        """Make these renditions readable at public_base + key (a no-op without copies)."""
        ...

    def unpublish(self, keys: Iterable[str]) -> None:
        """Take these renditions' public copies down (a no-op without copies)."""
        ...

    def public_keys(self) -> Iterator[str]:
        """The keys that have a public copy now (none without copies)."""
        ...
