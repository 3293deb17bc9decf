"""MAX Bot API access: one aiohttp session, the token in the `Authorization` header of API calls only, every call
through a 30-a-second limiter, and "later" answers (429, 5xx, a lost connection) retried with a growing pause.

Why not maxapi (max-messenger's Python client, which the suite runs against maxemu): it is a framework with its
own dispatcher and polling loop, and ours must keep the marker in the database only after the updates before it
are handled, send through the outbox with our own crash rule, and tell a refused send (403) from a passing one.
Its low-level calls would leave us writing the same plumbing around it; a thin client is less code than that."""

from __future__ import annotations

import asyncio
import json
import ssl
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiohttp
from loguru import logger

from bot.downloads import MAX_FILE_HOSTS, FileHosts, origin
from bot.ratelimit import CALL_WITHIN_S, RateLimiter

# The host is [max] api_url (bot/config.py: https://platform-api2.max.ru by default, the retired one refused). MAX's certificate chains to the Russian Trusted Root CA (Минцифры), which neither certifi nor Debian's bundle holds:
# the certificate (sha256 D2:6D:2D:02:…:8E:CF:31, as published on gosuslugi.ru/crt) is shipped and trusted for MAX's
# requests on top of the system's store.
SHIPPED_CA = Path(__file__).with_name("certs") / "russian_trusted_root_ca.pem"


@lru_cache(maxsize=8)
def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """The system's trust store plus MAX's root (or the operator's `[max] ca_file`). Made once per file and shared
    (a session made again after a failure, the downloader): reading the store costs ~20 ms of CPU each time. A file
    changed on disk is read again at the next start, as the rest of the configuration is."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_file or str(SHIPPED_CA))
    return context


def tls_refused(error: BaseException) -> bool:
    """A certificate MAX's host showed that could not be checked (the root is missing on this machine)."""
    return isinstance(error, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError)
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
BOT_REFUSALS = frozenset({"verify.token", "deprecated.token"})
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (TimeoutError, aiohttp.ClientError, OSError)


class MaxError(Exception):
    """MAX answered with an error: its HTTP status and `{"code", "message"}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def refuses_the_bot(self) -> bool:
        """MAX refuses the bot itself (a wrong, revoked or query-string token: 403 verify.token / deprecated.token,
        or 401), not a recipient: every message would be refused alike, so none is given up for it."""
        return self.status == 401 or self.code in BOT_REFUSALS

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT_STATUS or self.code == "attachment.not.ready"


class MaxApi:
    def __init__(self, token: str, base_url: str, per_second: int = 30, timeout: float = CALL_WITHIN_S,
                 retries: int = 4, ca_file: str = "") -> None:
        self.ca_file = ca_file
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(per_second) if per_second else None
        self.timeout = timeout
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        # no default headers: the token is put on each API call, so a file url a person's message points at (any
        # host), an upload url or a redirect never receives it
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls_context(self.ca_file)))
        return self._session

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None, *,
                      urgent: bool = True, within: float | None = None, retry: bool = True) -> Any:
        """One call; a passing failure is retried (`retries` times, 0.25 s doubling to 5 s) unless `retry` is
        False (a send whose outcome must be checked before it is repeated)."""
        delay = 0.25
        for attempt in range(self.retries + 1):
            try:
                return await self._once(method, path, params, body, urgent, within or self.timeout)
            except MaxError as e:
                if not e.transient or not retry or attempt == self.retries:
                    raise
                if e.status == 429:
                    logger.warning("MAX said too many requests; waiting {:.2f} s", delay)
            except TRANSIENT_EXCEPTIONS:
                if not retry or attempt == self.retries:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, params: dict[str, Any] | None, body: Any, urgent: bool,
                    within: float) -> Any:
        query = {k: _query(v) for k, v in (params or {}).items() if v is not None}
        if self.limiter is None:
            return await self._http(method, path, query, body, within)
        async with self.limiter.slot(urgent):
            return await self._http(method, path, query, body, within)

    async def _http(self, method: str, path: str, query: dict[str, str], body: Any, within: float) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False)
        headers = {"Authorization": self._token}
        if data is not None:
            headers["Content-Type"] = "application/json"
        # an API call is not redirected: a redirect would carry the token wherever it points
        async with self.session.request(method, self.base_url + path, params=query, data=data, headers=headers,
                                        allow_redirects=False, timeout=aiohttp.ClientTimeout(total=within)) as resp:
            text = await resp.text()
            try:
                answer = json.loads(text) if text else None
            except ValueError:
                answer = None
            if resp.status >= 400:
                err = answer if isinstance(answer, dict) else {}
                raise MaxError(resp.status, str(err.get("code") or resp.status), str(err.get("message") or text[:200]))
            return answer

    async def upload(self, kind: str, name: str, data: bytes) -> dict[str, Any]:
        """A file to MAX: the upload url first, then the bytes; returns the attachment to send."""
        endpoint = await self.request("POST", "/uploads", {"type": kind}, urgent=False)
        if not FileHosts(MAX_FILE_HOSTS, (origin(self.base_url),)).allows(str(endpoint.get("url", ""))):
            raise MaxError(0, "upload.host", "an upload url outside MAX's file hosts")  # our file goes nowhere else
        form = aiohttp.FormData()
        form.add_field("data", data, filename=name)
        async with self.session.post(endpoint["url"], data=form, timeout=aiohttp.ClientTimeout(total=self.timeout)) \
                as resp:
            if resp.status >= 400:
                raise MaxError(resp.status, "upload.failed", (await resp.text())[:200])
            uploaded = await resp.json(content_type=None)
        if kind == "image":
            return {"type": "image", "payload": {"photos": uploaded.get("photos")} if uploaded.get("photos")
                    else {"token": endpoint.get("token")}}
        return {"type": kind, "payload": {"token": uploaded.get("token") or endpoint.get("token")}}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        return ",".join(map(str, value))
    return str(value)
