"""config.toml, validated at start-up. The VK token comes only from the environment (VK_TOKEN)."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain.tomlpos import toml_problem

VK_API_URL = "https://api.vk.com/method/"


class ConfigError(Exception):
    """One clear message naming the key; start-up stops with it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VkSection(_Section):
    group_id: Annotated[int, Field(gt=0)]
    api_url: str = VK_API_URL
    requests_per_second: Annotated[int, Field(ge=0, le=1000)] = 20  # VK's limit for a community; 0: off
    # production: VK's Callback API posts events to this https url (passed by the proxy to [server] listen);
    # empty: Bots Long Poll
    callback_url: str = ""

    @field_validator("api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _http_url(v).rstrip("/") + "/"  # VK's methods are appended: …/method/messages.send

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, v: str) -> str:
        if v and not v.startswith("https://"):
            raise ValueError("адрес для Callback API — https://… (за вашим TLS-прокси)")
        return v


MAX_API_URL = "https://platform-api2.max.ru"
# Retired by MAX on 19.07.2026 (its Go client marks it "not allowed"): a config still naming it would never connect.
MAX_RETIRED_HOSTS = ("platform-api.max.ru", "botapi.max.ru")


class MaxSection(_Section):
    """MAX beside VK (the token only in MAX_TOKEN)."""

    api_url: str = MAX_API_URL
    requests_per_second: Annotated[int, Field(ge=0, le=1000)] = 30  # MAX's limit for a bot; 0: off
    # extra certificates MAX's hosts are checked with, on top of the system's (default: the Russian Trusted Root CA
    # shipped in bot/max/certs/, which MAX's certificate chains to and no common trust store holds)
    ca_file: str = ""
    # production: MAX delivers updates to this https url (the operator's TLS proxy passes it to [server] listen);
    # empty: long polling, which MAX's document calls fit for development and testing only
    webhook_url: str = ""

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, v: str) -> str:
        if v and not v.startswith("https://"):
            raise ValueError("MAX шлёт события только на https:// (HTTPS на порту 443 с доверенным сертификатом)")
        return v

    @field_validator("api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        url = _http_url(v).rstrip("/")  # MAX's paths start with a slash: …/messages
        if any(f"//{host}" in url for host in MAX_RETIRED_HOSTS):
            raise ValueError(f"этот адрес MAX закрыт 19.07.2026; укажите {MAX_API_URL}")
        return url


def _http_url(v: str) -> str:
    if not v.startswith(("http://", "https://")):
        raise ValueError("должен начинаться с http:// или https://")
    return v


class ServerSection(_Section):
    """The bot's own HTTP server, behind the operator's TLS proxy: webhooks and GET /healthz."""

    listen: str = ""  # "127.0.0.1:8080"; empty: no server

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if v and (not host or not port.isdigit() or not 0 <= int(port) < 65536):  # 0: any free port (tests)
            raise ValueError("ожидается «адрес:порт», например 127.0.0.1:8080")
        return v


class StorageSection(_Section):
    path: str = "data/bot.sqlite3"
    # PostgreSQL instead of the file: "postgresql://user@host:5432/db" (the password from PGPASSWORD, never here)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _postgres(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("postgresql://", "postgres://")):
            raise ValueError('url — адрес PostgreSQL вида "postgresql://пользователь@сервер:5432/база"')
        if urlsplit(v).password:
            raise ValueError("пароль не пишется в config.toml: задайте его переменной окружения PGPASSWORD")
        return v
    # sent messages, handled-event marks and abandoned dialogs are deleted after this many days
    retention_days: Annotated[int, Field(ge=7, le=3650)] = 90


class AccessSection(_Section):
    owners: list[Annotated[int, Field(gt=0)]] = []  # VK ids
    max_owners: list[Annotated[int, Field(gt=0)]] = []  # MAX user ids


class InvitesSection(_Section):
    ttl_days: Annotated[int, Field(ge=1, le=365)] = 14
    max_failures_per_hour: Annotated[int, Field(ge=1, le=100)] = 5


class ImportsSection(_Section):
    """How large a file of figures is read at most (a region's is a few thousand rows, a national one ~100,000)."""

    max_rows: Annotated[int, Field(ge=100, le=1_000_000)] = 120_000
    max_seconds: Annotated[float, Field(ge=1, le=600)] = 30


class ScheduleSection(_Section):
    grace_hours: Annotated[float, Field(ge=0, le=168)] = 6
    item_days_before: list[Annotated[int, Field(ge=1, le=60)]] = [7, 3, 1]
    item_remind_at: str = "09:00"
    tick_seconds: Annotated[int, Field(ge=5, le=3600)] = 60

    @field_validator("item_remind_at")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        hh, _, mm = v.partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and len(mm) == 2):
            raise ValueError('ожидается время "ЧЧ:ММ", например "09:00"')
        return v


class Config(_Section):
    default_timezone: str = "Europe/Moscow"
    vk: VkSection | None = None  # [vk]: a VK community
    max: MaxSection | None = None  # [max]: a MAX bot; either or both
    storage: StorageSection = StorageSection()
    access: AccessSection = AccessSection()
    invites: InvitesSection = InvitesSection()
    schedule: ScheduleSection = ScheduleSection()
    imports: ImportsSection = ImportsSection()
    server: ServerSection = ServerSection()

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if v not in available_timezones():
            raise ValueError(f"часовой пояс {v!r} неизвестен (нужно имя IANA, например Europe/Moscow)")
        return v

    @model_validator(mode="after")
    def _a_messenger(self) -> Config:
        if self.vk is None and self.max is None:
            raise ValueError("нужен раздел [vk] (сообщество ВКонтакте) или [max] (бот MAX), или оба")
        if self.max is not None and self.max.webhook_url and not self.server.listen:
            raise ValueError("[max] webhook_url задан, а [server] listen нет: события MAX некому принять")
        if self.vk is not None and self.vk.callback_url and not self.server.listen:
            raise ValueError("[vk] callback_url задан, а [server] listen нет: события ВКонтакте некому принять")
        return self


_WHY = {
    "missing": "обязательный ключ не задан",
    "extra_forbidden": "неизвестный ключ (опечатка?)",
    "int_parsing": "ожидается целое число",
    "int_type": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "float_parsing": "ожидается число",
    "float_type": "ожидается число",
    "string_type": "ожидается строка в кавычках",
    "list_type": "ожидается список, например [123, 456]",
    "dict_type": "ожидается раздел [имя] с ключами",
    "bool_type": "ожидается true или false",
    "bool_parsing": "ожидается true или false",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
}


def _why(err: dict) -> str:
    """pydantic's reason in Russian; a validator's own message (already Russian) as it is."""
    template = _WHY.get(err["type"])
    if template is not None:
        return template.format(**{k: v for k, v in (err.get("ctx") or {}).items() if k in ("gt", "ge", "lt", "le")})
    own = (err.get("ctx") or {}).get("error")
    return str(own) if own is not None else f"недопустимое значение ({err['type']})"


def _key(loc: tuple[str | int, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2:
        return f"[{parts[0]}] {'.'.join(parts[1:])}"
    return parts[0] if parts else ""


def parse_config(text: str, source: str = "config.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: {toml_problem(e)}") from None
    for name in ("", "vk", "max"):
        section = data.get(name) if name else data
        if isinstance(section, dict) and any(k in section for k in ("token", "access_token", "vk_token", "max_token")):
            env = "MAX_TOKEN" if name == "max" else "VK_TOKEN"
            raise ConfigError(f"{source}: token: ключ доступа не хранится в файле — задайте переменную окружения "
                              f"{env} и удалите его из файла")
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        why = _why(err)  # type: ignore[arg-type]
        key = _key(tuple(err["loc"]))
        raise ConfigError(f"{source}: {key}: {why}" if key else f"{source}: {why}") from None


def config_path(cli_value: str | None) -> Path:
    return Path(cli_value or os.environ.get("BOT_CONFIG") or "config.toml")


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"файл настроек {path} не найден (укажите --config ПУТЬ или BOT_CONFIG)") from None
    return parse_config(text, str(path))


def vk_token() -> str:
    token = os.environ.get("VK_TOKEN", "").strip()
    if not token:
        raise ConfigError("переменная окружения VK_TOKEN не задана: ключ доступа сообщества берётся только из неё")
    return token


def _secret(name: str, pattern: str, why: str) -> str:
    secret = os.environ.get(name, "").strip()
    if not re.fullmatch(pattern, secret):
        raise ConfigError(f"{why}, а переменная окружения {name} не задана или не такая, как нужно "
                          f"({pattern}): без неё любой мог бы прислать боту событие от имени мессенджера")
    return secret


def max_webhook_secret() -> str:
    """MAX_WEBHOOK_SECRET: what MAX puts in X-Max-Bot-Api-Secret of each delivery (MAX: 5-256 of A-Z a-z 0-9 _ -)."""
    return _secret("MAX_WEBHOOK_SECRET", r"[A-Za-z0-9_-]{5,256}", "в [max] задан webhook_url")


def vk_callback_secret() -> str:
    """VK_CALLBACK_SECRET: the secret_key VK puts in each Callback API event (VK: up to 50 Latin letters and digits)."""
    return _secret("VK_CALLBACK_SECRET", r"[A-Za-z0-9]{1,50}", "в [vk] задан callback_url")


def max_token() -> str:
    token = os.environ.get("MAX_TOKEN", "").strip()
    if not token:
        raise ConfigError("в config.toml есть раздел [max], но переменная окружения MAX_TOKEN не задана: токен бота MAX "
                          "берётся только из неё")
    return token


def file_problem(error: Exception, writing: bool = False) -> str:
    """Why a file could not be read (or written), in Russian."""
    if isinstance(error, FileNotFoundError):
        return "нет такой папки" if writing else "файл не найден"
    if isinstance(error, IsADirectoryError):
        return "это папка, а не файл"
    if isinstance(error, PermissionError):
        return "нет прав на запись" if writing else "нет прав на чтение"
    if isinstance(error, UnicodeDecodeError):
        return "файл не в кодировке UTF-8; сохраните его как UTF-8"
    return f"не {'записывается' if writing else 'читается'} ({type(error).__name__})"
