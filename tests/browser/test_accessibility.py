"""axe-core in Chromium: no serious or critical violations on the pages people use most."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import AXE, PAGES, need, screenshot

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Evaluate axe's source in the page (DevTools evaluation is not bound by the page's CSP)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [v for v in results if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} - {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violations(name: str, new_context: Callable[..., Any]) -> None:
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    page = new_context().new_page()
    PAGES[name](page)
    screenshot(page, f"a11y-{name}")
    violations = run_axe(page)
    assert not violations, f"axe on {name} ({page.url}):\n{describe(violations)}"
