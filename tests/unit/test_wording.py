"""Codes said in words, and the newsroom named with one article."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from editorial.wording import EVENT_WORDS, event_words, the_newsroom
from editorial.workflow import TRANSITIONS


def test_every_code_the_services_record_has_words() -> None:
    source = "\n".join(p.read_text() for p in Path("editorial").rglob("*.py"))
    recorded = set(re.findall(r'record\(\s*"([a-z_]+\.[a-z_.]+)"', source))
    recorded |= set(re.findall(r'"(story\.(?:corrected|updated|edited))"', source))
    recorded |= {t.audit for t in TRANSITIONS.values()}
    assert recorded, "no audit codes found"
    assert recorded - set(EVENT_WORDS) == set()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("story.edited", "Edited the text"),
        ("story.published.scheduled", "Published by the scheduler"),
        ("staff.signed_in", "Signed in"),
        ("staff.something_new", "Something new"),  # unknown: its last part, in words
        ("weird", "Weird"),
        ("story.", "Something happened"),
    ],
)
def test_event_words(code: str, words: str) -> None:
    assert event_words(code) == words
    assert "." not in event_words(code) and "_" not in event_words(code)


@pytest.mark.parametrize(
    ("site", "said"),
    [
        ("The Dhaka Chronicle", "The Dhaka Chronicle newsroom"),
        ("the Paper", "the Paper newsroom"),
        ("Daily Star", "the Daily Star newsroom"),
        ("Theatre Weekly", "the Theatre Weekly newsroom"),
    ],
)
def test_the_newsroom_has_one_article(site: str, said: str) -> None:
    assert the_newsroom(site) == said
