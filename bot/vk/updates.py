"""VK's updates as `Incoming`: only chat messages addressed to our community, and our joining a chat, besides what
every messenger has. Reads nothing and writes nothing: a VK person's id is ours as it is (storage/accounts.py).

VK gives a community (another bot, a group) a negative `from_id` when it writes in a chat: it is nobody the bot
knows, and is dropped here, before anything is routed or stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from loguru import logger

from bot.addressing import addressed_to
from bot.domain.invite_codes import normalize_code
from bot.payloads import decode_payload
from bot.views.message import Document, Incoming

CHAT_BASE = 2_000_000_000  # VK's peer ids of group chats start here
_MENTION = re.compile(r"^\s*\[(?:club|public)(?P<id>\d+)\|[^\]]*\]\s*[,:]?\s*")  # picked from VK's list
_COMMAND_THEN_MENTION = re.compile(r"^(?P<command>/[^\s@]+)\s+\[(?:club|public)(?P<id>\d+)\|[^\]]*\]")


def parse_update(update: dict[str, Any]) -> Incoming | None:
    kind = update.get("type")
    obj = update.get("object") or {}
    event_id = str(update.get("event_id") or "")
    try:
        if kind == "message_new":
            # before Long Poll version 5.103 the object is the message itself (`run` refuses such a
            # community, but its settings can change under a running bot)
            msg = obj.get("message") or ({} if "message" in obj else obj)
            text = msg.get("text") or ""
            peer, person = int(msg["peer_id"]), int(msg["from_id"])
            if person <= 0:
                logger.debug("a message of community {} skipped", -person)
                return None
            command, args = decode_payload(msg.get("payload"))
            ref = msg.get("ref")
            if isinstance(ref, str) and peer < CHAT_BASE and normalize_code(ref) is not None:
                # came by an invite link vk.me/club<id>?ref=<code>: the code, as if typed (one tap registers)
                text, command, args = ref, None, {}
            return Incoming("message", event_id, person, peer, peer >= CHAT_BASE,
                            text if isinstance(text, str) else "", command, args,
                            conversation_message_id=msg.get("conversation_message_id"),
                            date=int(msg.get("date") or 0), documents=_documents(msg.get("attachments")))
        if kind == "message_event":
            peer, person = int(obj["peer_id"]), int(obj["user_id"])
            if person <= 0:
                return None
            command, args = decode_payload(obj.get("payload"))
            return Incoming("callback", event_id, person, peer, peer >= CHAT_BASE,
                            command=command, args=args, callback_id=str(obj.get("event_id")),
                            conversation_message_id=obj.get("conversation_message_id"))
        if kind in ("message_allow", "message_deny"):
            uid = int(obj["user_id"])
            if uid <= 0:
                return None
            return Incoming("allow" if kind == "message_allow" else "deny", event_id, uid, uid)
    except (KeyError, TypeError, ValueError):
        logger.warning("malformed {} update skipped", kind)
    return None


def _documents(attachments: Any) -> tuple[Document, ...]:
    """The files (VK's "doc" attachments) of a message; anything malformed is left out."""
    out = []
    for a in attachments if isinstance(attachments, list) else []:
        doc = a.get("doc") if isinstance(a, dict) and a.get("type") == "doc" else None
        if isinstance(doc, dict) and isinstance(doc.get("url"), str) and isinstance(doc.get("title"), str):
            size = doc.get("size")
            out.append(Document(doc["title"][:200], doc["url"], size if isinstance(size, int) else 0))
    return tuple(out)


@dataclass
class VkUpdates:
    """VK's updates as `Incoming` for our community: chat messages addressed to it only, its joining a chat."""

    group_id: int = 0  # our community: chat messages addressed to another one are not ours to answer
    screen_names: set[str] = field(default_factory=set)  # "club1" and, once VK has told us, our short name

    def incoming(self, update: dict[str, Any]) -> Incoming | None:
        incoming = parse_update(update)
        if incoming is not None and incoming.in_chat and incoming.kind == "message":
            incoming = self._joined(update) or self._addressed(incoming)
        return incoming

    def _joined(self, update: dict[str, Any]) -> Incoming | None:
        """The community was added to a chat (VK sends that to the bot whatever its access): an update whose
        text is how to address the bot there, so the welcome can say it."""
        message = (update.get("object") or {}).get("message") or {}
        action = message.get("action") or {}
        if action.get("member_id") != -self.group_id:
            return None
        if action.get("type") == "chat_kick_user":  # the community was removed from the chat
            return Incoming("left", str(update.get("event_id") or ""), int(message.get("from_id") or 0),
                            int(message["peer_id"]), True)
        if action.get("type") != "chat_invite_user":
            return None
        name = next((n for n in sorted(self.screen_names) if not n.startswith(("club", "public"))),
                    f"club{self.group_id}")
        return Incoming("joined", str(update.get("event_id") or ""), int(message.get("from_id") or 0),
                        int(message["peer_id"]), True, f"@{name}")

    def _addressed(self, incoming: Incoming) -> Incoming | None:
        """A chat message with our mention or `/command@our_name` loses the address; one addressed to
        another community (`[club999|@other] /bind`, `/bind@other_bot`) is dropped."""
        text = incoming.text
        mention = _MENTION.match(text)
        if mention:
            if int(mention["id"]) != self.group_id:
                return None
            text = text[mention.end():]
        after = _COMMAND_THEN_MENTION.match(text)  # «/bind [club999|@other]»: VK's mention after the command
        if after:
            if int(after["id"]) != self.group_id:
                return None
            text = after["command"] + text[after.end():]
        text = addressed_to(text, self.screen_names | {f"club{self.group_id}", f"public{self.group_id}"},
                            mentioned=mention is not None)
        if text is None:
            return None
        return replace(incoming, text=text, addressed=text != incoming.text or incoming.command is not None)
