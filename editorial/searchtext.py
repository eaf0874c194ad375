"""The words search compares: one rule for the text of stories and for readers' queries.

NFKC (so য় typed as one code point or as য + ় is the same word), case folding, and every
decimal digit as ASCII (২০২৬ is 2026); words are runs of letters, digits and combining marks in
any script. Kept apart from editorial.search so the Story model can use it without a cycle.
"""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=4096)  # bounded: a query of odd code points cannot grow it
def _fold(char: str) -> str:
    """A decimal digit of any script as ASCII; letters, digits and marks as they are; anything
    else a space (a word break)."""
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.decimal(char))
    return char if category[0] in {"L", "N", "M"} else " "


def words(value: str) -> list[str]:
    """The words of a text as search compares them (the one rule for stories and queries)."""
    normalised = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return "".join(map(_fold, normalised)).split()


def document(headline: str, standfirst: str, body: str) -> str:
    """What the search index holds for a story: its words, in order, joined by spaces."""
    return " ".join(words(f"{headline}\n{standfirst}\n{body}"))
