"""Where media files live on disk: originals (private) and renditions (public), under one folder
that backups copy whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app


def media_folder() -> Path:
    """Where uploaded media (photos) live: MEDIA_PATH, or instance/media."""
    configured = current_app.config.get("MEDIA_PATH")
    return Path(configured or Path(current_app.config["INSTANCE_PATH"]) / "media")


def originals() -> Path:
    """Uploaded files as they came: never served to anyone."""
    return media_folder() / "originals"


def renditions() -> Path:
    """Re-encoded, metadata-free files, served at /media/<key> once a public story uses them."""
    return media_folder() / "renditions"


def staging_file(folder: Path) -> Path:
    """A new empty file in `folder` (created if missing), renamed into place when complete, so
    a reader never sees half a file and a crash leaves only a stray temporary."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    os.close(handle)
    return Path(name)


def write_file(path: Path, content: bytes) -> None:
    """Write `content` at `path` all at once (through a temporary file and a rename)."""
    staging = staging_file(path.parent)
    staging.write_bytes(content)
    os.replace(staging, path)
