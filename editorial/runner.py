"""`make run`'s process manager: honcho with room for Celery's warm shutdown.

honcho sends SIGTERM to each process group on Ctrl-C and SIGKILL 5 s later; a Celery worker's
warm shutdown takes 5-7 s here, so the worker would be killed mid-task. 20 s gives it room.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import honcho.manager
from honcho.command import main

from editorial.config import DEFAULT_PORT, site_url

KILL_WAIT_SECONDS = 20


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What every process starts with: the web's PORT, and SITE_URL following it unless set.

    honcho gives each process its own PORT (web 5000, worker 5100, scheduler 5200), so a worker
    left to derive its links from PORT would mail dead ones: SITE_URL is fixed here, once.
    """
    port = environ.get("PORT") or DEFAULT_PORT
    return {"PORT": port, "SITE_URL": site_url({**environ, "PORT": port})}


def run() -> None:
    os.environ.update(environment(os.environ))
    honcho.manager.KILL_WAIT = KILL_WAIT_SECONDS
    sys.argv = ["honcho", "start", *sys.argv[1:]]  # honcho reads PORT from the environment
    main()


if __name__ == "__main__":
    run()
