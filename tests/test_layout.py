"""The house rules that a reader should not have to check by eye: one command table, and the README's copy of it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from bot.domain.models import Role
from bot.services.access import Actor
from bot.words import texts
from handlers.commands import COMMANDS
from handlers.table import ADMIN, Lookup, help_lines, menu, readme_table

ROOT = Path(__file__).resolve().parents[1]
MARKERS = re.compile(r"(<!-- commands:begin -->\n)(.*?)(<!-- commands:end -->)", re.S)


def test_readme_table_is_the_command_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme_table(COMMANDS)
    if os.environ.get("UPDATE_README"):
        (ROOT / "README.md").write_text(MARKERS.sub(lambda m: m[1] + table + "\n" + m[3], readme), encoding="utf-8")
        return
    found = MARKERS.search(readme)
    assert found is not None and found[2].strip() == table, "run UPDATE_README=1 pytest tests/test_layout.py"


def test_every_command_is_declared_once_and_reachable():
    lookup = Lookup.of(COMMANDS)  # raises on a name or an alias declared twice
    for c in COMMANDS:
        assert c.handler is not None or c.chat is not None, c.name
        assert c.slash or c.label or c.callback or c.under_message, f"{c.name}: no way to reach it"
        for alias in c.slash:
            assert lookup.resolve(f"{alias} аргумент", None) == (c, "аргумент")
        if c.label:
            # pressed, a menu button is its command with no argument, whatever its label says
            assert lookup.resolve(c.label, c.name) == (c, "")
            assert lookup.resolve(c.label.lower(), None) == (c, "")


def test_menus_and_help_follow_the_roles():
    admin = Actor(1, False, (Role(1, ADMIN, "x"),))
    coordinator = Actor(2, False, (Role(2, "municipality", "1"),))
    owner = Actor(3, True, ())
    labels = {who: [b.label for row in menu(COMMANDS, who) or [] for b in row] for who in (admin, coordinator, owner)}
    assert texts.MENU_REPORT in labels[admin] and texts.MENU_REPORT not in labels[coordinator]
    assert texts.MENU_INVITES in labels[coordinator] and texts.MENU_INVITES not in labels[owner]
    assert all(texts.MENU_STATUS in row for row in labels.values())
    assert texts.HELP_STATUS_ADMIN in help_lines(COMMANDS, admin)
    assert texts.HELP_STATUS in help_lines(COMMANDS, coordinator)
    assert texts.HELP_STATUS_ADMIN not in help_lines(COMMANDS, Actor(4, False, (Role(4, ADMIN, "x"), Role(4, "region", "1"))))
    assert menu(COMMANDS, Actor(5, False, ())) is None


def test_the_readme_lists_every_operator_command():
    import argparse

    from bot.__main__ import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in sub.choices if f"| `{name}" not in readme]
    assert missing == [], "commands missing from the README's operator table"


def test_no_module_of_the_bot_is_longer_than_600_lines():
    """A module one can read whole: past 600 lines a file holds two jobs (issue 26)."""
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "bot").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_every_dialog_is_declared_once_and_its_buttons_in_one_place():
    """Each open dialog is one State (handler, buttons, whether it is a form) that the router reads; each dialog
    button is built in exactly one place of the code (issue 26: «Применить» had been built in two)."""
    from bot.domain.dialog import Dialog
    from handlers.commands import STATES

    waiting = {d for d in Dialog if d != Dialog.AWAITING_CODE}  # (a newcomer's greeting is no dialog of the router's)
    assert set(STATES) == waiting and all(STATES[d].dialog == d for d in STATES)
    assert [d for d, s in STATES.items() if s.form] == [Dialog.FORM]
    code = [p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py")] + \
        [p.read_text(encoding="utf-8") for p in (ROOT / "handlers").rglob("*.py")]
    for name in ("BTN_APPLY", "BTN_ITEM_YES", "BTN_ITEM_NO", "BTN_ITEM_UNDO", "BTN_SEND", "BTN_SKIP"):
        built = sum(len(re.findall(rf"\b(?:Button|_b)\(texts\.{name}\b", text)) for text in code)
        assert built == 1, (name, built)


def test_the_collector_is_off_only_while_python_m_bot_imports():
    """`python -m bot` imports with the collector off and turns it on before it runs a command; a module importing
    the entry point (a test, a tool) keeps its own collector."""
    import gc

    import bot.__main__ as entry

    assert gc.isenabled()
    gc.disable()
    try:
        entry._collector_on("export")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
