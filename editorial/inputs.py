"""What a request carries, made safe to store before any view reads it.

Control characters (NUL above all: PostgreSQL refuses it in text) arrive in pasted text from
PDFs and word processors, and from anyone probing the site; they carry no meaning a reader could
see. So every query-string and form value is cleaned once, where Werkzeug decodes it, and every
view, form and future field gets the same treatment without having to remember it. Tab, newline
and carriage return stay: they are how text is laid out. URL path segments with a control
character match no route (404).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request, current_app, has_app_context
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Map, UnicodeConverter

# C0 controls but tab, LF and CR; DEL; and the two non-characters XML and feeds cannot carry.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """The text without control characters; everything a person can see is kept."""
    return CONTROL.sub("", text)


class CleanMultiDict(ImmutableMultiDict):
    """Decoded form or query parameters, with control characters stripped from every value
    (and name). Uploaded files pass through untouched."""

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
            return
        items = mapping.items(multi=True) if hasattr(mapping, "items") else mapping
        super().__init__([(_clean(key), _clean(value)) for key, value in items])


def _clean(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


# Views that take a file: their body may be this config value plus the form around the file;
# every other request keeps MAX_CONTENT_LENGTH. Decided from the URL, before the body is read.
LARGE_BODIES = {
    "newsroom.upload_media": "PHOTO_MAX_BYTES",
    "newsroom.replace_media": "PHOTO_MAX_BYTES",
}
FORM_ALLOWANCE = 1024 * 1024


class CleanRequest(Request):
    """Flask's request with cleaned `args` and `form` (and so `values`), and a larger body
    limit for the upload views."""

    parameter_storage_class = CleanMultiDict

    @property
    def max_content_length(self) -> int | None:
        setting = LARGE_BODIES.get(self.endpoint or "")
        if setting and has_app_context() and self._max_content_length is None:
            return int(current_app.config[setting]) + FORM_ALLOWANCE
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


class PrintableConverter(UnicodeConverter):
    """The default `string` URL converter, minus control characters: such a path is a 404,
    never a string that reaches the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")
