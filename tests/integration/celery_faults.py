"""A worker with faults injected, for the tests only.

`celery -A tests.integration.celery_faults.celery_app worker` is the production worker with one
step of publishing replaced, chosen by EDITORIAL_FAULT:

- `pause`: after the claiming UPDATE, before the commit, append the claimed ids as a line to
  EDITORIAL_FAULT_MARKER and hang (the test SIGKILLs the worker there); concurrent wake-ups
  may each claim part of the due stories, so each claim adds its own line;
- `fail_once`: the first publish in this process raises after the UPDATE (a database error in
  the middle of a publish), later ones succeed;
- `fail_headline:<text>`: any batch holding a story whose headline contains <text> raises.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Story
from editorial.services import publishing
from wsgi import app, celery_app  # noqa: F401  (the worker's -A target)

FAULT = os.environ.get("EDITORIAL_FAULT", "")
MARKER = Path(os.environ.get("EDITORIAL_FAULT_MARKER", os.devnull))
_record_published = publishing._record_published
_lock = threading.Lock()
_failed = []


class InjectedFault(RuntimeError):
    """Raised where a real publish could fail: after the claim, before the commit."""


def _faulty_record(rows: list, now) -> None:
    ids = [row.id for row in rows]
    if FAULT == "pause":
        with _lock, MARKER.open("a") as marker:
            marker.write(",".join(map(str, ids)) + "\n")
        time.sleep(600)
    elif FAULT == "fail_once":
        with _lock:
            first = not _failed
            _failed.append(ids)
        if first:
            MARKER.write_text(",".join(map(str, ids)))
            raise InjectedFault(f"injected failure publishing {ids}")
    elif FAULT.startswith("fail_headline:"):
        needle = FAULT.partition(":")[2]
        headlines = db.session.scalars(select(Story.headline).where(Story.id.in_(ids)))
        if any(needle in headline for headline in headlines):
            raise InjectedFault(f"injected failure: a story in {ids} contains {needle!r}")
    _record_published(rows, now)


publishing._record_published = _faulty_record
