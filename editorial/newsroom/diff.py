"""Readable diffs of story text: words within a line, lines within a body.

The result is plain data (kinds and text); templates escape every piece, so markup in a
revision is shown as text and never runs in the diff view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

TOKEN = re.compile(r"\s+|[^\s]+")
# Word-level matching is quadratic in the worst case: above this, changed blocks are shown
# as whole lines removed and added (still exact, just less fine-grained).
WORD_DIFF_MAX_TOKENS = 3000
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Segment:
    """A run of text that is unchanged (equal), removed (delete) or added (insert)."""

    kind: str
    text: str


@dataclass
class Line:
    """One line of a body diff: equal, delete, insert, change (with word segments) or skip."""

    kind: str
    segments: list[Segment] = field(default_factory=list)
    skipped: int = 0


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-by-word differences between two short texts."""
    a, b = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    if len(a) + len(b) > WORD_DIFF_MAX_TOKENS:
        return [s for s in (Segment("delete", old), Segment("insert", new)) if s.text]
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("delete", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("insert", "".join(b[j1:j2])))
    return segments


def _changed_block(old: list[str], new: list[str]) -> list[Line]:
    """Pair the lines of a replaced block and diff each pair by words."""
    lines = []
    for index in range(max(len(old), len(new))):
        if index >= len(old):
            lines.append(Line("insert", [Segment("insert", new[index])]))
        elif index >= len(new):
            lines.append(Line("delete", [Segment("delete", old[index])]))
        else:
            lines.append(Line("change", word_diff(old[index], new[index])))
    return lines


def _collapse(lines: list[Line]) -> list[Line]:
    """Keep a few unchanged lines around each change; fold long unchanged runs."""
    changed = [i for i, line in enumerate(lines) if line.kind != "equal"]
    keep = {
        j
        for i in changed
        for j in range(i - CONTEXT_LINES, i + CONTEXT_LINES + 1)
        if 0 <= j < len(lines)
    }
    result: list[Line] = []
    skipped = 0
    for i, line in enumerate(lines):
        if line.kind != "equal" or i in keep:
            if skipped:
                result.append(Line("skip", skipped=skipped))
                skipped = 0
            result.append(line)
        else:
            skipped += 1
    if skipped:
        result.append(Line("skip", skipped=skipped))
    return result


def line_diff(old: str, new: str) -> list[Line]:
    """A body diff: line by line, with word-level detail inside changed lines."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines: list[Line] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(Line("equal", [Segment("equal", text)]) for text in a[i1:i2])
        elif op == "delete":
            lines.extend(Line("delete", [Segment("delete", text)]) for text in a[i1:i2])
        elif op == "insert":
            lines.extend(Line("insert", [Segment("insert", text)]) for text in b[j1:j2])
        else:
            lines.extend(_changed_block(a[i1:i2], b[j1:j2]))
    return _collapse(lines)


@dataclass
class StoryDiff:
    """What changed between two versions of a story's text."""

    headline: list[Segment]
    standfirst: list[Segment]
    byline: list[Segment]
    dateline: list[Segment]
    body: list[Line]

    @property
    def unchanged(self) -> bool:
        short = (self.headline, self.standfirst, self.byline, self.dateline)
        return all(s.kind == "equal" for part in short for s in part) and all(
            line.kind in {"equal", "skip"} for line in self.body
        )


def story_diff(old, new) -> StoryDiff:
    """Diff two objects with headline/standfirst/byline/dateline/body (revisions or inputs)."""
    return StoryDiff(
        headline=word_diff(old.headline, new.headline),
        standfirst=word_diff(old.standfirst, new.standfirst),
        byline=word_diff(old.byline, new.byline),
        dateline=word_diff(old.dateline, new.dateline),
        body=line_diff(old.body, new.body),
    )
