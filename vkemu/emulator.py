"""The emulated VK world: the community, users, chats, what was delivered, and the long-poll queue.

Methods are implemented here as plain coroutines over form parameters; `server.py` puts them
behind HTTP. The control API (create users, make them write, press buttons, read the record,
inject faults) is the set of public methods below the `control` marker.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import vkscript
from .keyboard import KeyboardError, check_keyboard
from .schema import ParamError, Schema

CHAT_BASE = 2_000_000_000
MESSAGE_MAX = 4096


class VKError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(code, msg)
        self.code = code
        self.msg = msg


@dataclass
class User:
    id: int
    first_name: str
    last_name: str
    allowed: bool = False  # may the community write to this user (wrote first / allowed)
    wrote: bool = False  # has written to the community: its dialog shows no «Начать» any more


@dataclass
class Chat:
    peer_id: int
    title: str
    members: set[int]
    community_in: bool = True
    # A community bot in a chat gets only messages that mention it or reply to it, unless the chat's
    # admin gives it access to all messages (aiovk #34, vkquick #48).
    full_access: bool = False


@dataclass
class Delivered:
    """One message the community delivered to a peer, as the record shows it."""

    id: int
    conversation_message_id: int
    peer_id: int
    text: str
    keyboard: dict[str, Any] | None
    attachments: list[str]
    random_id: int
    payload: str | None
    date: int
    edited: bool = False
    sent_text: str = ""  # as the bot sent it; `text` is what the person reads (invisible format characters gone)

    def buttons(self) -> list[dict[str, Any]]:
        if not self.keyboard:
            return []
        return [b["action"] for row in self.keyboard.get("buttons", []) for b in row]

    def labels(self) -> list[str]:
        return [a.get("label", "") for a in self.buttons()]


INVISIBLE = "\u2060"  # WORD JOINER: a VK client draws nothing for it
SAME_TEXT_S = 60  # error 9 for a message repeating the peer's last one within this (see _flood_control)
PER_USER_HOURLY = 1000  # error 9 past this many messages to one person in an hour (VK's FAQ 11583)
# Parameters VK takes that the 5.199 schema does not list (messages.send's text formatting).
BEYOND_SCHEMA = {"messages.send": {"format_data"}, "messages.edit": {"format_data"}}
BOT_EVENTS = ("message_new", "message_event", "message_allow", "message_deny")
PERMISSIONS = {"photos": 4, "docs": 131072, "manage": 262144, "messages": 4096, "wall": 8192,
               "stories": 1, "app_widget": 64}


@dataclass
class Community:
    """What a community's admin sets on its settings pages, and its token's rights. `ready()` is a community
    set up for a bot; a new community has messages, bot abilities and the long poll off."""

    messages: bool = False
    bots_capabilities: bool = False
    bots_add_to_chat: bool = False
    bots_start_button: bool = False  # «Начать» (and an invite link's ref) only when on: groups.setSettings' doc
    longpoll_enabled: bool = False
    longpoll_version: str = "5.50"
    longpoll_events: set[str] = field(default_factory=set)
    permissions: set[str] = field(default_factory=lambda: {"messages", "photos", "docs", "manage"})

    @classmethod
    def ready(cls) -> Community:
        return cls(messages=True, bots_capabilities=True, bots_add_to_chat=True, bots_start_button=True,
                   longpoll_enabled=True, longpoll_version="5.199", longpoll_events=set(BOT_EVENTS))


def is_upload_field(name: str | None) -> bool:
    """The multipart fields VK's upload servers read a file from: photo, file, file0 … file4."""
    return name in ("photo", "file") or bool(name and len(name) == 5 and name.startswith("file") and name[4].isdigit())


def version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in version.split("."))
    except ValueError:
        return (0,)


@dataclass
class Faults:
    longpoll_failed: collections.deque[int] = field(default_factory=collections.deque)
    http_5xx: int = 0
    slow: int = 0
    slow_seconds: float = 0.0
    hang_until: float = 0.0
    drop: int = 0
    method_errors: dict[str, collections.deque[int]] = field(default_factory=dict)
    # Random faults on a share of method calls (for soak runs).
    p_5xx: float = 0.0
    p_slow: float = 0.0
    p_drop: float = 0.0
    down_until: float = 0.0  # time.monotonic() until which every method request gets a 502
    longpoll_down: bool = False  # and the long-poll server too


class Emulator:
    def __init__(
        self,
        schema: Schema | None = None,
        *,
        group_id: int = 1,
        token: str = "vkemu-token",
        rate_limit: int | None = 20,
        check_responses: bool = False,
        history_limit: int = 100_000,
        strict: bool = False,
        longpoll_key_ttl: float = 3 * 3600,
    ) -> None:
        self.schema = schema or Schema()
        self.group_id = group_id
        self.token = token
        self.rate_limit = rate_limit
        self.rate_clock = time.monotonic  # the per-second windows' clock (a test stops it to check the limit exactly)
        self.check_responses = check_responses
        self.history_limit = history_limit
        self.strict = strict  # refuse parameters a method does not have (VK ignores them)
        self.longpoll_key_ttl = longpoll_key_ttl  # a long-poll key expires: failed 2, and a new one is needed
        self.lp_key_born = time.monotonic()
        self.base_url = "http://127.0.0.1:0"
        self.screen_name = f"club{group_id}"  # the community's short name, as in its address
        self.community = Community.ready()  # new_community() for the state a community starts in
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.record: dict[int, list[Delivered]] = collections.defaultdict(list)
        self.by_id: dict[int, Delivered] = {}
        self.dedup: dict[tuple[int, int], int] = {}
        self.repeated_sends = 0  # sends VK dropped as a repeat of a random_id: a sender sent something twice
        self.event_answers: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.callback_servers: list[dict[str, Any]] = []
        self._callback_seq = 0
        self.confirmation_code = secrets.token_hex(4)
        self.on_callback_server: Any = None  # the HTTP server's confirmer and deliverer (vkemu/server.py)
        self.on_callback_event: Any = None
        self.streamed: dict[str, int] = {}  # a file served as this many MB of zeros, never held (say_file)
        self.faults = Faults()
        self.requests_total = 0
        self.errors_by_code: collections.Counter[int] = collections.Counter()
        self.response_problems: list[str] = []
        self._windows: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._message_id = 0
        self._cmid: dict[int, int] = collections.defaultdict(int)
        self._upload_seq = 0
        self._pending_uploads: dict[str, tuple[str, bytes, str]] = {}
        # Long poll: events[i] has number lp_first + i; ts is the number of the next event.
        self.lp_key = secrets.token_hex(8)
        self.lp_first = 1
        self.lp_events: collections.deque[dict[str, Any]] = collections.deque()
        self._lp_cond: asyncio.Condition | None = None
        self.lp_waiting = 0  # long-poll requests parked waiting for events
        self._delivered_cond: asyncio.Condition | None = None
        self._rng = random.Random(0)
        self.last_incoming: dict[int, dict[str, Any]] = {}  # private peer -> the user's last message

    # ---------------------------------------------------------------- method dispatch

    async def call(self, method: str, params: dict[str, str], *, inside_execute: bool = False) -> Any:
        """Run one API method as VK would; return `response` or raise VKError."""
        if not inside_execute:
            if params.get("access_token") != self.token:
                raise VKError(5, "User authorization failed: invalid access_token (4).")
            self._count_rate()
        queue = self.faults.method_errors.get(method)
        if queue:
            code = queue.popleft()
            raise VKError(code, self.schema.error_message(code))
        spec = self.schema.methods.get(method)
        impl = getattr(self, "_m_" + method.replace(".", "_"), None)
        if spec is None or impl is None:
            raise VKError(3, "Unknown method passed")
        try:
            extra = BEYOND_SCHEMA.get(method, set())
            parsed = self.schema.validate_params(spec, {k: v for k, v in params.items() if k not in extra},
                                                 self.strict)
        except ParamError as e:
            raise VKError(100, f"One of the parameters specified was missing or invalid: {e}") from None
        result = await impl(parsed)
        if self.check_responses and method != "execute":
            problems = self.schema.check_response(method, {"response": result})
            if problems:
                self.response_problems.append(f"{method}: {problems}")
        return result

    def _count_rate(self) -> None:
        # VK takes at most 20 requests a second with a community's key and answers the next with error 6 «Too many
        # requests per second» (dev.vk.com/ru/api/api-requests, «Ограничения и рекомендации»; errors.json of
        # vk-api-schema 5.199, api_error_too_many)
        self.requests_total += 1
        if not self.rate_limit:
            return
        now = self.rate_clock()
        window = self._windows[self.token]
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.rate_limit:
            raise VKError(6, "Too many requests per second")
        window.append(now)

    def error_body(self, err: VKError, method: str, params: dict[str, str]) -> dict[str, Any]:
        self.errors_by_code[err.code] += 1
        request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
        request_params += [
            {"key": k, "value": str(v)} for k, v in params.items() if k != "access_token"
        ]
        return {"error": {"error_code": err.code, "error_msg": err.msg, "request_params": request_params}}

    # ---------------------------------------------------------------- methods

    async def _m_groups_getById(self, p: dict[str, Any]) -> Any:
        return {
            "groups": [{
                "id": self.group_id, "name": "Сферум: дорожная карта (эмулятор)",
                "screen_name": self.screen_name, "is_closed": 0, "type": "group",
            }],
            "profiles": [],
        }

    def _own_group(self, p: dict[str, Any], right: str | None = None) -> None:
        if p.get("group_id", self.group_id) != self.group_id:
            raise VKError(15, "Access denied: no access to this group")
        if right is not None and right not in self.community.permissions:
            raise VKError(15, f"Access denied: no access to call this method (the token has no {right} right)")

    async def _m_groups_getTokenPermissions(self, p: dict[str, Any]) -> Any:
        perms = [{"name": n, "setting": PERMISSIONS[n]} for n in sorted(self.community.permissions)]
        return {"mask": sum(x["setting"] for x in perms), "permissions": perms}

    async def _m_groups_getSettings(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        c = self.community
        return {"title": "Сферум: дорожная карта (эмулятор)", "description": "", "address": self.screen_name,
                "wall": 1, "photos": 1, "video": 1, "audio": 1, "docs": 1, "topics": 0, "wiki": 0, "articles": 0,
                "city_id": 0, "city_name": "", "obscene_filter": 0, "obscene_stopwords": 0, "obscene_words": [],
                "toxic_filter": 0, "disable_replies_from_groups": 0, "messages": int(c.messages),
                "bots_capabilities": int(c.bots_capabilities), "bots_add_to_chat": int(c.bots_add_to_chat),
                "bots_start_button": int(c.bots_start_button)}

    async def _m_groups_setSettings(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        c = self.community
        for name in ("messages", "bots_capabilities", "bots_add_to_chat", "bots_start_button"):
            if name in p:
                setattr(c, name, bool(int(p[name])))
        return 1

    async def _m_groups_getLongPollSettings(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        c = self.community
        _, node = self.schema.resolve(self.schema.definition("groups", "groups_long_poll_events"))
        names = set(self.schema.long_poll_event_names()) | set(node.get("properties", {}))
        return {"is_enabled": c.longpoll_enabled, "api_version": c.longpoll_version,
                "events": {n: int(n in c.longpoll_events) for n in names}}

    async def _m_groups_setLongPollSettings(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        c = self.community
        if "enabled" in p:
            c.longpoll_enabled = bool(int(p["enabled"]))
        if "api_version" in p:
            c.longpoll_version = str(p["api_version"])
        for name in self.schema.long_poll_event_names():
            if name in p:
                (c.longpoll_events.add if int(p[name]) else c.longpoll_events.discard)(name)
        return 1

    # -- Callback API: VK posts each event to the community's server (dev.vk.com, «Callback API»): first a
    # {"type": "confirmation"} the server must answer with the community's code, then events carrying the server's
    # secret_key, each answered "ok" — anything else is delivered again. The HTTP side is vkemu/server.py.

    async def _m_groups_addCallbackServer(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        self._callback_seq += 1
        server = {"id": self._callback_seq, "title": str(p.get("title", "")), "creator_id": 1, "url": str(p["url"]),
                  "secret_key": str(p.get("secret_key", "")), "status": "unconfigured", "events": set(),
                  "api_version": ""}
        self.callback_servers.append(server)
        if self.on_callback_server is not None:
            self.on_callback_server(server)  # VK asks the server to confirm itself at once
        return {"server_id": server["id"]}

    async def _m_groups_getCallbackServers(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        items = [{k: v for k, v in server.items() if k not in ("events", "api_version")}
                 for server in self.callback_servers]
        return {"count": len(items), "items": items}

    async def _m_groups_editCallbackServer(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        server = self._callback_server(p)
        server.update({"url": str(p.get("url", server["url"])), "title": str(p.get("title", server["title"])),
                       "secret_key": str(p.get("secret_key", server["secret_key"]))})
        if server["status"] != "ok" and self.on_callback_server is not None:
            self.on_callback_server(server)  # an unconfirmed server is asked again
        return 1

    async def _m_groups_deleteCallbackServer(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        self.callback_servers.remove(self._callback_server(p))
        return 1

    async def _m_groups_setCallbackSettings(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        server = self._callback_server(p)
        if "api_version" in p:
            server["api_version"] = str(p["api_version"])
        for name in self.schema.long_poll_event_names():
            if name in p:
                (server["events"].add if int(p[name]) else server["events"].discard)(name)
        return 1

    async def _m_groups_getCallbackConfirmationCode(self, p: dict[str, Any]) -> Any:
        self._own_group(p, "manage")
        return {"code": self.confirmation_code}

    def _callback_server(self, p: dict[str, Any]) -> dict[str, Any]:
        server = next((s for s in self.callback_servers if s["id"] == int(p.get("server_id", 0))), None)
        if server is None:
            raise VKError(100, "One of the parameters specified was missing or invalid: server_id")
        return server

    async def _m_groups_getLongPollServer(self, p: dict[str, Any]) -> Any:
        if p["group_id"] != self.group_id:
            raise VKError(15, "Access denied: no access to this group")
        if not self.community.longpoll_enabled:
            raise VKError(100, "One of the parameters specified was missing or invalid: Bots Long Poll is disabled")
        return {"key": self.lp_key, "server": f"{self.base_url}/lp", "ts": str(self._lp_ts())}

    async def _m_users_get(self, p: dict[str, Any]) -> Any:
        out = []
        for raw in p.get("user_ids", []):
            try:
                uid = int(raw)
            except ValueError:
                raise VKError(113, "Invalid user id") from None
            user = self.users.get(uid)
            if user is None:
                out.append({"id": uid, "first_name": "DELETED", "last_name": "",
                            "deactivated": "deleted", "can_access_closed": True, "is_closed": False})
            else:
                out.append({"id": uid, "first_name": user.first_name, "last_name": user.last_name,
                            "can_access_closed": True, "is_closed": False})
        return out

    async def _m_messages_send(self, p: dict[str, Any]) -> Any:
        text = p.get("message", "")
        attachments = [a for a in p.get("attachment", "").split(",") if a]
        if not text and not attachments and "sticker_id" not in p:
            raise VKError(100, "One of the parameters specified was missing or invalid: message is empty or invalid")
        if len(text) > MESSAGE_MAX:
            raise VKError(914, "Message is too long")
        for att in attachments:
            if att not in self.files and not att.startswith(("wall", "video", "audio", "link")):
                raise VKError(100, f"One of the parameters specified was missing or invalid: attachment {att} not found")
        keyboard = None
        if "keyboard" in p and not self.community.bots_capabilities:
            raise VKError(912, "This is a chat bot feature, change this status in settings")
        if "keyboard" in p:
            try:
                keyboard = check_keyboard(p["keyboard"])
            except KeyboardError as e:
                raise VKError(911, f"Keyboard format is invalid: {e}") from None
        if "random_id" not in p:  # required since API 5.90
            raise VKError(100, "One of the parameters specified was missing or invalid: random_id is a required parameter")
        random_id = int(p["random_id"])
        if "peer_ids" in p:
            results = []
            for peer in p["peer_ids"]:
                try:
                    mid = self._deliver(peer, text, keyboard, attachments, random_id, p.get("payload"), per_peer=True)
                    results.append({"peer_id": peer, "message_id": mid,
                                    "conversation_message_id": self.by_id[mid].conversation_message_id})
                except VKError as e:
                    self.errors_by_code[e.code] += 1
                    # The schema requires both ids on every item; a failed recipient gets zeros.
                    results.append({"peer_id": peer, "message_id": 0, "conversation_message_id": 0,
                                    "error": {"code": e.code, "description": e.msg}})
            return results
        if "peer_id" in p:
            peer = p["peer_id"]
        elif "user_id" in p:
            peer = p["user_id"]
        elif "chat_id" in p:
            peer = CHAT_BASE + p["chat_id"]
        else:
            raise VKError(100, "One of the parameters specified was missing or invalid: peer_id is undefined")
        return self._deliver(peer, text, keyboard, attachments, random_id, p.get("payload"))

    def _deliver(self, peer: int, text: str, keyboard: dict[str, Any] | None, attachments: list[str],
                 random_id: int, payload: str | None, per_peer: bool = False) -> int:
        # VK checks random_id across the community's whole history, not per conversation: an id used
        # before returns the old message's id, and nothing is delivered (messages.send documentation).
        key = (peer if per_peer else 0, random_id)
        if random_id and key in self.dedup:
            self.repeated_sends += 1
            return self.dedup[key]
        if peer >= CHAT_BASE:
            chat = self.chats.get(peer)
            if chat is None or not chat.community_in:
                raise VKError(917, "You don't have access to this chat")
        else:
            user = self.users.get(peer)
            if user is None or not user.allowed:
                raise VKError(901, "Can't send messages for users without permission")
        self._flood_control(peer, text, attachments)
        self._message_id += 1
        self._cmid[peer] += 1
        msg = Delivered(self._message_id, self._cmid[peer], peer, text.replace(INVISIBLE, ""), keyboard, attachments,
                        random_id, payload, int(time.time()), sent_text=text)
        self.record[peer].append(msg)
        self.by_id[msg.id] = msg
        self._wake(self._delivered_cond)
        if random_id:
            self.dedup[key] = msg.id
        return msg.id

    def _flood_control(self, peer: int, text: str, attachments: list[str]) -> None:
        """VK's error 9 on messages.send, two ways:
        - «Flood control: same message already sent»: the text (and attachments) of the peer's last message again,
          within a minute — the message bots meet when they repeat themselves (community code catches this very
          text and alters the message to get through); the minute is our assumption, VK publishes no figure;
        - «Flood control: too much messages sent to user»: over 1000 messages to one person in an hour (VK's
          answer in its FAQ, vk.com/faq11583, quoted by help.vposter.ru «Error 9 - Flood control»)."""
        sent = self.record.get(peer)
        if not sent:
            return
        now = int(time.time())
        last = sent[-1]
        if last.sent_text == text and last.attachments == attachments and now - last.date < SAME_TEXT_S and text:
            raise VKError(9, "Flood control: same message already sent")
        if peer < CHAT_BASE and len(sent) >= PER_USER_HOURLY and now - sent[-PER_USER_HOURLY].date < 3600:
            raise VKError(9, "Flood control: too much messages sent to user")

    async def _m_messages_getConversations(self, p: dict[str, Any]) -> Any:
        """Private conversations, newest first; `unanswered`: the user wrote last."""
        kind = p.get("filter", "all")
        rows = []
        for peer, message in self.last_incoming.items():
            sent = self.record.get(peer)
            last_out = sent[-1] if sent else None
            unanswered = last_out is None or last_out.id < message["id"]
            if kind == "unanswered" and not unanswered:
                continue
            last = message if unanswered else {
                "date": last_out.date, "from_id": -self.group_id, "id": last_out.id, "out": 1,
                "version": last_out.id, "attachments": [], "conversation_message_id": last_out.conversation_message_id,
                "fwd_messages": [], "important": False, "is_hidden": False, "peer_id": peer,
                "random_id": last_out.random_id, "text": last_out.text}
            rows.append({"conversation": {
                "peer": {"id": peer, "type": "user", "local_id": peer}, "last_message_id": last["id"],
                "last_conversation_message_id": last["conversation_message_id"], "in_read": message["id"],
                "out_read": last_out.id if last_out else 0, "version": last["id"], "unanswered": unanswered},
                "last_message": last})
        rows.sort(key=lambda r: -r["last_message"]["id"])
        offset, count = p.get("offset", 0), p.get("count", 20)
        return {"count": len(rows), "items": rows[offset:offset + count]}

    async def _m_messages_edit(self, p: dict[str, Any]) -> Any:
        msg = None
        if "message_id" in p:
            msg = self.by_id.get(p["message_id"])
        elif "cmid" in p:
            msg = next((m for m in self.record.get(p["peer_id"], [])
                        if m.conversation_message_id == p["cmid"]), None)
        if msg is None or msg.peer_id != p["peer_id"]:
            raise VKError(100, "One of the parameters specified was missing or invalid: message not found")
        if "message" in p:
            if len(p["message"]) > MESSAGE_MAX:
                raise VKError(914, "Message is too long")
            msg.text, msg.sent_text = p["message"].replace(INVISIBLE, ""), p["message"]
        if "keyboard" in p:
            try:
                msg.keyboard = check_keyboard(p["keyboard"])
            except KeyboardError as e:
                raise VKError(911, f"Keyboard format is invalid: {e}") from None
        if "attachment" in p:
            msg.attachments = [a for a in p["attachment"].split(",") if a]
        msg.edited = True
        return 1

    async def _m_messages_sendMessageEventAnswer(self, p: dict[str, Any]) -> Any:
        data = None
        if "event_data" in p:
            try:
                data = json.loads(p["event_data"])
            except json.JSONDecodeError:
                raise VKError(100, "One of the parameters specified was missing or invalid: event_data") from None
        self.event_answers.append({"event_id": p["event_id"], "user_id": p["user_id"],
                                   "peer_id": p["peer_id"], "event_data": data})
        return 1

    def _upload_server(self, kind: str, peer: int | None) -> str:
        self._upload_seq += 1
        ticket = f"{kind}{self._upload_seq}-{secrets.token_hex(4)}"
        self._pending_uploads[ticket] = (kind, b"", str(peer or 0))
        return f"{self.base_url}/upload/{ticket}"

    async def _m_photos_getMessagesUploadServer(self, p: dict[str, Any]) -> Any:
        return {"album_id": -64, "upload_url": self._upload_server("photo", p.get("peer_id")),
                "user_id": 0, "group_id": self.group_id}

    async def _m_docs_getMessagesUploadServer(self, p: dict[str, Any]) -> Any:
        return {"upload_url": self._upload_server("doc", p.get("peer_id"))}

    def upload(self, ticket: str, filename: str, data: bytes) -> dict[str, Any]:
        """The upload URL's answer: what the client passes on to photos.saveMessagesPhoto / docs.save."""
        if ticket not in self._pending_uploads:
            return {"error": "invalid upload url"}
        kind, _, _ = self._pending_uploads.pop(ticket)
        self._upload_seq += 1
        handle = f"{kind}|{self._upload_seq}|{filename}"
        self.files["upload:" + handle] = data
        if kind == "photo":
            return {"server": 1, "photo": json.dumps([{"handle": handle}]), "hash": secrets.token_hex(8)}
        return {"file": handle}

    def _take_upload(self, kind: str, raw: str) -> tuple[str, bytes]:
        handle = raw
        if kind == "photo":
            try:
                handle = json.loads(raw)[0]["handle"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise VKError(100, "One of the parameters specified was missing or invalid: photo") from None
        data = self.files.pop("upload:" + handle, None)
        if data is None or not handle.startswith(kind + "|"):
            raise VKError(100, f"One of the parameters specified was missing or invalid: {kind}")
        return handle.split("|", 2)[2], data

    async def _m_photos_saveMessagesPhoto(self, p: dict[str, Any]) -> Any:
        _, data = self._take_upload("photo", p["photo"])
        self._upload_seq += 1
        pid = self._upload_seq
        self.files[f"photo-{self.group_id}_{pid}"] = data
        return [{"id": pid, "owner_id": -self.group_id, "album_id": -64, "date": int(time.time()),
                 "has_tags": False, "text": "",
                 "sizes": [{"type": "x", "url": f"{self.base_url}/files/photo-{self.group_id}_{pid}",
                            "width": 0, "height": 0}]}]

    async def _m_docs_save(self, p: dict[str, Any]) -> Any:
        name, data = self._take_upload("doc", p["file"])
        self._upload_seq += 1
        did = self._upload_seq
        self.files[f"doc-{self.group_id}_{did}"] = data
        title = p.get("title") or name
        ext = title.rsplit(".", 1)[-1] if "." in title else ""
        return {"type": "doc", "doc": {
            "id": did, "owner_id": -self.group_id, "title": title, "size": len(data), "ext": ext,
            "date": int(time.time()), "type": 8,
            "url": f"{self.base_url}/files/doc-{self.group_id}_{did}"}}

    async def handle(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """One HTTP request to /method/<method>: the whole JSON body VK would answer."""
        try:
            if method == "execute":
                if params.get("access_token") != self.token:
                    raise VKError(5, "User authorization failed: invalid access_token (4).")
                self._count_rate()
                return await self.run_execute(params.get("code", ""))
            return {"response": await self.call(method, params)}
        except VKError as e:
            return self.error_body(e, method, params)

    async def run_execute(self, code: str) -> dict[str, Any]:
        """execute: one rate-limited request running up to 25 calls; per-call errors as VK reports them."""
        try:
            program = vkscript.parse(code)
        except vkscript.CompileError as e:
            raise VKError(12, f"Unable to compile code: {e}") from None
        if sum(vkscript.count_calls(s) for s in program) > 25:
            raise VKError(13, "Runtime error occurred during code invocation: Too many API calls")
        errors: list[dict[str, Any]] = []

        async def one(method: str, args: dict[str, Any]) -> Any:
            if method == "execute":
                raise vkscript.CompileError("execute cannot call execute")
            params = {k: _form_value(v) for k, v in args.items() if v is not None}
            try:
                return await self.call(method, params, inside_execute=True)
            except VKError as e:
                self.errors_by_code[e.code] += 1
                errors.append({"method": method, "error_code": e.code, "error_msg": e.msg})
                return False

        try:
            value = await vkscript.run(program, one)
        except vkscript.CompileError as e:
            raise VKError(12, f"Unable to compile code: {e}") from None
        body: dict[str, Any] = {"response": value}
        if errors:
            # VK ends the list with an entry for execute itself, carrying the last error
            body["execute_errors"] = [*errors, {**errors[-1], "method": "execute"}]
        return body

    # ---------------------------------------------------------------- long poll

    def _lp_ts(self) -> int:
        return self.lp_first + len(self.lp_events)

    def _cond(self) -> asyncio.Condition:
        if self._lp_cond is None:
            self._lp_cond = asyncio.Condition()
        return self._lp_cond

    def _push(self, kind: str, obj: dict[str, Any]) -> None:
        for server in self.callback_servers:  # the Callback API's settings are its own, apart from the long poll's
            if server["status"] == "ok" and kind in server["events"] and self.on_callback_event is not None:
                self.on_callback_event(server, {"group_id": self.group_id, "type": kind,
                                                "event_id": secrets.token_hex(20), "v": server["api_version"],
                                                "object": obj, "secret": server["secret_key"]})
        c = self.community
        if not c.longpoll_enabled or kind not in c.longpoll_events:
            return  # the community's Long Poll settings do not send this event type
        if kind == "message_new" and version_tuple(c.longpoll_version) < (5, 103):
            obj = obj["message"]  # before 5.103 the object was the message itself
        event = {"group_id": self.group_id, "type": kind, "event_id": secrets.token_hex(20),
                 "v": c.longpoll_version, "object": obj}
        self.lp_events.append(event)
        while len(self.lp_events) > self.history_limit:
            self.lp_events.popleft()
            self.lp_first += 1
        self._push_wake()

    async def a_check(self, key: str, ts: str, wait: float) -> dict[str, Any]:
        if self.faults.longpoll_failed:
            code = self.faults.longpoll_failed.popleft()
            if code == 1:
                return {"failed": 1, "ts": self._lp_ts()}
            self.lp_key, self.lp_key_born = secrets.token_hex(8), time.monotonic()
            return {"failed": code}
        if key == self.lp_key and time.monotonic() - self.lp_key_born > self.longpoll_key_ttl:
            self.lp_key = secrets.token_hex(8)  # VK's keys expire after some hours
            self.lp_key_born = time.monotonic()
        if key != self.lp_key:
            return {"failed": 2}
        try:
            n = int(ts)
        except ValueError:
            return {"failed": 1, "ts": self._lp_ts()}
        if n < self.lp_first or n > self._lp_ts():
            return {"failed": 1, "ts": self._lp_ts()}
        if n == self._lp_ts() and wait > 0:
            cond = self._cond()
            self.lp_waiting += 1
            async with cond:
                try:
                    await asyncio.wait_for(cond.wait_for(lambda: self._lp_ts() > n), timeout=wait)
                except TimeoutError:
                    pass
            if key != self.lp_key:
                return {"failed": 2}
        start = n - self.lp_first
        updates = list(self.lp_events)[start:] if start < len(self.lp_events) else []
        return {"ts": str(self._lp_ts()), "updates": updates}

    # ================================================================ control API

    async def wait_for_poller(self, limit_s: float = 10.0) -> None:
        """Until a client is parked on the long-poll server, so the next event reaches it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while self.lp_waiting == 0:
            if loop.time() > deadline:
                raise TimeoutError("no long-poll client is waiting")
            await asyncio.sleep(0.01)

    def add_user(self, user_id: int, first_name: str = "Иван", last_name: str = "Иванов",
                 allowed: bool = False) -> User:
        user = User(user_id, first_name, last_name, allowed)
        self.users[user_id] = user
        return user

    def add_users(self, user_ids: list[int], allowed: bool = False) -> int:
        """Many people at once (one control call for a broadcast's thousands, not one each)."""
        for user_id in user_ids:
            self.add_user(int(user_id), allowed=allowed)
        return len(user_ids)

    def add_chat(self, members: list[int], title: str = "Беседа координаторов",
                 community_in: bool = True, full_access: bool = False) -> int:
        peer_id = CHAT_BASE + len(self.chats) + 1
        self.chats[peer_id] = Chat(peer_id, title, set(members), community_in, full_access)
        if community_in and members:
            self.add_community(peer_id, members[0])
        return peer_id

    def add_community(self, peer_id: int, by: int) -> None:
        """`by` adds the community to the chat: VK tells the bot (a service message, whatever its access)."""
        self.chats[peer_id].community_in = True
        obj = self._message_object(by, peer_id, "", None)
        obj["message"]["action"] = {"type": "chat_invite_user", "member_id": -self.group_id}
        self._push("message_new", obj)

    def remove_community(self, peer_id: int, by: int) -> None:
        """`by` removes the community from the chat: VK tells the bot with a chat_kick_user service message."""
        self.chats[peer_id].community_in = False
        obj = self._message_object(by, peer_id, "", None)
        obj["message"]["action"] = {"type": "chat_kick_user", "member_id": -self.group_id}
        self._push("message_new", obj)

    def new_community(self) -> None:
        """Put the community in the state VK creates it in: messages, bot abilities and the long poll off."""
        self.community = Community()

    def grant_full_access(self, peer_id: int, granted: bool = True) -> None:
        """The chat's admin lets the community's bot read every message of the chat (or takes it back)."""
        self.chats[peer_id].full_access = granted

    def mention(self) -> str:
        """What VK's client puts in a message when someone picks the community after typing @."""
        return f"[club{self.group_id}|@{self.screen_name}]"

    def reaches_bot(self, chat: Chat, text: str, payload: str | None, reply_to: int | None) -> bool:
        """Whether VK hands a chat message to the community's bot."""
        if chat.full_access or payload is not None:  # a press of the bot's own button is addressed to it
            return True
        if reply_to is not None and reply_to in self.by_id:  # a reply to one of the bot's messages
            return True
        lowered = text.lower()
        names = (f"[club{self.group_id}|", f"[public{self.group_id}|", f"@{self.screen_name.lower()}",
                 f"@club{self.group_id}")
        return any(n in lowered for n in names)

    def _message_object(self, user_id: int, peer_id: int, text: str, payload: str | None,
                        ref: str | None = None) -> dict[str, Any]:
        self._message_id += 1
        self._cmid[peer_id] += 1
        message: dict[str, Any] = {
            "date": int(time.time()), "from_id": user_id, "id": self._message_id if peer_id < CHAT_BASE else 0,
            "out": 0, "version": self._message_id, "attachments": [],
            "conversation_message_id": self._cmid[peer_id], "fwd_messages": [], "important": False,
            "is_hidden": False, "peer_id": peer_id, "random_id": 0, "text": text,
        }
        if payload is not None:
            message["payload"] = payload
        if ref is not None:  # the person came by a link vk.me/club<id>?ref=…: VK marks their message with it
            message["ref"] = ref
        return {"message": message, "client_info": {
            "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback",
                               "intent_subscribe", "intent_unsubscribe"],
            "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0}}

    def open_link(self, user_id: int, url: str) -> dict[str, Any] | None:
        """The person opens the community's dialog link https://vk.me/club<id>?ref=<ref> and presses «Начать»:
        VK sends that message with the link's `ref` (messages_base_message.ref in the schema). «Начать» is shown
        only in a dialog not yet begun: someone who has written before just sees the dialog, and no ref comes."""
        parts = urlsplit(url)
        ref = parse_qs(parts.query).get("ref", [None])[0]
        if parts.scheme != "https" or parts.netloc != "vk.me" or \
                parts.path.strip("/") not in (f"club{self.group_id}", self.screen_name):  # both address a community
            raise ValueError(f"не ссылка на сообщество club{self.group_id}: {url}")
        if user_id in self.users and self.users[user_id].wrote:
            return None
        if not self.community.bots_start_button:
            return None  # no «Начать» is shown: the person sees an empty dialog and the ref goes nowhere
        return self.say(user_id, "Начать", payload={"command": "start"}, ref=ref)

    def say_file(self, user_id: int, name: str, b64: str = "", stream_mb: int = 0) -> dict[str, Any]:
        """A person sends one file: `b64` its bytes, or `stream_mb` — a body of that many MB served as it streams,
        whose attachment has no `size` (VK may leave it out: a missing size reads as 0)."""
        import base64

        if not stream_mb:
            return self.say(user_id, "", documents=((name, base64.b64decode(b64)),))
        event = self.say(user_id, "", documents=((name, b""),))
        doc = event["message"]["attachments"][-1]["doc"]  # the pushed event holds this very dict
        key = doc["url"].rsplit("/", 1)[-1].partition("?")[0]
        del self.files[key]
        self.streamed[key] = stream_mb
        doc.pop("size")
        return event

    def say(self, user_id: int, text: str, *, peer_id: int | None = None,
            payload: str | dict[str, Any] | None = None, reply_to: int | None = None,
            documents: tuple[tuple[str, bytes], ...] = (), ref: str | None = None) -> dict[str, Any]:
        """The user writes `text` to the community (or to chat `peer_id`): a message_new event, if VK
        gives it to the bot (in a chat: only a mention, a reply to the bot or a press, without full access).
        `reply_to`: the id of the bot's message this one replies to; `documents`: files (name, bytes) sent
        with it, as VK's "doc" attachments whose url serves the file (with VK's access hash in the query)."""
        if user_id not in self.users:
            self.add_user(user_id)
        peer = peer_id if peer_id is not None else user_id
        if peer >= CHAT_BASE:
            chat = self.chats.get(peer)
            if chat is None:
                raise KeyError(f"no chat {peer}")
            chat.members.add(user_id)
        else:
            self.users[user_id].allowed = True  # writing to a community allows its messages
            self.users[user_id].wrote = True
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False)
        obj = self._message_object(user_id, peer, text, payload, ref if peer == user_id else None)
        for name, data in documents:
            self._upload_seq += 1
            key = f"doc{user_id}_{self._upload_seq}"
            self.files[key] = data
            obj["message"]["attachments"].append({"type": "doc", "doc": {
                "id": self._upload_seq, "owner_id": user_id, "title": name, "size": len(data),
                "ext": name.rsplit(".", 1)[-1] if "." in name else "", "date": int(time.time()), "type": 8,
                "url": f"{self.base_url}/files/{key}?hash={secrets.token_hex(8)}&dl=1", "access_key": secrets.token_hex(8)}})
        if reply_to is not None and reply_to in self.by_id:
            replied = self.by_id[reply_to]
            obj["message"]["reply_message"] = {
                "date": replied.date, "from_id": -self.group_id, "text": replied.text, "attachments": [],
                "conversation_message_id": replied.conversation_message_id, "peer_id": replied.peer_id, "id": 0}
        if peer < CHAT_BASE:
            self.last_incoming[peer] = obj["message"]
        elif not self.reaches_bot(self.chats[peer], text, payload, reply_to):
            return obj  # the chat's members see it; the bot never does
        self._push("message_new", obj)
        return obj

    def last_keyboard(self, peer_id: int) -> dict[str, Any] | None:
        for msg in reversed(self.record.get(peer_id, [])):
            if msg.keyboard is not None:
                return msg.keyboard
        return None

    def _find_button(self, peer_id: int, label: str | int) -> tuple[dict[str, Any], Delivered]:
        """The newest button so labelled that a person can still press: the current standard keyboard's, or an
        inline keyboard's under any message (VK keeps those under their messages; only a standard keyboard is
        replaced by the next one)."""
        standard_seen = False
        for msg in reversed(self.record.get(peer_id, [])):
            if msg.keyboard is None:
                continue
            inline = bool(msg.keyboard.get("inline"))
            if not inline and standard_seen:
                continue  # an older standard keyboard: replaced
            actions = msg.buttons()
            if isinstance(label, int):
                if 0 <= label < len(actions):
                    return actions[label], msg
            else:
                for a in actions:
                    if a.get("label") == label:
                        return a, msg
            if isinstance(label, int) and not inline:
                break  # a number names a button of the newest keyboard only
            standard_seen = standard_seen or not inline
        raise KeyError(f"no button {label!r} on the latest keyboards of {peer_id}")

    def press(self, user_id: int, label: str | int, *, peer_id: int | None = None) -> dict[str, Any]:
        """Press a button on the latest keyboard: text buttons send message_new, callback ones message_event."""
        peer = peer_id if peer_id is not None else user_id
        action, msg = self._find_button(peer, label)
        payload = action.get("payload")
        if payload is not None and not isinstance(payload, str):
            payload = json.dumps(payload, ensure_ascii=False)
        if action["type"] == "callback":
            return self.callback(user_id, payload or "{}", peer_id=peer,
                                 conversation_message_id=msg.conversation_message_id)
        return self.say(user_id, action.get("label", ""), peer_id=peer, payload=payload)

    def callback(self, user_id: int, payload: str | dict[str, Any], *, peer_id: int | None = None,
                 conversation_message_id: int = 1) -> dict[str, Any]:
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False)
        try:  # VK hands a callback's payload over as the object the button carried, not as text
            payload_value: Any = json.loads(payload)
        except ValueError:
            payload_value = payload
        obj = {"user_id": user_id, "peer_id": peer_id if peer_id is not None else user_id,
               "event_id": secrets.token_hex(6), "payload": payload_value,
               "conversation_message_id": conversation_message_id}
        self._push("message_event", obj)
        return obj

    def allow(self, user_id: int) -> None:
        if user_id not in self.users:
            self.add_user(user_id)
        self.users[user_id].allowed = True
        self._push("message_allow", {"user_id": user_id, "key": ""})

    def deny(self, user_id: int) -> None:
        if user_id not in self.users:
            self.add_user(user_id)
        self.users[user_id].allowed = False
        self._push("message_deny", {"user_id": user_id})

    def redeliver(self, count: int = 1) -> None:
        """Push the last `count` events again, same event_id: VK's at-least-once delivery."""
        for event in list(self.lp_events)[-count:]:
            self.lp_events.append(dict(event))
        self._push_wake()

    def _push_wake(self) -> None:
        """Wake parked long-poll requests (control calls are synchronous, so schedule it)."""
        self._wake(self._lp_cond)

    def _wake(self, cond: asyncio.Condition | None) -> None:
        if cond is None:
            return

        async def wake() -> None:
            async with cond:
                cond.notify_all()

        try:
            asyncio.get_running_loop().create_task(wake())
        except RuntimeError:
            pass  # no loop running: nobody can be parked either

    async def wait_delivered(self, peer_id: int, count: int, limit_s: float = 10.0) -> list[Delivered]:
        """Until `peer_id` has at least `count` messages (or `limit_s` passes); returns its record."""
        if self._delivered_cond is None:
            self._delivered_cond = asyncio.Condition()
        cond = self._delivered_cond
        async with cond:
            try:
                await asyncio.wait_for(cond.wait_for(lambda: len(self.record.get(peer_id, [])) >= count), limit_s)
            except TimeoutError:
                pass
        return self.delivered(peer_id)

    def delivered(self, peer_id: int) -> list[Delivered]:
        return list(self.record.get(peer_id, []))

    def file_bytes(self, attachment: str) -> bytes:
        return self.files[attachment]

    # faults
    def fail_longpoll(self, code: int, times: int = 1) -> None:
        self.faults.longpoll_failed.extend([code] * times)

    def fail_http(self, times: int = 1) -> None:
        self.faults.http_5xx += times

    def slow_down(self, seconds: float, times: int = 1) -> None:
        self.faults.slow += times
        self.faults.slow_seconds = seconds

    def drop_connections(self, times: int = 1) -> None:
        self.faults.drop += times

    def fail_method(self, method: str, code: int, times: int = 1) -> None:
        self.faults.method_errors.setdefault(method, collections.deque()).extend([code] * times)

    def chaos(self, p_5xx: float = 0.0, p_slow: float = 0.0, p_drop: float = 0.0,
              slow_seconds: float = 1.0, seed: int = 0) -> None:
        self.faults.p_5xx, self.faults.p_slow, self.faults.p_drop = p_5xx, p_slow, p_drop
        self.faults.slow_seconds = slow_seconds
        self._rng = random.Random(seed)

    def hang(self, seconds: float) -> None:
        """VK stops answering for `seconds`: a method request that arrives meanwhile is held without an answer (as
        over a dead connection: it stays held after VK is back); requests after that are answered. A client with
        no timeout of its own waits forever (vkbottle's default is none)."""
        self.faults.hang_until = time.monotonic() + seconds

    def outage(self, seconds: float, longpoll: bool = False) -> None:
        """VK's API down for `seconds`: every method request answers 502 until then; with `longpoll`,
        the long-poll server too (otherwise updates keep coming, as when only api.vk.com fails)."""
        self.faults.down_until = time.monotonic() + seconds
        self.faults.longpoll_down = longpoll

    @property
    def down(self) -> bool:
        return time.monotonic() < self.faults.down_until

    @property
    def longpoll_down(self) -> bool:
        return self.down and self.faults.longpoll_down

    def next_fault(self) -> str | None:
        """Which transport fault the next method request meets: '5xx', 'slow', 'drop' or None."""
        f = self.faults
        if self.down:
            return "5xx"
        if f.drop:
            f.drop -= 1
            return "drop"
        if f.http_5xx:
            f.http_5xx -= 1
            return "5xx"
        if f.slow:
            f.slow -= 1
            return "slow"
        r = self._rng.random()
        if r < f.p_drop:
            return "drop"
        if r < f.p_drop + f.p_5xx:
            return "5xx"
        if r < f.p_drop + f.p_5xx + f.p_slow:
            return "slow"
        return None


def _form_value(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, list):
        return ",".join(_form_value(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)
