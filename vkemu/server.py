"""HTTP face of the emulator: VK's /method/, the Bots Long Poll server, upload URLs, and /control/."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from .emulator import Emulator, is_upload_field

CONTROL_ACTIONS = {
    "add_user", "add_users", "add_chat", "say", "say_file", "press", "callback", "allow", "deny", "redeliver",
    "fail_longpoll", "fail_http", "slow_down", "hang", "drop_connections", "fail_method", "chaos", "outage", "grant_full_access", "new_community",
}


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def build_web_app(emu: Emulator) -> web.Application:
    async def method(request: web.Request) -> web.StreamResponse:
        if time.monotonic() < emu.faults.hang_until:
            await asyncio.sleep(600)  # held: the client must give up on its own
        fault = emu.next_fault()
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never reaches the client: the socket is gone
        if fault == "5xx":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html")
        if fault == "slow":
            await asyncio.sleep(emu.faults.slow_seconds)
        params: dict[str, str] = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        body = await emu.handle(request.match_info["name"], params)
        return web.Response(text=_dumps(body), content_type="application/json")

    async def longpoll(request: web.Request) -> web.StreamResponse:
        if emu.longpoll_down:
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html")
        params: dict[str, str] = dict(request.query)
        if request.can_read_body:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        if params.get("act") != "a_check":
            return web.Response(text=_dumps({"failed": 2}), content_type="application/json")
        try:
            wait = min(max(float(params.get("wait", "25")), 0.0), 90.0)
        except ValueError:
            wait = 25.0
        body = await emu.a_check(params.get("key", ""), params.get("ts", ""), wait)
        return web.Response(text=_dumps(body), content_type="application/json")

    async def upload(request: web.Request) -> web.StreamResponse:
        reader = await request.multipart()
        filename, data = "file", b""
        async for part in reader:
            # VK's upload servers take the file from any of these fields: vk_api sends file0, vkbottle photo
            if is_upload_field(getattr(part, "name", None)):
                filename = part.filename or filename  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
        body = emu.upload(request.match_info["ticket"], filename, bytes(data))
        return web.Response(text=_dumps(body), content_type="application/json")

    async def files(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name in emu.streamed:
            resp = web.StreamResponse()
            await resp.prepare(request)
            chunk = b"\0" * 2**20
            try:
                for _ in range(emu.streamed[name]):
                    await resp.write(chunk)
            except (ConnectionError, RuntimeError):
                pass  # the reader hung up
            return resp
        data = emu.files.get(name)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    async def control(request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        args: dict[str, Any] = await request.json() if request.can_read_body else {}
        if action == "record":
            msgs = emu.delivered(int(args["peer_id"]))
            return web.json_response([asdict(m) for m in msgs], dumps=_dumps)
        if action == "wait_delivered":
            msgs = await emu.wait_delivered(int(args["peer_id"]), int(args["count"]),
                                            float(args.get("limit_s", 10.0)))
            return web.json_response([asdict(m) for m in msgs[int(args.get("since", 0)):]], dumps=_dumps)
        if action == "wait_poller":  # a client is parked on the long poll: the next event reaches it
            try:
                await emu.wait_for_poller(float(args.get("limit_s", 10.0)))
            except TimeoutError as e:
                return web.json_response({"error": str(e)}, status=408)
            return web.json_response({"result": True})
        if action == "stats":
            return web.json_response({
                "requests_total": emu.requests_total,
                "errors_by_code": {str(k): v for k, v in emu.errors_by_code.items()},
                "delivered_total": sum(len(v) for v in emu.record.values()),
                "peers": len(emu.record),
                "lp_waiting": emu.lp_waiting,
            }, dumps=_dumps)
        if action == "counts":
            return web.json_response({str(k): len(v) for k, v in emu.record.items()}, dumps=_dumps)
        if action == "config":
            if "rate_limit" in args:
                emu.rate_limit = args["rate_limit"]
            return web.json_response({"rate_limit": emu.rate_limit})
        if action not in CONTROL_ACTIONS:
            raise web.HTTPNotFound(text=f"unknown control action {action}")
        try:
            result = getattr(emu, action)(**args)
        except (KeyError, TypeError, ValueError) as e:
            return web.json_response({"error": str(e)}, status=400)
        if hasattr(result, "__dataclass_fields__"):
            result = asdict(result)
        return web.json_response({"result": result}, dumps=_dumps)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/method/{name}", method)
    app.router.add_route("*", "/lp", longpoll)
    app.router.add_post("/upload/{ticket}", upload)
    app.router.add_get("/files/{name}", files)
    app.router.add_post("/control/{action}", control)
    return app


class EmulatorServer:
    """Runs an Emulator on a loopback port inside the current event loop (tests, sandbox); for a Callback API server
    it confirms the server (its answer must be the community's code) and POSTs each event, again while the answer
    is not "ok" (VK retries a failed delivery; `retry_s` shortens the pause for tests)."""

    def __init__(self, emulator: Emulator | None = None, retry_s: float = 10.0, attempts: int = 5) -> None:
        self.emulator = emulator or Emulator()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.retry_s, self.attempts = retry_s, attempts
        self.callback_posts: list[tuple[str, str]] = []  # (type, the server's answer) of each delivery
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: Any = None
        self.emulator.on_callback_server = lambda server: self._later(self._confirm(server))
        self.emulator.on_callback_event = lambda server, event: self._later(self._deliver(server, event))

    def _later(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, body: dict[str, Any]) -> str:
        import aiohttp

        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        try:
            async with self._client.post(url, json=body, timeout=aiohttp.ClientTimeout(total=25)) as resp:
                return (await resp.text()) if resp.status == 200 else f"HTTP {resp.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            return type(e).__name__

    async def _confirm(self, server: dict[str, Any]) -> None:
        server["status"] = "wait"
        answer = await self._post(server["url"], {"type": "confirmation", "group_id": self.emulator.group_id})
        self.callback_posts.append(("confirmation", answer))
        server["status"] = "ok" if answer.strip() == self.emulator.confirmation_code else "failed"

    async def _deliver(self, server: dict[str, Any], event: dict[str, Any]) -> None:
        for _ in range(self.attempts):
            answer = await self._post(server["url"], event)
            self.callback_posts.append((event["type"], answer))
            if answer == "ok":
                return
            await asyncio.sleep(self.retry_s)

    @property
    def api_url(self) -> str:
        return f"{self.emulator.base_url}/method/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        self._runner = web.AppRunner(build_web_app(self.emulator), access_log=None, shutdown_timeout=0.5,
                                     handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.emulator.base_url = f"http://{host}:{self.port}"
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
