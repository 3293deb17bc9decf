"""The bot's own HTTP server, behind the operator's TLS proxy (`[server] listen`): MAX's webhook, VK's Callback API,
GET /healthz and GET /metrics (Prometheus' text format).

MAX posts each update to `[max] webhook_url` with the secret in `X-Max-Bot-Api-Secret`; a request without it is
refused (403) before its body is read. The answer is 200 only after the update's transaction has committed, 503
when it could not be (MAX delivers it again, up to 8 hours: the handled mark makes a repeat a no-op)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from loguru import logger

from bot.metrics import CONTENT_TYPE

Take = Callable[[dict[str, Any]], Awaitable[bool]]
TakeVk = Callable[[dict[str, Any]], Awaitable[str | None]]
Health = Callable[[], Awaitable[str | None]]  # None: healthy; else what is wrong
Scrape = Callable[[], Awaitable[bytes]]  # the metrics, in Prometheus' text format
MAX_BODY = 1024 * 1024  # an update is a few KB; MAX documents no larger one


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def webhook_path(url: str) -> str:
    """The path MAX posts to, as the proxy passes it on (the proxy keeps the path)."""
    return urlsplit(url).path or "/"


class WebServer:
    def __init__(self, listen: str, health: Health, scrape: Scrape | None = None) -> None:
        host, _, port = listen.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.health = health
        self.scrape = scrape
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self._healthz)
        if scrape is not None:
            self.app.router.add_get("/metrics", self._metrics)
        self._runner: web.AppRunner | None = None

    def add_webhook(self, path: str, secret: str, take: Take) -> None:
        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get("X-Max-Bot-Api-Secret", "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                logger.warning("a webhook request without MAX's secret was refused")
                return web.Response(status=403)
            update = await _json_object(request)
            if update is None:
                return web.Response(status=400)
            return web.Response(status=200 if await take(update) else 503)

        self.app.router.add_post(path, receive)

    def add_vk_callback(self, path: str, secret: str, take: TakeVk) -> None:
        """VK's Callback API: the secret comes in the body (`secret`), the answer is a text — the confirmation code
        or "ok"; anything else makes VK deliver the event again."""
        async def receive(request: web.Request) -> web.Response:
            event = await _json_object(request)
            if event is None:
                return web.Response(status=400)
            given = str(event.get("secret") or "")
            if event.get("type") != "confirmation" and not hmac.compare_digest(given.encode(), secret.encode()):
                logger.warning("a Callback API request without the community's secret was refused")
                return web.Response(status=403)
            answer = await take(event)
            return web.Response(text=answer) if answer is not None else web.Response(status=503)

        self.app.router.add_post(path, receive)

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = await self.health()
        return web.Response(status=200 if problem is None else 503, text=problem or "ok")

    async def _metrics(self, request: web.Request) -> web.Response:
        assert self.scrape is not None
        try:
            body = await self.scrape()
        except Exception as e:  # the database cannot be read: Prometheus marks the scrape failed, the bot goes on
            logger.warning("metrics could not be read ({})", type(e).__name__)
            return web.Response(status=503, text="metrics unavailable")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def start(self) -> None:
        if self._runner is not None:
            return  # already taking updates (a standby that became the holder: bot/cli.py)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # tests ask for a free port
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        logger.info("HTTP server on {}:{}", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
