"""A summary fitted to one phone screen: lines ranked by how much a coordinator needs them; when the screen
is full the least needed go first (the last of them first), and the buttons under the message lead to them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from bot.words import texts

LINE_BUDGET = 25  # a message on a phone screen, without scrolling: lines as the phone shows them
PHONE_WIDTH = 38  # characters a phone's message bubble holds in a line


def phone_lines(text: str) -> int:
    """How many lines `text` takes on a phone: each line wrapped between words at PHONE_WIDTH characters."""
    return sum(max(1, len(textwrap.wrap(line, PHONE_WIDTH))) for line in text.split("\n"))


@dataclass(frozen=True)
class Line:
    text: str
    rank: int = 0  # 0: always shown; the highest rank goes first when the screen is full


def fit(blocks: Sequence[Sequence[Line]], budget: int = LINE_BUDGET, more: str = texts.SUMMARY_MORE) -> str:
    """The blocks one after another, a blank line between them when everything fits so; otherwise no blank
    lines, and the lines of the highest rank dropped (the last first), with a note (`more`) that the rest is a tap
    away.
    Lines are counted as a phone shows them (`phone_lines`), not as sent: one long target line is three there."""
    blocks = [list(b) for b in blocks if b]
    cost = [[phone_lines(line.text) for line in b] for b in blocks]
    count = sum(sum(c) for c in cost)
    spaced = count + len(blocks) - 1 <= budget
    alive = [list(range(len(b))) for b in blocks]
    dropped = 0
    note = phone_lines(more)
    while count + (len(blocks) - 1 if spaced else 0) + (note if dropped else 0) > budget:
        candidates = [(blocks[bi][li].rank, bi, li) for bi, idx in enumerate(alive) for li in idx
                      if blocks[bi][li].rank > 0]
        if not candidates:
            break
        _, bi, li = max(candidates)
        alive[bi].remove(li)
        count -= cost[bi][li]
        dropped += 1
    shown = ["\n".join(blocks[bi][li].text for li in idx) for bi, idx in enumerate(alive) if idx]
    text = ("\n\n" if spaced else "\n").join(shown)
    return text + ("\n" + more if dropped else "")


def names_line(template: str, names: Sequence[str], shown: int = 3) -> str:
    """«Не сдали: A, B, C и ещё 4»: the first few by name, the rest as a number."""
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += texts.SUMMARY_AND_MORE.format(n=len(names) - shown)
    return template.format(names=text)
