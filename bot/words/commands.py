"""Command ids: what a button carries and the command table (handlers/commands.py) is keyed by, as one typed enum
low in the tree, so services that put buttons under their answers name commands without a string of their own and
without importing handlers. A StrEnum: the id travels in payloads as the plain string it is."""

from __future__ import annotations

from enum import StrEnum


class CommandId(StrEnum):
    START = "start"
    HELP = "help"
    MENU = "menu"
    WHOAMI = "whoami"
    CANCEL = "cancel"
    REPORT = "report"  # opens a form; its buttons carry which one
    FORM = "form"  # a form's own buttons (an option, «Назад», «Отправить», «Исправить»)
    BEHALF = "behalf"  # a coordinator's «Заполнить отчёт» for an organization of their territory
    RETURN = "return"  # «Вернуть на доработку» under an organization's view
    HISTORY = "history"
    STATUS = "status"  # a choice among several matches is pressed as /status with its query
    STATUS_VIEW = "status_view"  # «Кто не сдал», «Пункты», «По типам», «По муниципалитетам»
    STATUS_ORG = "status_org"  # «Организация…»
    EXPORT = "export"
    CHART = "chart"
    ITEMS = "items"
    ITEM = "item"  # «Выполнено» under an item; its arguments say which item and for whom
    ITEMS_PAGE = "items_page"  # the arrows under /items
    TEMPLATE = "template"
    APPLY_IMPORT = "apply_import"  # «Применить» under a file's preview
    INVITE = "invite"
    INVITES = "invites"
    BIND = "bind"
