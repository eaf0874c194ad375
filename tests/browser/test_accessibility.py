"""axe-core in Chromium: no serious or critical violations on the pages people use most."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import AXE, PAGES, need, screenshot

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


# With scripts off, Chromium runs no timers, and axe yields with setTimeout between rules: in
# such a page (only there: live scripts keep theirs) the checker's own timers run as microtasks.
TIMERS_FOR_AXE = """() => {
    const soon = (run, _ms, ...args) => { Promise.resolve().then(() => run(...args)); return 0; };
    window.setTimeout = soon;
    window.requestAnimationFrame = run => soon(run, 0, performance.now());
    window.requestIdleCallback = run => soon(run, 0, {didTimeout: false, timeRemaining: () => 50});
}"""
KEY_PAGES = ["homepage", "newsroom", "editor", "story", "queue"]
PHONE = {"width": 390, "height": 844}
SETTINGS = {  # (viewport, JavaScript); a desktop with JavaScript is test_no_serious_violations
    "desktop-no-js": (None, False),
    "phone": (PHONE, True),
    "phone-no-js": (PHONE, False),
}


def run_axe(page: Any, *, javascript: bool = True) -> list[dict[str, Any]]:
    """Evaluate axe's source in the page (DevTools evaluation is not bound by the page's CSP)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if not javascript:
            page.evaluate(TIMERS_FOR_AXE)
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


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("name", KEY_PAGES)
def test_no_serious_violations_on_a_phone_or_without_javascript(
    name: str, setting: str, new_context: Callable[..., Any]
) -> None:
    """The pages people use most, as a phone shows them (the Menu open) and with scripts off:
    what a reader or reporter on a slow phone, or with JavaScript blocked, gets."""
    need("axe-core", AXE.is_file(), "./scripts/test-deps installs it from npm")
    viewport, javascript = SETTINGS[setting]
    page = new_context(java_script_enabled=javascript).new_page()
    if viewport:
        page.set_viewport_size(viewport)
    PAGES[name](page)
    for menu in page.locator("header details > summary").all():
        if menu.is_visible():  # the phone's Menu (and the site's Sections), opened
            menu.click()
    screenshot(page, f"a11y-{name}-{setting}")
    violations = run_axe(page, javascript=javascript)
    assert not violations, f"axe on {name} ({setting}, {page.url}):\n{describe(violations)}"
