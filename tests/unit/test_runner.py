"""`make run`'s runner: SITE_URL follows the web's PORT for every process honcho starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from editorial.runner import environment

# Each process records its PORT and SITE_URL, then waits for the others: honcho stops them all
# as soon as one exits.
RECORD = """
import json, os, pathlib, sys, time
folder = pathlib.Path(sys.argv[1])
seen = [os.environ["PORT"], os.environ["SITE_URL"]]
(folder / (sys.argv[2] + ".json")).write_text(json.dumps(seen))
deadline = time.monotonic() + 30
while len(list(folder.glob("*.json"))) < 3 and time.monotonic() < deadline:
    time.sleep(0.05)
"""


def test_site_url_follows_port_unless_set() -> None:
    assert environment({}) == {"PORT": "5000", "SITE_URL": "http://127.0.0.1:5000"}
    assert environment({"PORT": "8000"}) == {"PORT": "8000", "SITE_URL": "http://127.0.0.1:8000"}
    assert environment({"PORT": "8000", "SITE_URL": "https://news.example/"}) == {
        "PORT": "8000",
        "SITE_URL": "https://news.example",
    }


def test_every_process_links_to_the_web_port_though_honcho_gives_each_its_own(
    tmp_path: Path,
) -> None:
    script = tmp_path / "record.py"
    script.write_text(RECORD)
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "".join(
            f"{name}: {sys.executable} {script} {tmp_path} {name}\n"
            for name in ("web", "worker", "scheduler")
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"} | {"PORT": "8000"}
    result = subprocess.run(
        [sys.executable, "-m", "editorial.runner", "-f", str(procfile)],
        cwd=tmp_path,  # honcho reads a .env there: not a developer's own
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = {p.stem: tuple(json.loads(p.read_text())) for p in tmp_path.glob("*.json")}
    assert seen == {
        "web": ("8000", "http://127.0.0.1:8000"),
        "worker": ("8100", "http://127.0.0.1:8000"),
        "scheduler": ("8200", "http://127.0.0.1:8000"),
    }
