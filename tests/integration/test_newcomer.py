"""The README's command line as a newcomer runs it (issue 8, "Newcomer bugs").

A fresh checkout (the repository's files, none it ignores: no .venv, instance/ or .env), the
commands typed from its root with only the virtualenv's bin on PATH and nothing exported. In
development the CLI gets its defaults from `.flaskenv`; outside it, every entry point still
refuses to start without SECRET_KEY. And building the package (what `pip install` does) is
clean and ships the templates and static files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # the virtualenv the tests run in, not resolved
REFUSAL = "SECRET_KEY is not set"
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation"]
MAHMUD = "mahmud.hasan@editorial.local"
STAFF_CREATE = [
    "flask", "staff", "create", "--email", MAHMUD,
    "--name", "Mahmud Hasan", "--role", "reporter", "--desk", "city",
    "--password", "a-long-enough-password",
]  # fmt: skip


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What a clone holds: tracked and new files, without anything .gitignore leaves out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    target = tmp_path / "editorial"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def newcomer(checkout: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    """Run a command from the checkout's root with a clean environment plus `env`."""
    assert (VENV_BIN / command[0]).exists(), f"{command[0]} is not in {VENV_BIN}"
    clean = {"PATH": os.pathsep.join([str(VENV_BIN), "/usr/bin", "/bin"]), "HOME": str(checkout)}
    return subprocess.run(
        command,
        cwd=checkout,
        env=clean | {"LANG": "C.UTF-8"} | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_readme_commands_work_on_the_development_defaults(checkout: Path) -> None:
    """`make run`'s first steps, then the README's own commands: no SECRET_KEY, no
    EDITORIAL_ENV, and everything lands in the checkout's instance/ folder."""
    succeeded(newcomer(checkout, "flask", "db", "upgrade"))
    assert "added 3 generated published stories" in succeeded(
        newcomer(checkout, "flask", "demo", "--stories", "3")
    )
    assert f"created {MAHMUD}" in succeeded(newcomer(checkout, *STAFF_CREATE))
    # The README's other commands, as listed there.
    succeeded(newcomer(checkout, "flask", "desks", "create", "--name", "Metro"))
    # Says what is due, or that nothing is: never silence.
    assert succeeded(newcomer(checkout, "flask", "publish-due", "--dry-run")).strip()
    succeeded(newcomer(checkout, "flask", "staff", "deactivate", "--email", MAHMUD))
    again = succeeded(newcomer(checkout, "flask", "staff", "deactivate", "--email", MAHMUD))
    assert f"{MAHMUD} is already deactivated" in again

    instance = checkout / "instance"
    assert (instance / "secret_key").stat().st_size > 32  # the development secret, made once
    with sqlite3.connect(instance / "editorial.sqlite3") as database:
        (active,) = database.execute(
            "SELECT is_active FROM staff WHERE email = ?", (MAHMUD,)
        ).fetchone()
        (desks,) = database.execute("SELECT count(*) FROM desks WHERE slug = 'metro'").fetchone()
        (published,) = database.execute(
            "SELECT count(*) FROM stories WHERE state = 'published'"
        ).fetchone()
    assert not active and desks == 1 and published >= 3


@pytest.mark.parametrize(
    ("command", "env"),
    [
        pytest.param(STAFF_CREATE, {"EDITORIAL_ENV": "production"}, id="flask-production"),
        # gunicorn and celery never read .flaskenv: production is their default.
        pytest.param(["gunicorn", "--check-config", "wsgi:app"], {}, id="gunicorn"),
        pytest.param(["celery", "-A", "wsgi.celery_app", "report"], {}, id="celery"),
    ],
)
def test_production_refuses_to_start_without_a_secret(
    checkout: Path, command: list[str], env: dict[str, str]
) -> None:
    result = newcomer(checkout, *command, **env)
    assert result.returncode != 0
    assert REFUSAL in result.stderr, result.stderr
    assert not (checkout / "instance" / "secret_key").exists()


def test_the_package_builds_cleanly_with_every_file(checkout: Path, tmp_path: Path) -> None:
    """No setuptools "Package would be ignored" warnings, and every module, template and static
    file in the wheel (a new subpackage missing from `packages` fails here too)."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(wheels), str(checkout)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = build.stdout + build.stderr
    assert build.returncode == 0, output
    assert "would be ignored" not in output and "SetuptoolsDeprecationWarning" not in output
    (wheel,) = wheels.glob("editorial-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    # The checkout holds no bytecode or build output: every file of the package is source.
    expected = {
        *(f"editorial/templates/{p.relative_to(checkout / 'templates')}" for p in
          (checkout / "templates").rglob("*") if p.is_file()),
        *(str(p.relative_to(checkout)) for p in
          (checkout / "editorial").rglob("*") if p.is_file()),
    }  # fmt: skip
    assert len(expected) > 100 and expected <= shipped, sorted(expected - shipped)
