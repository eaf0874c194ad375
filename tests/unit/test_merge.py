"""Issue 11: the three-way paragraph merge behind the editor's conflict page. Hypothesis edits
a base text on two sides and checks that nothing either side wrote is lost."""

from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher

import pytest
from hypothesis import given
from hypothesis import strategies as st

from editorial import merge
from editorial.merge import BOTH, CHOICES, MINE, THEIRS, Agreed, Conflict, merge3, merge_field

# A small alphabet of paragraphs makes repeats and clashes common (the hard cases).
paragraph = st.sampled_from([f"Paragraph {c}." for c in "ABCDEFGH"]) | st.text(
    alphabet="xyz *#-", min_size=1, max_size=12
).map(lambda s: f"Line {s.strip() or 'x'}")
texts = st.lists(paragraph, max_size=8)


def text(parts: list[str]) -> str:
    return merge.join(parts)


def added(base: list[str], other: list[str]) -> Counter[str]:
    """Paragraphs `other` wrote that the base does not have at that place."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return Counter(
        p for op, _, _, j1, j2 in matcher.get_opcodes() if op != "equal" for p in other[j1:j2]
    )


def contains(result: list[str], wanted: Counter[str]) -> bool:
    return not wanted - Counter(result)


def every(choice: str, result: merge.MergeResult) -> list[str]:
    return [choice] * len(result.conflicts)


@given(texts, texts)
def test_both_sides_making_the_same_edit_is_that_edit(base: list[str], same: list[str]) -> None:
    result = merge3(text(base), text(same), text(same))
    assert result.clean and merge.paragraphs(result.text()) == same


@given(texts, texts)
def test_if_only_one_side_changed_the_result_is_that_side(base: list[str], y: list[str]) -> None:
    for result in (
        merge3(text(base), text(base), text(y)),
        merge3(text(base), text(y), text(base)),
    ):
        assert result.clean and merge.paragraphs(result.text()) == y


@given(texts, texts, texts)
def test_keeping_both_never_drops_a_paragraph_either_side_wrote(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    result = merge3(text(base), text(mine), text(theirs))
    merged = result.resolved(every(BOTH, result))
    assert contains(merged, added(base, mine)) and contains(merged, added(base, theirs))


@given(texts, texts, texts)
def test_keeping_mine_keeps_every_paragraph_i_wrote_and_theirs_every_one_they_wrote(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    result = merge3(text(base), text(mine), text(theirs))
    assert contains(result.resolved(every(MINE, result)), added(base, mine))
    assert contains(result.resolved(every(THEIRS, result)), added(base, theirs))


@given(texts, texts, texts)
def test_a_clean_merge_keeps_what_both_wrote(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    result = merge3(text(base), text(mine), text(theirs))
    if result.clean:
        merged = result.resolved()
        assert contains(merged, added(base, mine)) and contains(merged, added(base, theirs))


@given(texts, texts, texts)
def test_the_merge_is_symmetric(base: list[str], mine: list[str], theirs: list[str]) -> None:
    forward = merge3(text(base), text(mine), text(theirs))
    backward = merge3(text(base), text(theirs), text(mine))
    assert len(forward.conflicts) == len(backward.conflicts)
    assert forward.resolved(every(MINE, forward)) == backward.resolved(every(THEIRS, backward))


@given(texts, texts, texts)
def test_hunks_hold_the_base_in_order_and_each_side_whole(
    base: list[str], mine: list[str], theirs: list[str]
) -> None:
    result = merge3(text(base), text(mine), text(theirs))
    assert [p for hunk in result.hunks for p in hunk.base] == base
    assert result.resolved(every(MINE, result)) == mine or any(
        isinstance(h, Agreed) and h.source == THEIRS for h in result.hunks
    )


@given(texts)
def test_paragraphs_round_trip(parts: list[str]) -> None:
    assert merge.paragraphs(text(parts)) == parts


def test_changes_to_different_paragraphs_merge_by_themselves() -> None:
    base = text(["One.", "Two.", "Three.", "Four."])
    mine = text(["One, edited by me.", "Two.", "Three.", "Four."])
    theirs = text(["One.", "Two.", "Three, edited by them.", "Four.", "Five, added by them."])
    result = merge3(base, mine, theirs)
    assert result.clean
    assert merge.paragraphs(result.text()) == [
        "One, edited by me.",
        "Two.",
        "Three, edited by them.",
        "Four.",
        "Five, added by them.",
    ]
    assert [h.source for h in result.hunks if isinstance(h, Agreed)] == [
        MINE,
        merge.UNCHANGED,
        THEIRS,
        merge.UNCHANGED,
        THEIRS,
    ]


def test_neighbouring_paragraphs_are_different_paragraphs() -> None:
    base = text(["One.", "Two."])
    result = merge3(base, text(["One!", "Two."]), text(["One.", "Two!"]))
    assert result.clean and merge.paragraphs(result.text()) == ["One!", "Two!"]


def test_the_same_paragraph_changed_twice_is_a_conflict_with_all_three_versions() -> None:
    base = text(["One.", "Two.", "Three."])
    result = merge3(
        base, text(["One.", "Two, mine.", "Three."]), text(["One.", "Two, theirs.", "Three."])
    )
    assert not result.clean and result.conflicts == [
        Conflict(base=("Two.",), mine=("Two, mine.",), theirs=("Two, theirs.",))
    ]
    assert result.text([MINE]) == text(["One.", "Two, mine.", "Three."])
    assert result.text([THEIRS]) == text(["One.", "Two, theirs.", "Three."])
    assert result.text([BOTH]) == text(["One.", "Two, mine.", "Two, theirs.", "Three."])


def test_two_insertions_at_the_same_place_conflict_and_both_keeps_each_once() -> None:
    base = text(["One."])
    result = merge3(base, text(["One.", "Shared.", "Mine."]), text(["One.", "Shared.", "Theirs."]))
    assert len(result.conflicts) == 1
    assert merge.paragraphs(result.text([BOTH])) == ["One.", "Shared.", "Mine.", "Theirs."]


@pytest.mark.parametrize("choices", [[], ["mine", "mine"], ["yours"], [""]])
def test_a_wrong_set_of_choices_is_refused(choices: list[str]) -> None:
    result = merge3("One.", "Mine.", "Theirs.")
    with pytest.raises(ValueError):
        result.text(choices)


def test_the_choices_are_mine_theirs_and_both() -> None:
    assert CHOICES == ("mine", "theirs", "both")


def test_paragraphs_are_blank_line_blocks_and_a_fenced_block_stays_whole() -> None:
    source = "First line\nsame paragraph\n\n\n  \r\nSecond\n\n```\ncode\n\nmore code\n```\n\nLast\n"
    assert merge.paragraphs(source) == [
        "First line\nsame paragraph",
        "Second",
        "```\ncode\n\nmore code\n```",
        "Last",
    ]
    assert merge.paragraphs("") == merge.paragraphs(None) == merge.paragraphs("\n \n") == []


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "merged"),
    [
        ("Old", "Old", "New", "New"),
        ("Old", "Mine", "Old", "Mine"),
        ("Old", "Same", "Same", "Same"),
        ("", "", "Added", "Added"),
        ("Old", "", "Old", ""),
    ],
)
def test_a_field_changed_by_one_side_takes_that_side(
    base: str, mine: str, theirs: str, merged: str
) -> None:
    result = merge_field(base, mine, theirs)
    assert result.clean and result.text() == merged


def test_a_field_both_changed_differently_is_a_pick() -> None:
    result = merge_field("Old headline", "My headline", "Their headline")
    assert result.conflicts == [Conflict(("Old headline",), ("My headline",), ("Their headline",))]
    assert result.text([MINE]) == "My headline" and result.text([THEIRS]) == "Their headline"
    # A field value is never split at blank lines or joined to another.
    assert merge_field("a", "a", "b\n\nc").text() == "b\n\nc"
