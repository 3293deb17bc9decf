"""Messages as plain data, in and out. Nothing here knows a messenger: each adapter (bot/vk, bot/max) turns these
into its JSON (keyboards, payloads, uploads, peer ids) and its updates into `Incoming`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Arg = str | int


@dataclass(frozen=True)
class Screen:
    """What fits under one message, as a messenger's adapter declares it (bot/vk/keyboards.py, bot/max/keyboards.py):
    services lay out their buttons within it and never name a messenger's limit themselves."""

    rows: int  # rows of buttons
    buttons: int  # buttons in all

    def narrowest(self, other: Screen) -> Screen:
        """What fits on both: a reply composed once may go to either messenger."""
        return Screen(min(self.rows, other.rows), min(self.buttons, other.buttons))


@dataclass(frozen=True)
class Button:
    """A button names a command of the command table and its arguments. Its press comes back as
    that command; what it may do is decided from our database, never from the arguments."""

    label: str
    command: str
    args: Mapping[str, Arg] = field(default_factory=dict)
    # None: as its message says (`Reply.callback`); else this button's own way, in a message whose buttons differ
    # (a day's reminder: «Сдать отчёт» opens a form as a message, «✓ п. 3» is answered in place)
    callback: bool | None = None


Buttons = list[list[Button]]


@dataclass(frozen=True)
class File:
    name: str
    data: bytes
    kind: Literal["document", "photo"] = "document"


@dataclass(frozen=True)
class Reply:
    """What a service answers: text, buttons and files.

    `buttons` None: the person's main menu goes with the text. `inline`: the buttons belong to
    this message (a reminder's «Сдать отчёт»); `callback`: pressing them leaves no message in the
    chat (a «Выполнено» press is answered in place)."""

    text: str
    buttons: Buttons | None = None
    inline: bool = False
    callback: bool = False
    files: tuple[File, ...] = ()
    secret: bool = False  # holds an invite code: kept in the outbox only until the messenger has it
    notices: tuple[Outgoing, ...] = ()  # messages to other people the answer brings (a school told of a return)


@dataclass(frozen=True)
class Outgoing:
    """A message the bot starts (a reminder, a summary): to whom, what, and a key that makes
    queuing it twice send it once."""

    peer: int
    reply: Reply
    dedup_key: str


@dataclass(frozen=True)
class Document:
    """A file a person sent: what the messenger says of it; `data` once downloaded (None: not fetched, and `problem`
    says why when a fetch was tried: bot/downloads.py's too_big, not_allowed, unreachable)."""

    name: str
    url: str
    size: int = 0
    data: bytes | None = None
    problem: str = ""
    # read outside the handler's transaction and off the event loop (bot/services/imports.py, read): the table
    # (bot.domain.figures_file.FigureTable), or the Russian sentence saying why the file cannot be read
    table: object | None = None
    unreadable: str = ""


@dataclass(frozen=True)
class Incoming:
    """An update as handlers see it. Text, command and arguments are untrusted input.

    A messenger's adapter makes it with the messenger's own ids; by the time a handler sees it (inside the event's
    transaction) `from_id` is our `person_id` and `peer` ours too (storage/accounts.py)."""

    kind: Literal["message", "callback", "allow", "deny", "joined", "left"]  # joined/left: the bot added to/removed from a chat
    event_id: str
    from_id: int  # who: our person_id once resolved
    peer: int  # where to answer: the person, or the group chat
    in_chat: bool = False
    text: str = ""
    command: str | None = None  # from a pressed button
    args: Mapping[str, Any] = field(default_factory=dict)
    callback_id: str | None = None
    conversation_message_id: int | None = None
    date: int = 0
    documents: tuple[Document, ...] = ()  # files attached to a private message
    messenger: str = "vk"  # which adapter brought it ("vk", "max")
    sender_name: tuple[str, str] = ("", "")  # (first, last) as the update showed them, where the messenger does
    reachable: bool = False  # the person (re)opened the dialog: messages to them may go again
    addressed: bool = False  # in a chat: the bot was named (a mention, «/command@bot») or its button pressed


def typeset(text: str) -> str:
    """Quotes inside quotes as Russian typography sets them: «МАДОУ „Детский сад № 2“», not «МАДОУ «Детский сад
    № 2»» (an organization's name with its own quotes inside ours). Line by line, so one stray quote spoils no
    more than its line."""
    if "«" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        depth = 0
        out = []
        for ch in line:
            if ch == "«":
                out.append("«" if depth == 0 else "„")
                depth += 1
            elif ch == "»" and depth > 0:
                depth -= 1
                out.append("»" if depth == 0 else "“")
            else:
                out.append(ch)
        lines.append("".join(out))
    return "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Split at line boundaries so each part fits a messenger's limit; a single overlong line is cut."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
