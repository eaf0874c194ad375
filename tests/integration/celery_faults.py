"""A worker with a fault injected, for the tests only.

`celery -A tests.integration.celery_faults.celery_app worker` is the production worker with one
step of publishing replaced, chosen by EDITORIAL_FAULT:

- `pause`: after the claiming UPDATE, before the commit, append the claimed ids as a line to
  EDITORIAL_FAULT_MARKER and hang (the test SIGKILLs the worker there); concurrent wake-ups
  may each claim part of the due stories, so each claim adds its own line. Scheduled
  publishes, scheduled unpublishes and scheduled updates (a chunk of text-only ones a line,
  one a line for those taking the whole save) alike.
- `pause-renditions`: after the third rendition file of a photo is written (whole frame or
  crop), before anything is committed, write the photo's id to EDITORIAL_FAULT_MARKER and hang
  (SIGKILLed there).

Database errors are not injected here: the tests make the database itself fail (a trigger,
tests/dbfaults.py), so the worker's own handling of the error is what runs.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from editorial.services import publishing, renditions, scheduled_updates, unpublishing
from wsgi import app, celery_app  # noqa: F401  (the worker's -A target)

FAULT = os.environ.get("EDITORIAL_FAULT", "")
MARKER = Path(os.environ.get("EDITORIAL_FAULT_MARKER", os.devnull))
_lock = threading.Lock()


def _pausing(record):
    """`record` (what a claimed chunk does before its commit), held up by the `pause` fault."""

    def faulty(rows: list, now):
        if FAULT == "pause":
            with _lock, MARKER.open("a") as marker:
                marker.write(",".join(str(row.id) for row in rows) + "\n")
            time.sleep(600)
        return record(rows, now)

    return faulty


publishing._record_published = _pausing(publishing._record_published)
unpublishing._record_withdrawn = _pausing(unpublishing._record_withdrawn)
_go_live = scheduled_updates.go_live


def _pausing_go_live(story, pending, rule, **kw):
    """A scheduled update's save onto the live copy, after its claim, held up by `pause`."""
    if FAULT == "pause":
        with _lock, MARKER.open("a") as marker:
            marker.write(f"{story.id}\n")
        time.sleep(600)
    return _go_live(story, pending, rule, **kw)


scheduled_updates.go_live = _pausing_go_live


_store = renditions._store
_stored = 0


def _faulty_store(photo, encoded, focal):
    global _stored
    stored = _store(photo, encoded, focal)
    _stored += 1
    if FAULT == "pause-renditions" and _stored == 3:
        MARKER.write_text(str(photo.id))
        time.sleep(600)
    return stored


renditions._store = _faulty_store
_write_live = scheduled_updates._write_live


def _pausing_write_live(going, editors):
    """A chunk of text-only updates written onto the live copies, after their claim."""
    if FAULT == "pause":
        with _lock, MARKER.open("a") as marker:
            marker.write(",".join(str(story.id) for story, _, _ in going) + "\n")
        time.sleep(600)
    return _write_live(going, editors)


scheduled_updates._write_live = _pausing_write_live
