"""The Nu HTML Checker (vnu-jar, the machine's Java) finds no errors in the served HTML."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ACTION_TIMEOUT_MS, PAGES, VNU, need

pytestmark = pytest.mark.browser

# C1 only: the checker runs once per session, so the JIT's later tiers never pay off; the
# checker needs a larger thread stack than C1's default for its schema.
JAVA = ["java", "-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(VNU)]


@dataclass
class Checked:
    """One page: where it was, and the checker's messages (or why it could not be fetched)."""

    url: str = ""
    problem: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)


def served_html(page: Any) -> str:
    """The bytes the server sent for this page (not the browser's re-serialised DOM)."""
    response = page.context.request.get(page.url)
    if not response.ok:
        raise AssertionError(f"{page.url} answered {response.status}")
    return response.text()


def run_vnu(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """One checker run over local files (it refuses loopback URLs): messages per file name."""
    result = subprocess.run(
        [*JAVA, "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError) as error:
        raise AssertionError(f"vnu gave no report ({error}): {result.stderr[-2000:]!r}") from error
    found: dict[str, list[dict[str, Any]]] = {f.name: [] for f in files}
    for message in messages:
        found.setdefault(message.get("url", "").rsplit("/", 1)[-1], []).append(message)
    return found


@pytest.fixture(scope="module")
def checked(browser: Any, live_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Fetch every page once, then check them all in a single JVM start (it costs seconds)."""
    need("java", shutil.which("java") is not None, "apt-get install default-jre-headless")
    need("vnu-jar", VNU.is_file(), "./scripts/test-deps installs it from npm")
    folder = tmp_path_factory.mktemp("vnu")
    pages: dict[str, Checked] = {}
    for name, open_page in PAGES.items():
        context = browser.new_context(base_url=live_stack.url)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        try:
            open_page(page)
            (folder / f"{name}.html").write_text(served_html(page), encoding="utf-8")
            pages[name] = Checked(url=page.url)
        except (Exception, pytest.fail.Exception) as error:  # one broken page, not all
            pages[name] = Checked(url=page.url, problem=f"{type(error).__name__}: {error}")
        finally:
            context.close()
    files = sorted(folder.glob("*.html"))
    report = run_vnu(files) if files else {}
    for name, page in pages.items():
        page.messages = report.get(f"{name}.html", [])
    yield pages


def describe(messages: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"line {m.get('lastLine', '?')}: {m.get('message')}  [{m.get('extract', '').strip()}]"
        for m in messages
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_no_markup_errors(name: str, checked: dict[str, Checked]) -> None:
    page = checked[name]
    assert not page.problem, f"could not fetch {name}: {page.problem}"
    errors = [m for m in page.messages if m.get("type") in {"error", "non-document-error"}]
    assert not errors, f"vnu on {name} ({page.url}):\n{describe(errors)}"
