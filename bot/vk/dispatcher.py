"""VK's long-poll updates as `Incoming`, and the dispatcher fed with them (the shared core is bot/dispatch.py):
only chat messages addressed to our community, and our joining a chat, besides what every messenger has."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from typing import Any

from loguru import logger

from bot.dispatch import Dispatcher
from bot.domain.invite_codes import normalize_code
from bot.views.message import Document, Incoming
from bot.vk.keyboards import decode_payload

CHAT_BASE = 2_000_000_000  # VK's peer ids of group chats start here
_MENTION = re.compile(r"^\s*\[(?:club|public)(?P<id>\d+)\|[^\]]*\]\s*[,:]?\s*")
_PLAIN_MENTION = re.compile(r"^\s*@(?P<name>[A-Za-z0-9_.]+)\s*[,:]?\s*")  # typed, not picked from VK's list
_ADDRESSED_COMMAND = re.compile(r"^(?P<command>/\S+?)@(?P<name>[A-Za-z0-9_.]+)")


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
            peer = int(msg["peer_id"])
            command, args = decode_payload(msg.get("payload"))
            ref = msg.get("ref")
            if isinstance(ref, str) and peer < CHAT_BASE and normalize_code(ref) is not None:
                # came by an invite link vk.me/club<id>?ref=<code>: the code, as if typed (one tap registers)
                text, command, args = ref, None, {}
            return Incoming("message", event_id, int(msg["from_id"]), peer, peer >= CHAT_BASE,
                            text if isinstance(text, str) else "", command, args,
                            conversation_message_id=msg.get("conversation_message_id"),
                            date=int(msg.get("date") or 0), documents=_documents(msg.get("attachments")))
        if kind == "message_event":
            peer = int(obj["peer_id"])
            command, args = decode_payload(obj.get("payload"))
            return Incoming("callback", event_id, int(obj["user_id"]), peer, peer >= CHAT_BASE,
                            command=command, args=args, callback_id=str(obj.get("event_id")),
                            conversation_message_id=obj.get("conversation_message_id"))
        if kind in ("message_allow", "message_deny"):
            uid = int(obj["user_id"])
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
class VkDispatcher(Dispatcher):
    """The dispatcher fed with VK's long-poll updates: chat messages addressed to us only, our joining a chat."""

    group_id: int = 0  # our community: chat messages addressed to another one are not ours to answer
    screen_names: set[str] = field(default_factory=set)  # "club1" and, once VK has told us, our short name

    def feed(self, update: dict[str, Any]) -> asyncio.Task[None] | None:
        incoming = parse_update(update)
        if incoming is not None and incoming.in_chat and incoming.kind == "message":
            incoming = self._joined(update) or self._addressed(incoming)
        if incoming is None:
            return None
        return self.feed_incoming(incoming)

    def _joined(self, update: dict[str, Any]) -> Incoming | None:
        """The community was added to a chat (VK sends that to the bot whatever its access): an update whose
        text is how to address the bot there, so the welcome can say it."""
        message = (update.get("object") or {}).get("message") or {}
        action = message.get("action") or {}
        if action.get("type") != "chat_invite_user" or action.get("member_id") != -self.group_id:
            return None
        name = next((n for n in sorted(self.screen_names) if not n.startswith(("club", "public"))),
                    f"club{self.group_id}")
        return Incoming("joined", str(update.get("event_id") or ""), int(message.get("from_id") or 0),
                        int(message["peer_id"]), True, f"@{name}")

    def _addressed(self, incoming: Incoming) -> Incoming | None:
        """A chat message with our mention or `/command@our_name` loses the address; one addressed to
        another community (`[club999|@other] /bind`, `/bind@other_bot`) is dropped: several bots may
        share a coordinators' chat, and each answers only what is meant for it."""
        text = incoming.text
        ours = self.screen_names | {f"club{self.group_id}", f"public{self.group_id}"}
        mention = _MENTION.match(text)
        plain = _PLAIN_MENTION.match(text)
        if mention:
            if int(mention["id"]) != self.group_id:
                return None
            text = text[mention.end():]
        elif plain:
            if plain["name"].lower() not in ours:
                return None  # a person or another bot is addressed
            text = text[plain.end():]
        command = _ADDRESSED_COMMAND.match(text)
        if command:
            name = command["name"].lower()
            if name not in ours:
                return None
            text = command["command"] + text[command.end():]
        return replace(incoming, text=text) if text != incoming.text else incoming

