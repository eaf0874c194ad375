"""Tests run in random order, so what the app keeps per process must not leak between them."""

from __future__ import annotations

import pytest

# Two tests in a fixed order: the first leaves the state dirty, the second needs it clean.
LEAKY_PAIR = """
from datetime import UTC, datetime

from editorial import jobs
from editorial.services import publishing

INSTANT = datetime(2030, 1, 1, tzinfo=UTC)


def test_first_leaves_state_behind():
    jobs._broker_down_until = float("inf")  # as after a failed enqueue
    for _ in range(publishing.WAKE_UPS_PER_INSTANT):
        publishing._wake_ups.queued(INSTANT)


def test_second_starts_clean():
    assert jobs._broker_down_until == 0.0
    assert publishing._wake_ups.wanted(INSTANT)
"""


def test_module_state_is_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import _fresh_module_state  # noqa: F401")
    pytester.makepyfile(test_leaky_pair=LEAKY_PAIR)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
