"""vkbottle's HTTP client, answered by an emulator in the same process: the bot's whole VK code path
(requests, uploads, execute) without sockets, for fast handler tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from vkbottle.http import ABCHTTPClient

from .emulator import Emulator, _form_value, is_upload_field


class InProcessClient(ABCHTTPClient):
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def _answer(self, url: str, data: dict[str, Any] | None, params: dict[str, Any] | None) -> Any:
        path = url.split("://", 1)[-1].partition("/")[2]
        if path.startswith("method/"):
            fields = {k: _form_value(v) for k, v in {**(params or {}), **(data or {})}.items()}
            return await self.emulator.handle(path.removeprefix("method/"), fields)
        if path.startswith("upload/"):
            name, body = "file", b""
            for key, value in (data or {}).items():
                if is_upload_field(key):
                    name, body = getattr(value, "name", name), value.read()
            return self.emulator.upload(path.removeprefix("upload/"), name, bytes(body))
        raise ValueError(f"the in-process emulator does not serve {url}")

    async def request_text(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                           **kwargs: Any) -> str:
        return json.dumps(await self._answer(url, data, kwargs.get("params")), ensure_ascii=False)

    async def request_json(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                           **kwargs: Any) -> dict[str, Any]:
        return await self._answer(url, data, kwargs.get("params"))

    async def request_raw(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                          **kwargs: Any) -> Any:
        raise NotImplementedError("raw responses are not emulated in-process")

    async def request_content(self, url: str, method: str = "GET", data: dict[str, Any] | None = None,
                              **kwargs: Any) -> bytes:
        path = url.split("://", 1)[-1].partition("/")[2].partition("?")[0]
        if path.startswith("files/") and path.removeprefix("files/") in self.emulator.files:
            return self.emulator.files[path.removeprefix("files/")]
        raise ValueError(f"the in-process emulator does not serve {url}")

    @contextlib.asynccontextmanager
    async def open_file(self, url: str, within: float) -> AsyncIterator[FileAnswer]:
        """A GET of a file url, as a file host answers it (no redirects followed): for the bot's file fetcher."""
        path = url.split("://", 1)[-1].partition("/")[2].partition("?")[0]
        data = self.emulator.files.get(path.removeprefix("files/")) if path.startswith("files/") else None
        yield FileAnswer(404 if data is None else 200, {"Content-Length": str(len(data or b""))}, data or b"")

    async def close(self) -> None:
        return None


class FileAnswer:
    """The part of aiohttp's response a file fetch reads: status, headers, body in chunks."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.content = status, headers, self
        self._body = body

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        for at in range(0, len(self._body), n):
            yield self._body[at:at + n]
