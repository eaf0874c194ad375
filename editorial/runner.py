"""`make run`'s process manager: honcho with room for Celery's warm shutdown.

honcho sends SIGTERM to each process group on Ctrl-C and SIGKILL 5 s later; a Celery worker's
warm shutdown takes 5-7 s here, so the worker would be killed mid-task. 20 s gives it room.
"""

from __future__ import annotations

import sys

import honcho.manager
from honcho.command import main

KILL_WAIT_SECONDS = 20


def run() -> None:
    honcho.manager.KILL_WAIT = KILL_WAIT_SECONDS
    sys.argv = ["honcho", "start", *sys.argv[1:]]
    main()


if __name__ == "__main__":
    run()
