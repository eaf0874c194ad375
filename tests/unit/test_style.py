"""The house-style rules (editorial.style), one by one, and the admin's settings parser."""

from __future__ import annotations

import pytest

from editorial.style import RULES, StoryCopy, StyleSettings, failures, parse_settings

GOOD = StoryCopy(
    headline="Padma bridge toll revenue crosses Tk 2,000 crore",
    standfirst="Traffic is up a fifth.",
    byline="Staff Reporter",
    dateline="DHAKA",
    body_words=400,
    has_photo=True,
    photo_credit="Star photo",
    photo_alt="Cars on the bridge",
)
ALL = StyleSettings(True, True, True, True, headline_max=60, body_min_words=300)


def copy(**changes: object) -> StoryCopy:
    return StoryCopy(**{**GOOD.__dict__, **changes})


def test_a_good_story_passes_every_rule() -> None:
    assert failures(ALL, GOOD) == []


def test_no_settings_no_checks() -> None:
    empty = copy(headline="x" * 300, standfirst="", byline="", dateline="", body_words=0)
    assert failures(StyleSettings(), empty) == []
    assert StyleSettings().is_empty and not ALL.is_empty


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"dateline": ""}, "The dateline is missing."),
        ({"dateline": "   "}, "The dateline is missing."),
        (
            {"dateline": "Dhaka"},
            "The dateline's place should be in capitals: “DHAKA”, not “Dhaka”.",
        ),
        ({"byline": " "}, "The byline is missing."),
        ({"standfirst": ""}, "The standfirst is missing."),
        ({"headline": "x" * 61}, "The headline has 61 characters; this desk's limit is 60."),
        ({"body_words": 299}, "The body has 299 words; this desk asks for at least 300."),
        ({"photo_credit": ""}, "The lead photo has no credit."),
        ({"photo_alt": ""}, "The lead photo has no alt text."),
        ({"photo_credit": "", "photo_alt": ""}, "The lead photo has no credit and no alt text."),
    ],
)
def test_each_rule_says_what_fails(changes: dict, expected: str) -> None:
    assert failures(ALL, copy(**changes)) == [expected]


@pytest.mark.parametrize(
    "dateline", ["DHAKA", "COX'S BAZAR", "DHAKA, Dec 1", "CHATTOGRAM, 1 December", "ঢাকা"]
)
def test_datelines_in_capitals_pass(dateline: str) -> None:
    assert failures(ALL, copy(dateline=dateline)) == []


def test_limits_are_inclusive_and_photo_rule_needs_a_photo() -> None:
    assert failures(ALL, copy(headline="x" * 60, body_words=300)) == []
    assert failures(ALL, copy(has_photo=False, photo_credit="", photo_alt="")) == []


def test_failures_come_in_checklist_order() -> None:
    bad = copy(headline="x" * 61, standfirst="", byline="", dateline="", body_words=1)
    assert len(failures(ALL, bad)) == 5
    assert failures(ALL, bad)[0].startswith("The headline")
    assert len(RULES) == 6


def test_parse_settings() -> None:
    settings, errors = parse_settings(
        {"needs_dateline": "1", "headline_max": " 80 ", "body_min_words": ""}
    )
    assert errors == {}
    assert settings == StyleSettings(needs_dateline=True, headline_max=80)


@pytest.mark.parametrize("raw", ["-5", "0", "abc", "1.5", "1e3", "99999999999999999999", "\uff15"])
def test_impossible_numbers_are_refused(raw: str) -> None:
    _, errors = parse_settings({"headline_max": raw, "body_min_words": raw})
    assert set(errors) == {"headline_max", "body_min_words"}
    assert "is not a usable number; enter a whole number from 1 to 200" in errors["headline_max"]
    assert "from 1 to 100,000" in errors["body_min_words"]
