"""Full-text search gives the same stories on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import Story
from editorial.models.loading import load_missing
from editorial.search import matches, terms
from editorial.searchtext import document, words
from editorial.services.stories import StoryInput, create_story, save_story

STORIES = {
    "election": ("Election commission sets the date", "", "Voters in Dhaka go to the polls."),
    "elected": ("Mayor elected unopposed", "Chattogram result", "A quiet count."),
    "rain": ("ঢাকায় বৃষ্টি, জনজীবন বিপর্যস্ত", "", "আজ সকাল থেকে কিছু টানা বৃষ্টি।"),
    "budget": ("Budget: ২০২৫ সালের বাজেট পেশ", "The finance minister speaks", "Numbers."),
    "cricket": ("Tigers win the series", "A Dhaka triumph", "The Tigers beat the visitors."),
    "cafe": ("Café culture in Gulshan", "", "Coffee."),
}

QUERIES = {
    "election": {"election"},
    "ELECTION": {"election"},
    "elect": {"election", "elected"},
    "dhaka": {"election", "cricket"},
    "dhaka polls": {"election"},
    "dhaka, polls!": {"election"},
    "chattogram": {"elected"},  # standfirst
    "quiet": {"elected"},  # body
    "tigers visitors": {"cricket"},
    "বৃষ্টি": {"rain"},
    "ঢাকা": {"rain"},  # prefix of ঢাকায়
    "জনজীবন বিপর্যস্ত": {"rain"},
    "বাজেট": {"budget"},
    "২০২৫": {"budget"},
    "budget বাজেট": {"budget"},
    "কী": set(),  # not কি: a vowel sign is part of the word, never a word break
    "কি": {"rain"},  # prefix of কিছু
    "cafe": set(),  # accents are not folded, on either database
    "café": {"cafe"},
    "nothing-like-this": set(),
    "election বৃষ্টি": set(),
}


@pytest.fixture
def archive(make) -> dict[str, int]:
    desk = make.desk("Home")
    reporter = make.reporter(desk)
    return {
        key: create_story(
            StoryInput(headline=h, standfirst=s, body=b, desk_id=desk.id), actor=reporter
        ).id
        for key, (h, s, b) in STORIES.items()
    }


def found(query: str, archive: dict[str, int]) -> set[str]:
    condition = matches(query)
    assert condition is not None
    ids = set(db.session.scalars(select(Story.id).where(condition)))
    return {key for key, story_id in archive.items() if story_id in ids}


def test_same_matches_on_both_databases(any_app: Flask, archive: dict[str, int]) -> None:
    """English, prefixes, Bangla (marks inside words), mixed scripts: one archive, every query."""
    assert {query: found(query, archive) for query in QUERIES} == QUERIES


def test_queries_without_words_match_nothing(any_app: Flask) -> None:
    for query in ("", "   ", "!!!", "--", "'\"*:()&|"):
        assert matches(query) is None


def test_search_syntax_is_not_interpreted(any_app: Flask, archive: dict[str, int]) -> None:
    """FTS5 and tsquery operators in a query are plain text, never a syntax error."""
    for query in ('dhaka OR "polls', "dhaka & !polls", "dhaka:* | x", "NEAR(dhaka polls)"):
        found(query, archive)  # must not raise


def test_index_follows_edits(any_app: Flask, make, archive: dict[str, int]) -> None:
    story = db.session.get(Story, archive["cricket"])
    load_missing(story, "authors")
    author = story.authors[0]
    save_story(
        story,
        StoryInput(
            headline="Tigers lose the final", body="Rain stopped play.", desk_id=story.desk_id
        ),
        actor=author,
        expected_version=story.version,
    )
    assert found("series", archive) == set()
    assert found("final rain", archive) == {"cricket"}


def test_terms_are_capped_and_normalised() -> None:
    assert terms("Dhaka  DHAKA, dhaka!") == ["dhaka"]
    assert len(terms(" ".join(f"w{n}" for n in range(20)))) == 8


# য় ড় ঢ় as one code point each (what many Bangla keyboards type) and as consonant + nukta
# (what NFC/NFKC make of them: U+09DC, U+09DD and U+09DF are composition exclusions).
PRECOMPOSED = "বিজ\u09df পাহা\u09dc আষা\u09dd"
DECOMPOSED = "বিজ\u09af\u09bc পাহা\u09a1\u09bc আষা\u09a2\u09bc"


@pytest.fixture
def bangla(make) -> dict[str, int]:
    desk = make.desk("Home")
    reporter = make.reporter(desk)
    stories = {
        "precomposed": (f"{PRECOMPOSED} দিবস", "", "বিজয় উৎসব।"),
        "decomposed": (f"{DECOMPOSED} মেলা", "", "পাহাড়ে মেলা।"),
        "ascii digits": ("Budget 2026 passed", "", "Numbers for 2026-27."),
        "bangla digits": ("বাজেট ২০২৬ পাস", "", "২০২৬-২৭ অর্থবছর।"),
    }
    return {
        key: create_story(
            StoryInput(headline=h, standfirst=s, body=b, desk_id=desk.id), actor=reporter
        ).id
        for key, (h, s, b) in stories.items()
    }


@pytest.mark.parametrize("form", [PRECOMPOSED, DECOMPOSED], ids=["precomposed", "decomposed"])
def test_bangla_nukta_letters_match_in_either_form(
    any_app: Flask, bangla: dict[str, int], form: str
) -> None:
    """A story typed with য় as one code point or as য + ় is found by a query in either form."""
    for word in form.split():
        assert found(word, bangla) == {"precomposed", "decomposed"}, word


@pytest.mark.parametrize("query", ["2026", "২০২৬", "২০২৬ 27", "2026 ২৭"])
def test_digits_of_either_script_match_each_other(
    any_app: Flask, bangla: dict[str, int], query: str
) -> None:
    assert found(query, bangla) == {"ascii digits", "bangla digits"}


def test_index_follows_edits_with_the_same_normalisation(
    any_app: Flask, bangla: dict[str, int]
) -> None:
    story = db.session.get(Story, bangla["ascii digits"])
    load_missing(story, "authors")
    save_story(
        story,
        StoryInput(headline=f"{PRECOMPOSED} ১৯৭১", body="", desk_id=story.desk_id),
        actor=story.authors[0],
        expected_version=story.version,
    )
    assert found("1971", bangla) == {"ascii digits"}
    assert found(DECOMPOSED.split()[0], bangla) == {"precomposed", "decomposed", "ascii digits"}


def test_stories_and_queries_are_cut_by_one_rule() -> None:
    assert words(PRECOMPOSED) == words(DECOMPOSED) == terms(DECOMPOSED)
    fullwidth = "\uff12\uff10\uff12\uff16"
    assert words(f"Straße ২০২৬ ٢٠٢٦ {fullwidth}, x²") == ["strasse", "2026", "2026", "2026", "x2"]
    assert document("Head", "Stand-first", "Body\x00text") == "head stand first body text"
