"""Where a person is in a conversation with the bot. The value is what the database stores."""

from __future__ import annotations

from enum import StrEnum


class Dialog(StrEnum):
    AWAITING_CODE = "awaiting_code"  # a newcomer was greeted and asked for an invite code
    FORM = "form"  # filling a form: the draft is the conversation's data
    ITEM_EVIDENCE = "item_evidence"  # a roadmap item was pressed «Выполнено» and needs a link
    RETURN_COMMENT = "return_comment"  # a coordinator returns a report for revision: the comment comes next
    IMPORT_CONFIRM = "import_confirm"  # a coordinator's file was checked: «Применить» or «Отмена» next
    STATUS_QUERY = "status_query"  # «Организация…» under a summary was pressed: a name to look up comes next
    REPORT_PICK = "report_pick"  # several forms are due and the person was asked which: its number comes next
