"""How a person is named to other people when all we have is an id: the operator, a VK id, or a MAX person."""

from __future__ import annotations

from bot.words import texts
from storage.reports import OPERATOR


def person_label(full_name: str | None, person_id: int) -> str:
    """The person's name; failing that, something a coordinator can act on — never «id0» or «id-5»."""
    if full_name and full_name.strip():
        return full_name.strip()
    if person_id == OPERATOR:
        return texts.OPERATOR
    # our MAX people have negative ids of our own (storage/accounts.py): meaningless to a reader
    return f"id{person_id}" if person_id > 0 else texts.MAX_PERSON
