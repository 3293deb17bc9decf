"""Files a person sent, fetched as if every url were hostile (both messengers use this one fetcher).

A url in a message is whatever its sender wrote into it: it is fetched only from the messenger's own file hosts
over HTTPS (each redirect checked against the same list), with no token, no cookies, a size cap applied while the
body streams in (a `Content-Length` or `size` field is a claim, not a cap) and a time cap on the whole exchange."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import aiohttp
from loguru import logger

from bot.views.message import Document

# Where VK serves a document a person sends: the attachment's url is https://vk.com/doc<owner>_<id>?hash=…, which
# redirects to a storage host psv4.userapi.com, sun<N>-<M>.userapi.com; photos and newer storage come from
# *.vkuserphoto.ru / *.vkuser.net / *.vk-cdn.net (VK's docs: dev.vk.com/ru/reference/objects/doc, and the urls in
# vk_api's and vkbottle's issues).
VK_FILE_HOSTS = ("vk.com", "userapi.com", "vkuserphoto.ru", "vkuser.net", "vk-cdn.net")
# Where MAX serves files: attachments' payload.url is https://fd.oneme.ru/getfile?sig=… (images i.oneme.ru), upload
# urls are https://vu.okcdn.ru/… / iu.okcdn.ru (payloads captured from MAX in 2026, in max-bot-api-client-go's
# schemes/ and maxapi's docs/).
MAX_FILE_HOSTS = ("oneme.ru", "okcdn.ru", "max.ru")

OK, TOO_BIG, NOT_ALLOWED, UNREACHABLE = "", "too_big", "not_allowed", "unreachable"
REDIRECTS = 3
CHUNK = 64 * 1024


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class FileHosts:
    """Hosts a messenger serves files from: a host equal to a suffix or under it, over HTTPS on 443; plus `origins`
    trusted as they are — the configured API's own (an emulator's http://127.0.0.1:… in tests and the sandbox)."""

    suffixes: tuple[str, ...]
    origins: tuple[str, ...] = ()

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if origin(url) in self.origins:
            return True
        host = (parts.hostname or "").lower().rstrip(".")
        return parts.scheme == "https" and port in (None, 443) and not parts.username \
            and any(host == s or host.endswith("." + s) for s in self.suffixes)


@dataclass(frozen=True)
class Fetched:
    data: bytes | None
    problem: str = OK  # TOO_BIG, NOT_ALLOWED, UNREACHABLE


class Response(Protocol):
    """What a fetch reads of an HTTP answer (aiohttp's ClientResponse, or an in-process emulator's)."""

    status: int
    headers: object  # a mapping: Location, Content-Length

    @property
    def content(self) -> object: ...  # .iter_chunked(n)


Opener = Callable[[str, float], AbstractAsyncContextManager[Response]]


class Downloader:
    """One messenger's file fetcher; `opener` answers a GET without following redirects (aiohttp by default)."""

    def __init__(self, hosts: FileHosts, limit: int, within_s: float = 30.0, opener: Opener | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls  # MAX's hosts need its root on top of the system's (bot/max/api.py)
        self.hosts = hosts
        self.limit = limit
        self.within_s = within_s
        self._opener = opener
        self._session: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def _aiohttp(self, url: str, within: float) -> AsyncIterator[Response]:
        if self._session is None or self._session.closed:
            # no default headers and no cookie jar: nothing of ours rides along to a file host
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                                  connector=aiohttp.TCPConnector(ssl=self.tls or True))
        async with self._session.get(url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=within)) as resp:
            yield resp  # type: ignore[misc]

    async def fetch(self, url: str, limit: int | None = None) -> Fetched:
        cap = self.limit if limit is None else min(limit, self.limit)
        try:
            async with asyncio.timeout(self.within_s):
                return await self._follow(url, cap)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
            return Fetched(None, UNREACHABLE)

    async def _follow(self, url: str, cap: int) -> Fetched:
        open_ = self._opener or self._aiohttp
        for _ in range(REDIRECTS + 1):
            if not self.hosts.allows(url):
                return Fetched(None, NOT_ALLOWED)
            async with open_(url, self.within_s) as resp:
                if resp.status in (301, 302, 303, 307, 308):
                    url = urljoin(url, str(resp.headers.get("Location", "")))  # type: ignore[attr-defined]
                    continue
                if resp.status >= 400:
                    return Fetched(None, UNREACHABLE)
                claimed = str(resp.headers.get("Content-Length", "") or "")  # type: ignore[attr-defined]
                if claimed.isdigit() and int(claimed) > cap:
                    return Fetched(None, TOO_BIG)
                body = bytearray()
                async for chunk in resp.content.iter_chunked(CHUNK):  # type: ignore[attr-defined]
                    body += chunk
                    if len(body) > cap:  # stop reading: the rest never reaches memory
                        return Fetched(None, TOO_BIG)
                return Fetched(bytes(body))
        return Fetched(None, NOT_ALLOWED)  # a chain of redirects is not how a messenger serves a file

    async def document(self, doc: Document) -> Document:
        """A file a person sent: `data` set, or `problem` saying why not."""
        fetched = await self.fetch(doc.url)
        if fetched.problem:
            logger.warning("a sent file was not fetched: {}", fetched.problem)
        return replace(doc, data=fetched.data, problem=fetched.problem)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
