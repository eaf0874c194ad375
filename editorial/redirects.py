"""Redirect targets taken from a request (`?next=`): this site's own paths only.

Browsers repair URLs before following them: they drop tabs and newlines anywhere, strip leading
and trailing spaces and controls, and read a backslash as a slash. So `/\\t/evil.example` and
`/\\evil.example` both mean `//evil.example`, another host. The target is first read the way a
browser would, then parsed; only a path without scheme or host survives, rebuilt from its
parts and percent-encoded, so what we send is exactly what we checked.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

MAX_TARGET = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Printable ASCII that may stay as it is in each part; everything else is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


def local_path(target: str | None) -> str | None:
    """`target` as a path on this site, or None if it is empty, too long or points elsewhere."""
    if not target or len(target) > MAX_TARGET or _CONTROL.search(target):
        return None
    parts = urlsplit(target.strip().replace("\\", "/"))
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    path = quote(parts.path, safe=_PATH_SAFE)
    if path.startswith("//"):  # e.g. "///evil.example": a network path to a browser
        return None
    return urlunsplit(
        ("", "", path, quote(parts.query, safe=_QUERY_SAFE), quote(parts.fragment, _QUERY_SAFE))
    )
