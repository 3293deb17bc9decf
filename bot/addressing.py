"""Whom a group-chat message is addressed to, in either messenger: «@name /status», «/status@name».

Several bots may share a coordinators' chat, and each answers only what is meant for it: a message naming another
bot or a person is not ours; one naming us loses the address, so the command table reads the command alone."""

from __future__ import annotations

import re

_PLAIN_MENTION = re.compile(r"^\s*@(?P<name>[A-Za-z0-9_.]+)\s*[,:]?\s*")  # typed by hand
_ADDRESSED_COMMAND = re.compile(r"^(?P<command>/\S+?)@(?P<name>[A-Za-z0-9_.]+)")
_COMMAND_THEN_MENTION = re.compile(r"^(?P<command>/[^\s@]+)\s+@(?P<name>[A-Za-z0-9_.]+)\b")  # «/bind @other_bot»


def addressed_to(text: str, ours: set[str], *, mentioned: bool = False) -> str | None:
    """The text without our address; None when it names someone else. `ours`: our names, lower case;
    `mentioned`: the messenger's own mention of us came first (then a typed «@name» after it is just text)."""
    mention = None if mentioned else _PLAIN_MENTION.match(text)
    if mention:
        if mention["name"].lower() not in ours:
            return None
        text = text[mention.end():]
    command = _ADDRESSED_COMMAND.match(text) or _COMMAND_THEN_MENTION.match(text)
    if command:
        if command["name"].lower() not in ours:
            return None  # no argument of ours starts with «@»: a command with another bot's name is that bot's
        text = command["command"] + text[command.end():]
    return text
