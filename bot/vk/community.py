"""The community's settings the bot depends on: checked at every start, set by `setup-community`.

A community's admin has four settings pages to get right (messages on, bot abilities on, adding to chats
allowed, Bots Long Poll on the right version with the right events) and a token with the right rights. Each
is read through the API; what the token may change is changed; what only a person can do is said."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from loguru import logger
from vkbottle import API, VKAPIError

from bot.vk.api import TRANSIENT_EXCEPTIONS

LONGPOLL_VERSION = "5.199"
LONGPOLL_EVENTS = ("message_new", "message_event", "message_allow", "message_deny")
RIGHTS = {"messages": "сообщения сообщества", "photos": "фотографии", "docs": "документы"}
MANAGE = "manage"
SETTINGS = {"messages": "Сообщения сообщества", "bots_capabilities": "Возможности ботов",
            "bots_add_to_chat": "Добавление сообщества в беседы",
            # without it VK shows no «Начать» in a new dialog, and an invite link's `ref` never reaches the bot
            # (groups.setSettings, bots_start_button: «users will see a Start button when starting a conversation»)
            "bots_start_button": "Кнопка «Начать»"}


class CommunityUnusable(Exception):
    """The token or the group id cannot work at all; the message is one Russian sentence."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str  # what was found, in Russian
    changed: bool = False
    fix: str = ""  # what a person must do, when the bot cannot


@dataclass(frozen=True)
class Report:
    group_name: str
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def changed(self) -> list[Check]:
        return [c for c in self.checks if c.changed]


async def _call(api: API, method: str, params: dict) -> dict:
    try:
        return (await api.request(method, params))["response"]
    except VKAPIError as e:
        if e.code == 5:
            raise CommunityUnusable("ВКонтакте не принял ключ VK_TOKEN (ошибка 5: ключ неверный, отозван или "
                                    "выпущен заново) — выпустите ключ в настройках сообщества, «Работа с API»") from e
        raise


@dataclass(frozen=True)
class Callback:
    """The Callback API server the bot is to be (`[vk] callback_url`, VK_CALLBACK_SECRET)."""

    url: str
    secret: str


async def inspect(api: API, group_id: int, *, fix: bool = False, callback: Callback | None = None) -> Report:
    """Read every setting; with `fix`, change what is wrong and the token may change. With `callback`, events come
    by the Callback API to that server instead of the Bots Long Poll."""
    groups = (await _call(api, "groups.getById", {}))
    group = (groups.get("groups") or [{}])[0] if isinstance(groups, dict) else groups[0]
    if int(group.get("id", 0)) != group_id:
        raise CommunityUnusable(f"Ключ VK_TOKEN выдан сообществу {group.get('id')}, а в настройках [vk] group_id = "
                                f"{group_id} — исправьте group_id или выпустите ключ в нужном сообществе")
    checks = [Check("Ключ доступа", True, f"принят, сообщество {group_id}")]
    rights = {p["name"] for p in (await _call(api, "groups.getTokenPermissions", {}))["permissions"]}
    missing = [title for name, title in RIGHTS.items() if name not in rights]
    checks.append(Check("Права ключа", not missing, "есть все нужные" if not missing else
                        "нет прав: " + ", ".join(missing),
                        fix="" if not missing else "выпустите ключ с правами: " + ", ".join(RIGHTS.values())))
    if MANAGE not in rights:
        checks.append(Check("Настройки сообщества", True, "не проверены: у ключа нет права «управление сообществом»",
                            fix="проверьте вручную: сообщения и возможности ботов включены, Bots Long Poll версии "
                                f"{LONGPOLL_VERSION} с событиями {', '.join(LONGPOLL_EVENTS)} — или выпустите ключ "
                                "с правом «управление сообществом» и запустите setup-community"))
        return Report(str(group.get("name", "")), checks)
    settings = await _call(api, "groups.getSettings", {"group_id": group_id})
    off = [name for name in SETTINGS if not int(settings.get(name) or 0)]
    if off and fix:
        await _call(api, "groups.setSettings", {"group_id": group_id, **{name: 1 for name in off}})
    for name, title in SETTINGS.items():
        was_off = name in off
        checks.append(Check(title, fix or not was_off, "было выключено — включено" if was_off and fix else
                            "выключено" if was_off else "включено", changed=was_off and fix))
    if callback is not None:
        checks.append(await _callback_check(api, group_id, callback, fix))
        return Report(str(group.get("name", "")), checks)
    lp = await _call(api, "groups.getLongPollSettings", {"group_id": group_id})
    events = lp.get("events") or {}
    wrong = []
    if not lp.get("is_enabled"):
        wrong.append("выключен")
    if lp.get("api_version") != LONGPOLL_VERSION:
        wrong.append(f"версия {lp.get('api_version')} вместо {LONGPOLL_VERSION}")
    absent = [e for e in LONGPOLL_EVENTS if not int(events.get(e) or 0)]
    if absent:
        wrong.append("не включены события " + ", ".join(absent))
    if wrong and fix:
        await _call(api, "groups.setLongPollSettings", {"group_id": group_id, "enabled": 1,
                                                        "api_version": LONGPOLL_VERSION, **{e: 1 for e in LONGPOLL_EVENTS}})
    found = "; ".join(wrong) + (" — теперь включён, версия " + LONGPOLL_VERSION if fix else "") if wrong else \
        f"включён, версия {LONGPOLL_VERSION}, события {', '.join(LONGPOLL_EVENTS)}"
    checks.append(Check("Bots Long Poll", fix or not wrong, found, changed=bool(wrong) and fix))
    return Report(str(group.get("name", "")), checks)


async def _callback_check(api: API, group_id: int, callback: Callback, fix: bool) -> Check:
    """One server of the community's Callback API at `url` with the secret, API 5.199 and the bot's events. VK
    confirms a new server by asking it for the community's code: `run` must be serving it already (it is, when
    setup-community runs beside it; otherwise VK shows «не подтверждён» and `setup-community` is run again)."""
    servers = (await _call(api, "groups.getCallbackServers", {"group_id": group_id})).get("items") or []
    mine = next((s for s in servers if s.get("url") == callback.url), None)
    if not fix:
        if mine is None:
            return Check("Callback API", False, f"нет сервера {callback.url}", fix="запустите setup-community")
        if mine.get("status") != "ok":  # not a reason to refuse a start: VK confirms a server the bot serves
            return Check("Callback API", True, f"сервер {callback.url} ещё не подтверждён ({mine.get('status')})",
                         fix="когда бот запущен, запустите setup-community ещё раз: ВКонтакте проверит адрес")
        return Check("Callback API", True, f"сервер {callback.url}, версия {LONGPOLL_VERSION}")
    if mine is None:
        server_id = (await _call(api, "groups.addCallbackServer", {
            "group_id": group_id, "url": callback.url, "title": "Sferum bot",  # VK: 14 characters at most
            "secret_key": callback.secret}))["server_id"]
    else:
        server_id = mine["id"]
        await _call(api, "groups.editCallbackServer", {"group_id": group_id, "server_id": server_id,
                                                       "url": callback.url, "title": mine.get("title") or "Sferum bot",
                                                       "secret_key": callback.secret})
    await _call(api, "groups.setCallbackSettings", {"group_id": group_id, "server_id": server_id,
                                                    "api_version": LONGPOLL_VERSION,
                                                    **{e: 1 for e in LONGPOLL_EVENTS}})
    return Check("Callback API", True, f"сервер {callback.url} настроен: версия {LONGPOLL_VERSION}, события "
                 f"{', '.join(LONGPOLL_EVENTS)}, секрет из VK_CALLBACK_SECRET", changed=mine is None)


async def wait_for_vk(api: API, group_id: int, stop: asyncio.Event,
                      callback: Callback | None = None) -> Report | None:
    """`inspect` at start-up, waiting out a network or VK outage with backoff (a restart loop would only
    hammer VK); None if `stop` was set meanwhile."""
    delay = 1.0
    while True:
        try:
            return await inspect(api, group_id, callback=callback)
        except (*TRANSIENT_EXCEPTIONS, ValueError) as e:
            logger.warning("VK is unreachable at start ({}); trying again in {:.0f} s", type(e).__name__, delay)
        except VKAPIError as e:
            if e.code not in (1, 6, 9, 10):
                raise
            logger.warning("VK answers error {} at start; trying again in {:.0f} s", e.code, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return None
        except TimeoutError:
            pass
        delay = min(delay * 2, 60.0)


def render(report: Report, fixed: bool) -> str:
    """The checklist an operator reads."""
    lines = [f"Сообщество «{report.group_name}»:"]
    for c in report.checks:
        mark = "✓" if c.ok and not c.changed else "✓ исправлено:" if c.changed else "✗"
        lines.append(f"  {mark} {c.name}: {c.found}" + (f" ({c.fix})" if c.fix else ""))
    if fixed:
        lines.append(f"Изменено настроек: {len(report.changed)}." if report.changed else
                     "Изменять нечего: всё уже настроено.")
    lines += ["Это может сделать только человек:",
              "  – добавить сообщество в беседу координаторов (участники беседы → добавить → сообщество);",
              "  – в беседе писать команды с упоминанием сообщества («@имя /bind») или ответом на сообщение бота;",
              "    по желанию — дать боту «Доступ ко всей переписке» в настройках беседы, тогда упоминание не нужно."]
    return "\n".join(lines)


def refusal(report: Report) -> str:
    """One Russian sentence: why the bot does not start, and the fix."""
    problems = "; ".join(f"{c.name}: {c.found}" for c in report.problems)
    return f"Сообщество не готово к работе ({problems}) — запустите python -m bot setup-community."
