"""The MAX Bot API as a bot sees it, in memory: users, dialogs, group chats, messages, button presses, uploads and
the long-polling queue of updates — with MAX's rules where its documentation or its users' issues show them:

- 30 requests a second per bot, over that HTTP 429 `too.many.requests` (documented limit);
- a group chat's events reach a bot only when it is an admin of the chat (max-bot-api-client-go issue #164);
- a bot writes to a person only after they started the dialog (`bot_started`), never after `bot_stopped`;
- `GET /updates` without a marker returns only the latest update; a marker acknowledges everything before it;
  at most 2 polls start in a second (a third gets 429) and an update older than 24 hours is gone (MAX's
  limits on polling since May 2026: dev.max.ru/help/events, «ограничено по скорости и сроку хранения событий»);
- a file just uploaded may be refused once with `attachment.not.ready` (maxapi retries on it for that reason);
- a callback is answered at most once; texts over 4,000 characters, unknown attachment types and buttons over
  the document's limits are refused by the schema check;
- a button's label is drawn on one line and cut past the document's recommended width (20 characters for one
  button in a row, 10 for two, 5 for three, 3 for four; max-bot-api-client-ts issue #300): MAX accepts it, so
  the emulator does too, but counts every label a person would see cut (`labels_cut`, in the control API's stats).

Every request and answer is checked against the OpenAPI document (`maxemu.schema`); the control methods
(`start`, `say`, `press`, `add_chat`, ...) are what tests and the sandbox use to play the people.
"""

from __future__ import annotations

import collections
import itertools
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .schema import Operation, Schema

RATE_LIMIT = 30  # requests a second (MAX's documented limit for a bot)
TEXT_LIMIT = 4000
DEEP_LINK_PAYLOAD = 128  # https://max.ru/<bot>?start=<payload>: MAX's help on deep links
LABEL_WIDTH = {1: 20, 2: 10, 3: 5, 4: 3}  # the document's recommendation, by buttons in the row
LABEL_WIDTH_MORE = 2  # five to seven in a row: the document says nothing; narrower still


def shown_label(text: str, in_row: int) -> str:
    """A label as a phone draws it in a row of `in_row` buttons: whole, or cut with an ellipsis."""
    width = LABEL_WIDTH.get(in_row, LABEL_WIDTH_MORE)
    return text if len(text) <= width else text[:max(1, width - 1)] + "…"


class ApiError(Exception):
    """An answer MAX gives with an HTTP error: `{"code": ..., "message": ...}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


POLLS_PER_SECOND = 2  # GET /updates (see the module's rules)
RETENTION_MS = 24 * 3600 * 1000  # an update is kept for a poller 24 hours

@dataclass
class Person:
    user_id: int
    first_name: str
    last_name: str | None = None
    started: bool = False  # pressed «Начать» in the bot's dialog and has not stopped it
    dialog_id: int = 0  # the dialog's chat_id
    is_bot: bool = False  # another bot in a group chat (User.is_bot in MAX's document)

    def user(self) -> dict[str, Any]:
        name = " ".join(x for x in (self.first_name, self.last_name) if x)
        return {"user_id": self.user_id, "first_name": self.first_name, "last_name": self.last_name,
                "username": None, "is_bot": self.is_bot, "last_activity_time": int(time.time() * 1000), "name": name}


@dataclass
class GroupChat:
    chat_id: int
    title: str
    members: set[int]
    bot_admin: bool
    bot_member: bool = True


@dataclass
class Upload:
    token: str
    kind: str
    data: bytes | None = None
    name: str = ""
    used: bool = False


@dataclass
class Delivered:
    """A message the bot sent, as MAX stored it: the message object and where it went."""

    message: dict[str, Any]
    user_id: int | None
    chat_id: int

    @property
    def text(self) -> str:
        return self.message["body"].get("text") or ""

    @property
    def mid(self) -> str:
        return self.message["body"]["mid"]

    def buttons(self) -> list[dict[str, Any]]:
        return [b for a in self.message["body"].get("attachments") or [] if a["type"] == "inline_keyboard"
                for row in a["payload"]["buttons"] for b in row]

    def labels(self) -> list[str]:
        return [b["text"] for b in self.buttons()]

    def shown_rows(self) -> list[list[str]]:
        """The keyboard as a person sees it: rows of labels, each cut as MAX cuts it."""
        return [[shown_label(b["text"], len(row)) for b in row]
                for a in self.message["body"].get("attachments") or [] if a["type"] == "inline_keyboard"
                for row in a["payload"]["buttons"]]

    def files(self) -> list[dict[str, Any]]:
        return [a for a in self.message["body"].get("attachments") or [] if a["type"] in ("file", "image")]


@dataclass
class Emulator:
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    rate_limit: int = RATE_LIMIT
    not_ready_once: bool = True  # a fresh upload is refused once, as MAX does while it processes the file
    bot_id: int = 9_000_001
    bot_name: str = "Дорожная карта Сферума"
    bot_username: str = "sferum_roadmap_bot"
    base_url: str = "http://127.0.0.1"
    schema: Schema = field(default_factory=Schema)
    polls_per_second: int = POLLS_PER_SECOND  # MAX's; in-process handler tests that poll after every step raise it
    per_chat_per_second: int = 2  # MAX's messages (and callback answers) a second into one chat; handler tests raise it

    def __post_init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.chats: dict[int, GroupChat] = {}
        self.updates: list[dict[str, Any]] = []
        # webhooks (POST /subscriptions): while one is set, updates go to it and a poller gets none — MAX's document:
        # «Both methods cannot be used simultaneously»
        self.subscriptions: list[dict[str, Any]] = []
        self.per_chat: dict[tuple[str, Any], collections.deque[float]] = {}
        self.on_update: Any = None  # the HTTP server's deliverer, told of each update while subscribed
        self.webhook_posts: list[tuple[str, int]] = []  # (update_type, HTTP status) of each delivery attempt
        self.sent: list[Delivered] = []
        self.messages: dict[str, dict[str, Any]] = {}  # mid -> message (the bot's and the people's)
        self.uploads: dict[str, Upload] = {}
        self.callbacks: dict[str, dict[str, Any]] = {}  # callback_id -> {"answered": bool, ...}
        self.answers: list[dict[str, Any]] = []
        self.requests: deque[float] = deque()
        self.polls: deque[float] = deque()
        self.commands: list[dict[str, Any]] = []  # PATCH /me/commands: what MAX offers when «/» is typed  # when each recent GET /updates came (2 a second)
        self.calls: list[tuple[str, str]] = []  # (method, path) of every API request, for tests
        self.rejected: list[tuple[int, str]] = []  # (status, code) of every refused request
        self.labels_cut: list[str] = []  # every button label sent that a person would see cut
        self.fail_next: list[ApiError] = []  # faults a test injects: the next requests answer these
        self.lose_answers = 0  # faults: the next sends are taken, but their answers are lost on the way (server)
        self._mid = itertools.count(1)
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._dialogs = itertools.count(100_000_001)
        self._chats = itertools.count(1)
        self.waiters: list[Any] = []  # futures of long polls waiting for an update (set by the server)

    # -- the people's side (control) --------------------------------------------------------------

    def add_user(self, user_id: int, first_name: str = "Анна", last_name: str | None = "Петрова") -> Person:
        person = self.people.get(user_id) or Person(user_id, first_name, last_name)
        person.first_name, person.last_name = first_name, last_name
        if not person.dialog_id:
            person.dialog_id = next(self._dialogs)
        self.people[user_id] = person
        return person

    def start(self, user_id: int, payload: str | None = None) -> dict[str, Any]:
        """The person presses «Начать» in the bot's dialog."""
        person = self.people.get(user_id) or self.add_user(user_id)
        person.started = True
        return self._push({"update_type": "bot_started", "chat_id": person.dialog_id, "user": person.user(),
                           "payload": payload, "user_locale": "ru"})

    def open_link(self, user_id: int, url: str) -> dict[str, Any]:
        """The person opens a deep link to the bot, https://max.ru/<bot nick>?start=<payload> (payload up to 128
        characters, MAX's help on deep links): the dialog starts with the payload in `bot_started`
        (max-bot-api-client-ts issue #299, max-bot-api-client-go pull request #39)."""
        parts = urlsplit(url)
        start = parse_qs(parts.query).get("start", [None])[0]
        if parts.scheme != "https" or parts.netloc != "max.ru" or unquote(parts.path.strip("/")) != self.bot_username:
            raise ValueError(f"не ссылка на бота {self.bot_username}: {url}")
        if start is not None and len(start) > DEEP_LINK_PAYLOAD:
            raise ValueError("в ссылке больше 128 знаков после start=")
        return self.start(user_id, start)

    def stop(self, user_id: int) -> dict[str, Any]:
        person = self.people[user_id]
        person.started = False
        return self._push({"update_type": "bot_stopped", "chat_id": person.dialog_id, "user": person.user(),
                           "user_locale": "ru"})

    def say(self, user_id: int, text: str, chat_id: int | None = None,
            attachments: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        """A person writes to the bot's dialog, or to a group chat (the bot hears it only as the chat's admin)."""
        person = self.people.get(user_id) or self.add_user(user_id)
        if chat_id is None:
            if not person.started:
                self.start(user_id)  # writing to a bot starts the dialog, as the client's «Начать» does
            recipient = {"chat_id": person.dialog_id, "chat_type": "dialog", "user_id": self.bot_id}
        else:
            chat = self.chats[chat_id]
            if user_id not in chat.members:
                raise KeyError(f"{user_id} is not a member of chat {chat_id}")
            recipient = {"chat_id": chat_id, "chat_type": "chat", "user_id": None}
        message = self._message(person.user(), recipient, text, attachments)
        if chat_id is not None and not (self.chats[chat_id].bot_admin and self.chats[chat_id].bot_member):
            return None  # MAX delivers a group chat's events only to a bot that administers it
        return self._push({"update_type": "message_created", "message": message, "user_locale": "ru"})

    def press(self, user_id: int, mid: str, payload: str) -> dict[str, Any]:
        """A person presses a callback button of one of the bot's messages (it must be there)."""
        message = self.messages.get(mid)
        if message is None:
            raise KeyError(f"no message {mid}")
        buttons = [b for a in message["body"].get("attachments") or [] if a["type"] == "inline_keyboard"
                   for row in a["payload"]["buttons"] for b in row if b.get("type") == "callback"]
        if not any(b.get("payload") == payload for b in buttons):
            raise KeyError(f"message {mid} has no button with payload {payload!r}")
        chat_id = message["recipient"]["chat_id"]
        if message["recipient"]["chat_type"] == "chat" and not self.chats[chat_id].bot_admin:
            raise KeyError("the bot is not an admin of that chat: MAX does not deliver its presses")
        person = self.people.get(user_id) or self.add_user(user_id)
        callback_id = f"cb.{next(self._ids)}.{secrets.token_hex(4)}"
        self.callbacks[callback_id] = {"answered": False, "user_id": user_id, "mid": mid}
        callback = {"timestamp": self._now(), "callback_id": callback_id, "payload": payload, "user": person.user()}
        return self._push({"update_type": "message_callback", "callback": callback, "message": message,
                           "user_locale": "ru"})

    def add_chat(self, members: list[int], title: str = "Координаторы", bot_admin: bool = False) -> int:
        """A member adds the bot to a new group chat. A bot added to a chat is a plain member until someone makes it
        an administrator (MAX's document: «чтобы получать события из групповых чатов и каналов, бот должен быть
        администратором»), so `bot_admin` is off unless a test says otherwise."""
        chat_id = -next(self._chats) - 70_000_000_000  # MAX's group chat ids are negative
        self.chats[chat_id] = GroupChat(chat_id, title, set(members), bot_admin)
        for m in members:
            if m not in self.people:
                self.add_user(m)
        # no `user`: MAX stopped sending who added the bot in November 2026 (dev.max.ru/docs-api/changelog-api)
        self._push({"update_type": "bot_added", "chat_id": chat_id, "is_channel": False})
        return chat_id

    def add_bot_back(self, chat_id: int) -> None:
        """A member adds the bot again to a chat it was removed from (bot_added, without `user`: see add_chat)."""
        self.chats[chat_id].bot_member = True
        self._push({"update_type": "bot_added", "chat_id": chat_id, "is_channel": False})

    def remove_bot(self, chat_id: int, by: int) -> None:
        """A member removes the bot from a group chat: MAX sends bot_removed (BotRemovedFromChatUpdate)."""
        self.chats[chat_id].bot_member = False
        self._push({"update_type": "bot_removed", "chat_id": chat_id, "user": self.people[by].user(),
                    "is_channel": False})

    def set_admin(self, chat_id: int, admin: bool) -> None:
        self.chats[chat_id].bot_admin = admin

    def delivered(self, user_id: int | None = None, chat_id: int | None = None) -> list[Delivered]:
        return [d for d in self.sent if (user_id is not None and d.user_id == user_id)
                or (chat_id is not None and d.chat_id == chat_id)]

    def file_bytes(self, attachment: dict[str, Any]) -> bytes:
        token = attachment["payload"].get("token")
        upload = self.uploads.get(token or "")
        if upload is None or upload.data is None:
            raise KeyError(f"no uploaded file for {attachment}")
        return upload.data

    # -- the API ----------------------------------------------------------------------------------

    def call(self, method: str, path: str, query: dict[str, str], body: Any, token: str | None) -> Any:
        """One API request: checked, limited, answered; raises ApiError as MAX would answer."""
        try:
            return self._call(method, path, query, body, token)
        except ApiError as e:
            self.rejected.append((e.status, e.code))
            raise

    def _call(self, method: str, path: str, query: dict[str, str], body: Any, token: str | None) -> Any:
        self.calls.append((method, path))
        if token is None:
            raise ApiError(401, "verify.token", "Missing access_token")
        if token != self.token:  # MAX answers a wrong token 403 (its document's example), not 401
            raise ApiError(403, "verify.token", "Invalid access_token")
        self._limit()
        if self.fail_next:
            raise self.fail_next.pop(0)
        op, exists = self.schema.match(method, path)
        if op is None:
            raise ApiError(405, "method.not.allowed", f"Method {method} is not allowed for {path}") if exists \
                else ApiError(404, "not.found", f"Path {path} is not recognized")
        problems = self.schema.check_query(op, query)
        if op.body is not None:
            if body is None:
                problems.append("body: required")
            else:
                problems += self.schema.check(op.body, body)
        if problems:
            raise ApiError(400, "proto.payload", "; ".join(problems[:5]))
        answer = self._answer(op, self.schema.path_params(op, path), query, body)
        schema = self.schema.response_schema(op)
        if schema is not None:
            wrong = self.schema.check(schema, answer, "response")
            if wrong:  # the emulator's own mistake: loud, so that it is fixed, not hidden
                raise AssertionError(f"maxemu answered {method} {path} against the document: {wrong}")
        return answer

    def _limit(self) -> None:
        now = time.monotonic()
        while self.requests and now - self.requests[0] >= 1.0:
            self.requests.popleft()
        if len(self.requests) >= self.rate_limit:
            raise ApiError(429, "too.many.requests", "Too many requests")
        self.requests.append(now)

    def _answer(self, op: Operation, params: dict[str, str], query: dict[str, str], body: Any) -> Any:
        key = (op.method, op.template)
        if key == ("GET", "/me"):
            return {"user_id": self.bot_id, "first_name": self.bot_name, "last_name": None,
                    "username": self.bot_username, "is_bot": True, "last_activity_time": self._now(),
                    "name": self.bot_name, "description": None, "commands": self.commands or None}
        if key == ("PATCH", "/me/commands"):
            self.commands = list(body["commands"])
            return {"success": True}
        if key == ("GET", "/updates"):
            return self.poll(query)
        if key == ("POST", "/messages"):
            return {"message": self._send(query, body)}
        if key == ("GET", "/messages"):
            return {"messages": self._history(query)}
        if key == ("POST", "/answers"):
            return self._answer_callback(query["callback_id"], body)
        if key == ("POST", "/uploads"):
            return self._upload_endpoint(query["type"])
        if key == ("GET", "/subscriptions"):
            return {"subscriptions": [{k: v for k, v in sub.items() if k != "secret"} for sub in self.subscriptions]}
        if key == ("POST", "/subscriptions"):
            return self._subscribe(body or {})
        if key == ("DELETE", "/subscriptions"):
            before = len(self.subscriptions)
            self.subscriptions = [sub for sub in self.subscriptions if sub["url"] != query.get("url")]
            return {"success": len(self.subscriptions) < before}
        if key == ("GET", "/chats"):
            # gone since June 2026 (the document's own GET /chats: «больше не поддерживается»; MAX's changelog):
            # a bot learns its chats from bot_added and keeps them itself
            raise ApiError(404, "not.found", "GET /chats is no longer supported")
        if key == ("GET", "/chats/{chatId}"):
            person = next((p for p in self.people.values() if str(p.dialog_id) == params["chatId"]), None)
            if person is not None:  # a dialog is a chat too (maxapi asks for it with each event)
                return {"chat_id": person.dialog_id, "type": "dialog", "status": "active", "title": None,
                        "icon": None, "last_event_time": self._now(), "participants_count": 2, "owner_id": None,
                        "participants": None, "is_public": False, "link": None, "description": None,
                        "dialog_with_user": person.user()}
            return self._chat(self._group(params["chatId"]))
        if key == ("GET", "/chats/{chatId}/members/me"):
            chat = self._group(params["chatId"])
            return {**self.call_me(), "last_access_time": self._now(), "is_owner": False,
                    "is_admin": chat.bot_admin, "join_time": self._now(),
                    "permissions": ["read_all_messages", "write"] if chat.bot_admin else None}
        raise ApiError(404, "not.found", f"{op.method} {op.template} is not emulated")

    def call_me(self) -> dict[str, Any]:
        return {"user_id": self.bot_id, "first_name": self.bot_name, "last_name": None, "username": self.bot_username,
                "is_bot": True, "last_activity_time": self._now(), "name": self.bot_name}

    def poll(self, query: dict[str, str]) -> dict[str, Any]:
        """Updates from the marker on (without one: only the latest), at most `limit`, of the `types` asked."""
        if self.subscriptions:
            return {"updates": [], "marker": len(self.updates)}  # a webhook takes them: a poller starves
        limit = int(query.get("limit", 100))
        types = set(query["types"].split(",")) if query.get("types") else None
        if query.get("marker") is None:
            start = max(0, len(self.updates) - 1)
        else:
            start = max(0, min(int(query["marker"]), len(self.updates)))
        picked = []
        n = start
        kept_from = self._now() - RETENTION_MS
        while n < len(self.updates) and len(picked) < limit:
            if (types is None or self.updates[n]["update_type"] in types) and self.updates[n]["timestamp"] >= kept_from:
                picked.append(self.updates[n])
            n += 1
        return {"updates": picked, "marker": n}

    def poll_arrived(self) -> None:
        """A `GET /updates` came in: the third within a second is refused (see the module's rules)."""
        now = time.monotonic()
        while self.polls and now - self.polls[0] >= 1.0:
            self.polls.popleft()
        if len(self.polls) >= self.polls_per_second:
            self.rejected.append((429, "too.many.requests"))
            raise ApiError(429, "too.many.requests", "Too many GET /updates requests")
        self.polls.append(now)

    def pending(self, marker: int | None) -> bool:
        if self.subscriptions:
            return False  # a webhook takes them all
        return (bool(self.updates) and (marker is None or marker < len(self.updates))
                and self.updates[-1]["timestamp"] >= self._now() - RETENTION_MS)

    def _subscribe(self, body: dict[str, Any]) -> dict[str, Any]:
        """MAX's rules for a webhook (its document, POST /subscriptions): an HTTPS url (the emulator also takes its
        own loopback, where tests run the bot), a secret of 5-256 characters of [A-Za-z0-9_-]; the same url again
        replaces the subscription."""
        url = str(body.get("url") or "")
        if not (url.startswith("https://") or url.startswith(("http://127.0.0.1:", "http://localhost:"))):
            raise ApiError(400, "proto.payload", "Webhook url must use HTTPS")
        secret = body.get("secret")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{5,256}", str(secret)):
            raise ApiError(400, "proto.payload", "secret: 5 to 256 characters of A-Z, a-z, 0-9, _ and -")
        self.subscriptions = [sub for sub in self.subscriptions if sub["url"] != url]
        self.subscriptions.append({"url": url, "time": self._now(), "update_types": body.get("update_types"),
                                   "version": body.get("version"), "secret": secret})
        return {"success": True}

    def _per_chat(self, key: tuple[str, Any]) -> None:
        """At most two messages a second into one dialog, group chat or channel, and two callback answers (MAX's
        document, POST /messages and POST /answers: «не более двух … в секунду в один диалог, групповой чат или
        канал»); more is answered 429."""
        now = time.monotonic()
        recent = self.per_chat.setdefault(key, collections.deque())
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.per_chat_per_second:
            raise ApiError(429, "too.many.requests", "Too many requests to one chat")

    def _send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        key = ("messages", query.get("user_id") or query.get("chat_id"))
        self._per_chat(key)
        message = self._send_checked(query, body)
        self.per_chat[key].append(time.monotonic())  # what was delivered counts
        return message

    def _send_checked(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if "user_id" in query:
            person = self.people.get(int(query["user_id"]))
            if person is None:
                raise ApiError(404, "not.found", "User not found")
            if not person.started:
                raise ApiError(403, "chat.denied", "The user has not started a dialog with the bot")
            recipient = {"chat_id": person.dialog_id, "chat_type": "dialog", "user_id": person.user_id}
            user_id: int | None = person.user_id
        elif "chat_id" in query:
            chat_id = int(query["chat_id"])
            person = next((p for p in self.people.values() if p.dialog_id == chat_id), None)
            if person is not None:
                if not person.started:
                    raise ApiError(403, "chat.denied", "The user has stopped the bot")
                recipient = {"chat_id": chat_id, "chat_type": "dialog", "user_id": person.user_id}
                user_id = person.user_id
            else:
                chat = self.chats.get(chat_id)
                if chat is None or not chat.bot_member:
                    raise ApiError(403, "chat.denied", "The bot is not a member of the chat")
                recipient = {"chat_id": chat_id, "chat_type": "chat", "user_id": None}
                user_id = None
        else:
            raise ApiError(400, "proto.payload", "user_id or chat_id is required")
        text = body.get("text") or ""
        attachments = body.get("attachments") or []
        if not text and not attachments:
            raise ApiError(400, "proto.payload", "Message is empty: text or attachments required")
        # the Bot API schema's FileAttachmentRequest: «Request to attach file to message. Must be the only attachment
        # in message» (tamtam-bot-api-schema, which MAX's API continues); its inline keyboard aside
        files = [a for a in attachments if a["type"] in ("file", "image", "video", "audio")]
        if any(a["type"] == "file" for a in files) and len(attachments) - sum(
                1 for a in attachments if a["type"] == "inline_keyboard") > 1:
            raise ApiError(400, "proto.payload", "A file must be the only attachment of a message")
        shown = [self._stored_attachment(a) for a in attachments]
        message = self._message(self.call_me(), recipient, text, shown)
        self.sent.append(Delivered(message, user_id, recipient["chat_id"]))
        return message

    def _stored_attachment(self, a: dict[str, Any]) -> dict[str, Any]:
        if a["type"] == "inline_keyboard":
            buttons = a["payload"]["buttons"]
            # dev.max.ru/docs-api (inline keyboard): at most 210 buttons, 30 rows, 7 in a row — bots met it in
            # production as errors.maxRows
            if len(buttons) > 30 or any(len(row) > 7 for row in buttons) or sum(map(len, buttons)) > 210:
                raise ApiError(400, "proto.payload", "Keyboard is too big: at most 30 rows, 7 buttons a row, 210 all")
            self.labels_cut += [b["text"] for row in buttons for b in row
                                if shown_label(b["text"], len(row)) != b["text"]]
            return {"type": "inline_keyboard", "payload": {"buttons": buttons}}
        if a["type"] in ("file", "image"):
            payload = a.get("payload") or {}
            token = payload.get("token") or next(iter((payload.get("photos") or {}).values()), {}).get("token")
            upload = self.uploads.get(token or "")
            if upload is None or upload.data is None:
                raise ApiError(400, "proto.payload", "Attachment token is unknown")
            if self.not_ready_once and not upload.used:
                upload.used = True
                raise ApiError(400, "attachment.not.ready", "Key: errors.process.attachment.file.not.processed")
            if a["type"] == "file":
                return {"type": "file", "payload": {"url": f"{self.base_url}/files/{token}", "token": token},
                        "filename": upload.name or "file", "size": len(upload.data)}
            return {"type": "image", "payload": {"photo_id": int(next(self._ids)), "token": token,
                                                 "url": f"{self.base_url}/files/{token}"}}
        raise ApiError(400, "proto.payload", f"Attachment type {a['type']} is not emulated")

    def _history(self, query: dict[str, str]) -> list[dict[str, Any]]:
        if "chat_id" not in query and "message_ids" not in query:
            raise ApiError(400, "proto.payload", "chat_id or message_ids is required")
        if "message_ids" in query:
            wanted = query["message_ids"].split(",")
            return [self.messages[m] for m in wanted if m in self.messages]
        chat_id = int(query["chat_id"])
        count = int(query.get("count", 50))
        found = [m for m in self.messages.values() if m["recipient"]["chat_id"] == chat_id]
        return list(reversed(found))[:count]  # the newest first, as MAX lists them

    def _answer_callback(self, callback_id: str, body: dict[str, Any]) -> dict[str, Any]:
        cb = self.callbacks.get(callback_id)
        if cb is None:
            raise ApiError(404, "not.found", "Callback not found")
        if cb["answered"]:
            raise ApiError(400, "proto.payload", "Callback has already been answered")
        self._per_chat(("answers", cb.get("user_id")))
        self.per_chat[("answers", cb.get("user_id"))].append(time.monotonic())
        if not body.get("message") and not body.get("notification"):
            raise ApiError(400, "proto.payload", "message or notification is required")
        cb["answered"] = True
        self.answers.append({"callback_id": callback_id, **body})
        return {"success": True}

    def _upload_endpoint(self, kind: str) -> dict[str, Any]:
        if kind not in ("image", "video", "audio", "file"):
            raise ApiError(400, "proto.payload", f"Unknown upload type {kind}")
        token = secrets.token_hex(12)
        self.uploads[token] = Upload(token, kind)
        return {"url": f"{self.base_url}/upload?token={token}", "token": token}

    def receive_upload(self, token: str, name: str, data: bytes) -> dict[str, Any]:
        """The file posted to an upload url: for an image, the photo tokens; else the token."""
        upload = self.uploads.get(token)
        if upload is None:
            raise ApiError(404, "not.found", "Upload url is unknown or expired")
        upload.data, upload.name = data, name
        if upload.kind == "image":
            return {"photos": {"p1": {"token": token}}}
        return {"token": token}

    # -- helpers -----------------------------------------------------------------------------------

    def _group(self, raw: str) -> GroupChat:
        try:
            chat = self.chats[int(raw)]
        except (ValueError, KeyError):
            raise ApiError(404, "not.found", "Chat not found") from None
        if not chat.bot_member:
            raise ApiError(403, "chat.denied", "The bot is not a member of the chat")
        return chat

    def _chat(self, chat: GroupChat) -> dict[str, Any]:
        return {"chat_id": chat.chat_id, "type": "chat", "status": "active", "title": chat.title, "icon": None,
                "last_event_time": self._now(), "participants_count": len(chat.members) + 1, "owner_id": None,
                "participants": None, "is_public": False, "link": None, "description": None}

    def _message(self, sender: dict[str, Any], recipient: dict[str, Any], text: str,
                 attachments: list[dict[str, Any]] | None) -> dict[str, Any]:
        mid = f"mid.{next(self._mid):016x}"
        message = {"sender": sender, "recipient": recipient, "timestamp": self._now(), "link": None,
                   "body": {"mid": mid, "seq": next(self._seq), "text": text, "attachments": attachments or None,
                            "markup": None, "link": None},
                   "stat": None, "url": None}
        self.messages[mid] = message
        return message

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"timestamp": self._now(), **update}
        problems = self.schema.update_problems(update)
        if problems:
            raise AssertionError(f"maxemu made an update against the document: {problems}")
        self.updates.append(update)
        if self.subscriptions and self.on_update is not None:
            for sub in self.subscriptions:
                if not sub.get("update_types") or update["update_type"] in sub["update_types"]:
                    self.on_update(sub, update)
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()
        return update

    @staticmethod
    def _now() -> int:
        return int(time.time() * 1000)
