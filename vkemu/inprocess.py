"""vkbottle's HTTP client, answered by an emulator in the same process: the bot's whole VK code path
(requests, uploads, execute) without sockets, for fast handler tests."""

from __future__ import annotations

import json
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

    async def close(self) -> None:
        return None
