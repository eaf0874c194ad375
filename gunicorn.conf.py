"""gunicorn settings read by `gunicorn wsgi:app` from the working directory."""

from __future__ import annotations

from typing import Any


def child_exit(_server: Any, worker: Any) -> None:
    """A worker died: drop its live gauges from the shared metrics (multiprocess mode)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
