"""Three-way merge of story text, paragraph by paragraph (pure Python: no Flask, no database).

Two people start from the same revision (the *base*); one saves (*theirs*), the other's save
(*mine*) is then stale. Each side is compared with the base (difflib); changes that touch
different paragraphs are combined, and changes that touch the same paragraphs become a
`Conflict` carrying all three versions, so nothing either side wrote is ever lost.

    result = merge3(base, mine, theirs)
    result.clean                     # True: no conflicts, result.text() is the merged text
    result.hunks                     # Agreed(...) or Conflict(...), in text order
    result.text(["mine", "both"])    # one choice per conflict, in order

A paragraph is a block of Markdown separated by blank lines; a fenced code block is one
paragraph even with blank lines inside. The merged text joins paragraphs with one blank line.
Headline-like fields merge as one unit with `merge_field` (same result type).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

MINE, THEIRS, BOTH = "mine", "theirs", "both"
CHOICES = (MINE, THEIRS, BOTH)
# Where an agreed hunk's text came from (for the paragraph diff shown to the person).
UNCHANGED = "unchanged"
SEPARATOR = "\n\n"

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

Paragraphs = tuple[str, ...]


def paragraphs(text: str | None) -> list[str]:
    """The blank-line separated blocks of `text` (line endings normalised, no empty blocks)."""
    blocks: list[str] = []
    current: list[str] = []
    fence = ""
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE.match(line)
        if fence and line.strip().startswith(fence):
            fence = ""  # the closing fence (same character, at least as long)
        elif not fence and opened:
            fence = opened.group(1)
        elif not fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def join(parts: Iterable[str]) -> str:
    """Paragraphs back into text."""
    return SEPARATOR.join(parts)


@dataclass(frozen=True)
class Agreed:
    """Text both sides can live with: `source` says whose it is (unchanged, mine, theirs, both
    when they made the same change). `base` is what the base had here (for the diff view)."""

    paragraphs: Paragraphs
    source: str
    base: Paragraphs


@dataclass(frozen=True)
class Conflict:
    """Both sides changed the same paragraphs differently: all three versions, kept whole."""

    base: Paragraphs
    mine: Paragraphs
    theirs: Paragraphs

    def resolve(self, choice: str) -> Paragraphs:
        """The paragraphs for a choice: mine, theirs, or both (common paragraphs once)."""
        if choice == MINE:
            return self.mine
        if choice == THEIRS:
            return self.theirs
        if choice == BOTH:
            return _union(self.mine, self.theirs)
        raise ValueError(f"unknown choice {choice!r}; expected one of {', '.join(CHOICES)}")


Hunk = Agreed | Conflict


@dataclass(frozen=True)
class MergeResult:
    hunks: tuple[Hunk, ...]

    @property
    def conflicts(self) -> list[Conflict]:
        return [hunk for hunk in self.hunks if isinstance(hunk, Conflict)]

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def resolved(self, choices: Sequence[str] = ()) -> list[str]:
        """The merged paragraphs, with conflict number n resolved by `choices[n]`."""
        if len(choices) != len(self.conflicts):
            raise ValueError(f"{len(self.conflicts)} choices needed, {len(choices)} given")
        picks = iter(choices)
        out: list[str] = []
        for hunk in self.hunks:
            out.extend(hunk.resolve(next(picks)) if isinstance(hunk, Conflict) else hunk.paragraphs)
        return out

    def text(self, choices: Sequence[str] = ()) -> str:
        """The merged text (raises ValueError unless there is one valid choice per conflict)."""
        return join(self.resolved(choices))


def merge3(base: str | None, mine: str | None, theirs: str | None) -> MergeResult:
    """Merge two edits of `base` paragraph by paragraph."""
    return merge_units(paragraphs(base), paragraphs(mine), paragraphs(theirs))


def merge_field(base: str | None, mine: str | None, theirs: str | None) -> MergeResult:
    """Merge a one-line field (headline, standfirst) as a single unit: the side that changed
    it wins; both changed it differently is one conflict."""

    def unit(value: str | None) -> list[str]:
        return [value] if value else []

    return merge_units(unit(base), unit(mine), unit(theirs))


# A change one side made to the base: base[start:end] became `new`.
@dataclass(frozen=True)
class _Change:
    start: int
    end: int
    new: Paragraphs
    side: str


def _changes(base: Sequence[str], other: Sequence[str], side: str) -> list[_Change]:
    matcher = SequenceMatcher(None, list(base), list(other), autojunk=False)
    return [
        _Change(i1, i2, tuple(other[j1:j2]), side)
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]


def _touch(start: int, end: int, change: _Change) -> bool:
    """Whether a change lands on the base range [start, end): overlapping paragraphs, two
    insertions at the same place, or an insertion strictly inside a replaced range. A change
    next to another (an insertion at its edge) is not a clash: order is clear."""
    if start == end and change.start == change.end:
        return start == change.start
    if start == end:
        return change.start < start < change.end
    if change.start == change.end:
        return start < change.start < end
    return max(start, change.start) < min(end, change.end)


def _clusters(changes: list[_Change]) -> list[list[_Change]]:
    """Group changes that touch one another (transitively), in base order."""
    groups: list[list[_Change]] = []
    start = end = -1
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        if groups and _touch(start, end, change):
            groups[-1].append(change)
            end = max(end, change.end)
        else:
            groups.append([change])
            start, end = change.start, change.end
    return groups


def _apply(base: Sequence[str], start: int, end: int, changes: list[_Change]) -> Paragraphs:
    """One side's version of base[start:end], given that side's changes inside it."""
    out: list[str] = []
    position = start
    for change in changes:
        out.extend(base[position : change.start])
        out.extend(change.new)
        position = change.end
    out.extend(base[position:end])
    return tuple(out)


def _hunk(base: Sequence[str], group: list[_Change]) -> Hunk:
    start, end = min(c.start for c in group), max(c.end for c in group)
    was = tuple(base[start:end])
    mine = [c for c in group if c.side == MINE]
    theirs = [c for c in group if c.side == THEIRS]
    if not theirs:
        return Agreed(_apply(base, start, end, mine), MINE, was)
    if not mine:
        return Agreed(_apply(base, start, end, theirs), THEIRS, was)
    ours, their_text = _apply(base, start, end, mine), _apply(base, start, end, theirs)
    if ours == their_text:
        return Agreed(ours, BOTH, was)
    return Conflict(was, ours, their_text)


def merge_units(base: Sequence[str], mine: Sequence[str], theirs: Sequence[str]) -> MergeResult:
    """Three-way merge of any sequences of text units (paragraphs, or one field's value)."""
    changes = _changes(base, mine, MINE) + _changes(base, theirs, THEIRS)
    hunks: list[Hunk] = []
    position = 0
    for group in _clusters(changes):
        start = min(c.start for c in group)
        if start > position:
            same = tuple(base[position:start])
            hunks.append(Agreed(same, UNCHANGED, same))
        hunks.append(_hunk(base, group))
        position = max(c.end for c in group)
    if position < len(base):
        same = tuple(base[position:])
        hunks.append(Agreed(same, UNCHANGED, same))
    return MergeResult(tuple(hunks))


def _union(first: Sequence[str], second: Sequence[str]) -> Paragraphs:
    """Both texts in order, paragraphs they share once (for "keep both")."""
    out: list[str] = []
    matcher = SequenceMatcher(None, list(first), list(second), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(first[i1:i2])
        if op != "equal":
            out.extend(second[j1:j2])
    return tuple(out)
