"""Where photo files are kept: the local filesystem (the default) or an S3-compatible bucket
(when MEDIA_S3_BUCKET is set). Services and views ask `media_store()`; nothing else knows which.

README "Photo storage" says how readers reach the files in each case and why nothing leaks.
"""

from __future__ import annotations

from flask import current_app

from editorial import mediastore
from editorial.storage.base import (
    IMMUTABLE,
    ORIGINALS,
    RENDITIONS,
    Area,
    MediaStore,
    StoreUnavailable,
    mimetype_of,
)

__all__ = [
    "IMMUTABLE",
    "ORIGINALS",
    "RENDITIONS",
    "Area",
    "MediaStore",
    "StoreUnavailable",
    "media_store",
    "mimetype_of",
    "public_base",
]

_EXTENSION = "editorial.media_store"


def media_store() -> MediaStore:
    """The app's store, made once per app (a boto3 client is reused across requests)."""
    store: MediaStore | None = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = _make()
        current_app.extensions[_EXTENSION] = store
    return store


def _make() -> MediaStore:
    config = current_app.config
    if config.get("MEDIA_S3_BUCKET"):
        from editorial.storage.s3 import S3Store, settings_of  # boto3 only when it is used

        return S3Store(settings_of(config), staging=mediastore.media_folder() / "incoming")
    from editorial.storage.local import LocalStore

    return LocalStore(config.get("MEDIA_PUBLIC_BASE_URL") or "/media/")


def public_base() -> str:
    """What a public rendition's URL starts with ("/media/", or a CDN's or bucket's URL)."""
    return media_store().public_base
