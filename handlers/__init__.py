"""Handlers translate updates into service calls and show the answers; they hold no SQL and no decisions.

`commands` declares every command and button once, `table` derives menus, help and routing look-ups
from it, `router` picks the handler for an update."""

from .context import Context
from .router import main_menu, route

__all__ = ["Context", "main_menu", "route"]
