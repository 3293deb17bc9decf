"""The shape of the command table and what is derived from it: routing look-ups, menus, help, the README table.

Each command or button is declared once, in `handlers.commands.COMMANDS`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.dialog import Dialog
from bot.services.access import Actor
from bot.views.message import Button, Buttons
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import short

if TYPE_CHECKING:
    from .context import Context

Handler = Callable[["Context"], Awaitable[None]]

# Who may use a command, by role; "guest" is someone not registered yet.
GUEST, ADMIN, MUNICIPAL, REGIONAL, OWNER = "guest", "organization", "municipality", "region", "owner"
COORDINATORS = frozenset({MUNICIPAL, REGIONAL, OWNER})
REGISTERED = frozenset({ADMIN, MUNICIPAL, REGIONAL, OWNER})
EVERYONE = REGISTERED | {GUEST}


@dataclass(frozen=True)
class HelpLine:
    text: str
    roles: frozenset[str] = REGISTERED
    unless: frozenset[str] = frozenset()  # not for people who also hold one of these roles


@dataclass(frozen=True)
class Command:
    """One command or button. `name` is what its buttons carry; `slash` and `words` are how it is typed."""

    name: CommandId
    handler: Handler | None  # in private messages; None: not there
    slash: tuple[str, ...] = ()  # "/status", "/сводка"
    words: tuple[str, ...] = ()  # a whole message that means the command: «сводка»
    label: str | None = None  # its button in the main menu
    menu_row: int | None = None  # which row of the main menu; None: not in the menu
    roles: frozenset[str] = REGISTERED  # who may use it in private messages
    refusal: str = texts.NOT_ALLOWED  # what the others are told
    chat: Handler | None = None  # in a group chat (the service decides who may)
    callback: bool = False  # pressed as an inline callback button
    aside: bool = False  # answered in the middle of a form, after which the form goes on
    under_message: bool = False  # reached only by buttons the bot puts under its messages (a form, a view)
    help: tuple[HelpLine, ...] = ()
    about: str = ""  # one line for the README's table

    def button(self) -> Button:
        return Button(self.label or self.name, self.name)


@dataclass(frozen=True)
class State:
    """One open dialog (bot.domain.dialog.Dialog): the handler of the person's next message, the commands whose
    buttons answer it (pressed, they run and the dialog is theirs to end), and `form`: a form, where an aside
    command runs and the question comes again, and a file is no import. Any other command drops the dialog."""

    dialog: Dialog
    handler: Handler
    buttons: tuple[CommandId, ...] = ()
    form: bool = False


def roles_of(actor: Actor) -> frozenset[str]:
    roles = {r.role for r in actor.roles}
    if actor.is_owner:
        roles.add(OWNER)
    return frozenset(roles) or frozenset({GUEST})


def allowed(command: Command, actor: Actor) -> bool:
    return bool(command.roles & roles_of(actor))


def menu(commands: Iterable[Command], actor: Actor) -> Buttons | None:
    """The main menu of a registered person: the commands with a menu place they may use."""
    if not actor.registered:
        return None
    rows: dict[int, list[Button]] = {}
    for c in commands:
        if c.menu_row is not None and c.label and allowed(c, actor):
            rows.setdefault(c.menu_row, []).append(c.button())
    return [rows[n] for n in sorted(rows)] or None


def help_lines(commands: Iterable[Command], actor: Actor) -> list[str]:
    roles = roles_of(actor)
    return [line.text for c in commands for line in c.help if line.roles & roles and not line.unless & roles]


@dataclass(frozen=True)
class Lookup:
    by_name: dict[str, Command]
    by_slash: dict[str, Command]
    by_words: dict[str, Command]

    @classmethod
    def of(cls, commands: Iterable[Command]) -> Lookup:
        commands = list(commands)
        by_name = {c.name: c for c in commands}
        by_slash = {s: c for c in commands for s in c.slash}
        by_words = {w: c for c in commands for w in (*c.words, *([c.label.lower()] if c.label else []))}
        if len(by_name) != len(commands) or len(by_slash) != sum(len(c.slash) for c in commands):
            raise ValueError("a command name or a slash alias is declared twice")
        return cls(by_name, by_slash, by_words)

    def resolve(self, text: str, pressed: str | None) -> tuple[Command | None, str]:
        """(command, argument) of a message. A pressed button is its command and nothing else: its
        text is only the button's label. Typed: «/status Нижнетуринский ГО» or a whole word («сводка»)."""
        if pressed is not None and pressed in self.by_name:
            return self.by_name[pressed], ""
        text = text.strip()  # the adapter has taken the mention of our bot off already
        if text.startswith("/"):
            head, _, rest = text.partition(" ")
            return self.by_slash.get(head.lower().split("@", 1)[0]), rest.strip()
        word = " ".join(text.lower().rstrip(".!?").split())
        return self.by_words.get(word), ""


def readme_table(commands: Iterable[Command]) -> str:
    """The README's table of commands, as Markdown (a test keeps the README equal to it)."""
    groups = {EVERYONE: "все", REGISTERED: "все зарегистрированные", COORDINATORS: "координаторы и владелец"}
    titles = {GUEST: "новый пользователь", ADMIN: "администратор организации", MUNICIPAL: "муниципальный координатор",
              REGIONAL: "региональный координатор", OWNER: "владелец"}
    rows = ["| команда | кнопка меню | кто (в личных сообщениях) | в беседе | что делает |", "|---|---|---|---|---|"]
    for c in commands:
        if not c.slash:
            continue
        who = groups.get(c.roles) or ", ".join(titles[r] for r in titles if r in c.roles)
        rows.append(f"| {' '.join(f'`{s}`' for s in c.slash)} | {c.label or ''} | {who} | "
                    f"{'да' if c.chat else ''} | {c.about} |")
    return "\n".join(rows)


MAX_HINTS = 32  # MAX shows at most 32 commands when «/» is typed (dev.max.ru, PATCH /me/commands)


def slash_hints(commands: Iterable[Command]) -> list[tuple[str, str]]:
    """(name, description) of each typed command, for the hint a messenger shows when «/» is typed: the Latin
    spelling, and the first clause of its README line (at most 128 characters, cut between words)."""
    hints: list[tuple[str, str]] = []
    for c in commands:
        latin = next((s[1:] for s in c.slash if s[1:].isascii()), None)
        if latin is None or c.handler is None:
            continue
        # «`/export [дд.мм.гггг]` — таблица…» gives «таблица…»; «в беседе: сделать её…» gives «в беседе: сделать её…»
        about = re.sub(r"^`/[^`]*`\s*—\s*", "", c.about).replace("`", "").split(";")[0].strip()
        hints.append((latin, short(about or latin, 128)))
    return hints[:MAX_HINTS]
