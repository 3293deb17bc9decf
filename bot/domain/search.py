"""Finding an organization or a municipality by what a tired person types: «сош 2», «Детский сад 5»,
«д/с №12», «ИМЦ», «Нижнетуринский», «детскй сад 9».

Names are compared as words: quotes, «№», case and «ё» do not matter; a word typed may be the start of a
word in the name («дет сад»), a number must be the whole number (2 is not 24), and a word may carry one
typo (a letter missed, added, replaced or swapped). The best kind of match wins: an exact name, then all words found, then words with typos.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# What people write for the words in names (lower case, after normalization).
ABBREVIATIONS = {"д/с": "детский сад", "дс": "детский сад", "д/сад": "детский сад", "детсад": "детский сад",
                 "уо": "управление образования", "цдт": "центр детского творчества",
                 "имц": "информационно-методический центр", "го": "го"}


# compiled once: words() runs for every organization each time a list of them is sorted (5,000 for a region's
# reminders), and ten patterns looked up in re's cache each time had been a third of a reminder job
_NUMBER = re.compile(r"(\d+)")
_ABBREVIATION = re.compile(rf"(?<![\w/])({'|'.join(map(re.escape, ABBREVIATIONS))})(?![\w/])")
_PUNCTUATION = re.compile(r"[«»\"'“”„()№#,.:;!?]")


def words(text: str) -> list[str]:
    """A name or a query as comparable words."""
    s = text.casefold().replace("ё", "е")
    s = _NUMBER.sub(r" \1 ", s)  # «№5», «сад5» and «дс9»: the number is a word of its own
    s = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m[1]], s)
    s = _PUNCTUATION.sub(" ", s)
    return s.split()


def name_order(name: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts «Детский сад № 2» before «Детский сад № 12», as a person counts."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in words(name))


def _word_matches(typed: str, name_words: list[str], typo: bool, shortest_typo: int = 4) -> bool:
    if typed.isdigit():
        return typed in name_words
    for w in name_words:
        if w == typed or (len(typed) >= 3 and w.startswith(typed)):
            return True
        if typo and len(typed) >= shortest_typo and _one_edit(typed, w):
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    """A typo: one letter missed, added, replaced or two swapped («детскй», «сдаик», «дестский») — not another
    word form («нижнетуринский» is not «нижнетуринского»)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def find(candidates: Sequence[T], query: str, name: Callable[[T], str],
         key: Callable[[T], str] | None = None) -> list[T]:
    """The candidates the query means, best kind of match first; [] when none."""
    q = words(query)
    if not q:
        return []
    if key is not None:
        exact_id = [c for c in candidates if key(c) == query.strip()]
        if exact_id:
            return exact_id
    names = [(c, words(name(c))) for c in candidates]
    exact = [c for c, w in names if w == q]
    if exact:
        return exact
    for typo in (False, True):
        found = [c for c, w in names if all(_word_matches(t, w, typo) for t in q)]
        if found:
            return found
    return []


def suggest(candidates: Sequence[T], query: str, name: Callable[[T], str], limit: int = 3) -> list[T]:
    """What a query that found nothing may have meant, to offer and not to act on: a typo allowed in short words
    too («сщш 3» — «СОШ № 3»), numbers still whole."""
    q = words(query)
    if not q:
        return []
    return [c for c in candidates if all(_word_matches(t, words(name(c)), True, 3) for t in q)][:limit]
