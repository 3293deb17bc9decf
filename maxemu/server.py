"""maxemu over HTTP: the Bot API paths as MAX serves them, upload urls, files, and `/_control/` for tests and
the sandbox to play the people (write, press, start, add to a chat)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from .emulator import ApiError, Emulator

OWN = ("/upload", "/files/", "/_control/")


def _token(request: web.Request) -> str | None:
    """MAX takes the token as the whole `Authorization` header: no `Bearer ` (that header is a wrong token), and the
    query's `access_token` is refused as deprecated (MAX's document: «Авторизация через параметр access_token в
    query больше не поддерживается» — 403 deprecated.token; its example answers a bad token 403 verify.token)."""
    if request.headers.get("Authorization"):
        return request.headers["Authorization"].strip()
    if "access_token" in request.query:
        return DEPRECATED
    return None


DEPRECATED = "\0query"  # a marker no real token equals


def build_web_app(emu: Emulator) -> web.Application:
    async def api(request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        query = {k: v for k, v in request.query.items() if k != "access_token"}
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return _error(ApiError(400, "proto.payload", "Request body is not JSON"))
        try:
            if request.method == "GET" and path == "/updates":
                emu.poll_arrived()  # counted when it comes, not when a held poll is answered
            if request.method == "GET" and path == "/updates" and not emu.pending(_int(query.get("marker"))):
                wait = query.get("timeout", "30")
                # MAX holds a poll 30 s at most since May 2026 (its document, GET /updates: timeout 0-30)
                await _wait(emu, min(int(wait), 30) if wait.isdigit() else 30)
            token = _token(request)
            if token == DEPRECATED:
                raise ApiError(403, "deprecated.token", "Access token in query parameters is no longer supported")
            answer = emu.call(request.method, path, query, body, token)
        except ApiError as e:
            return _error(e)
        if request.method == "POST" and path == "/messages" and emu.lose_answers > 0:
            # a fault a test asks for: MAX took the message, the answer never reaches the bot
            emu.lose_answers -= 1
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("answer lost (maxemu fault)")
        return web.json_response(answer, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    async def upload(request: web.Request) -> web.Response:
        token = request.query.get("token", "")
        reader = await request.multipart()
        part = await reader.next()
        if part is None or not hasattr(part, "read"):
            return _error(ApiError(400, "proto.payload", "No file in the request"))
        data = await part.read()  # type: ignore[union-attr]
        try:
            return web.json_response(emu.receive_upload(token, part.filename or "file", bytes(data)))  # type: ignore[union-attr]
        except ApiError as e:
            return _error(e)

    async def files(request: web.Request) -> web.Response:
        upload = emu.uploads.get(request.match_info["token"])
        if upload is None or upload.data is None:
            return _error(ApiError(404, "not.found", "File not found"))
        return web.Response(body=upload.data, headers={"Content-Disposition": f'attachment; filename="{upload.name}"'})

    async def control(request: web.Request) -> web.Response:
        """POST /_control/{say,start,stop,press,add_chat,set_admin,add_user}; GET /_control/sent."""
        action = request.match_info["action"]
        args = await request.json() if request.can_read_body else dict(request.query)
        try:
            if action == "sent":
                user = _int(args.get("user_id"))
                chat = _int(args.get("chat_id"))
                return web.json_response([d.message for d in emu.delivered(user, chat)])
            if action == "add_users":  # many people at once (benchmarks): ids first .. first + count - 1
                first, count = int(args["first"]), int(args["count"])
                for uid in range(first, first + count):
                    emu.add_user(uid, "Админ", str(uid - first))
                    emu.people[uid].started = bool(args.get("started", True))
                return web.json_response({"ok": True})
            if action == "counts":  # messages delivered to each person
                counts: dict[str, int] = {}
                for d in emu.sent:
                    if d.user_id is not None:
                        counts[str(d.user_id)] = counts.get(str(d.user_id), 0) + 1
                return web.json_response(counts)
            if action == "stats":
                refused: dict[str, int] = {}
                for status, _code in emu.rejected:
                    refused[str(status)] = refused.get(str(status), 0) + 1
                return web.json_response({"sent": len(emu.sent), "refused": refused, "requests": len(emu.calls),
                                          "labels_cut": len(emu.labels_cut),
                                          "webhook_statuses": [status for _, status in emu.webhook_posts]})
            if action == "subscribe":  # a webhook as setup-max would set it (a loopback url is taken for tests)
                return web.json_response(emu._subscribe({"url": args["url"], "secret": args.get("secret")}))
            if action == "add_user":
                emu.add_user(int(args["user_id"]), args.get("first_name", "Анна"), args.get("last_name"))
                return web.json_response({"ok": True})
            if action == "open_link":
                return web.json_response(emu.open_link(int(args["user_id"]), str(args["url"])))
            if action == "start":
                return web.json_response(emu.start(int(args["user_id"]), args.get("payload")))
            if action == "stop":
                return web.json_response(emu.stop(int(args["user_id"])))
            if action == "say":
                return web.json_response(emu.say(int(args["user_id"]), args.get("text", ""), _int(args.get("chat_id"))))
            if action == "press":
                return web.json_response(emu.press(int(args["user_id"]), args["mid"], args["payload"]))
            if action == "add_chat":
                return web.json_response({"chat_id": emu.add_chat([int(m) for m in args["members"]],
                                                                   args.get("title", "Координаторы"),
                                                                   bool(args.get("bot_admin", False)))})
            if action == "set_admin":
                emu.set_admin(int(args["chat_id"]), bool(args["admin"]))
                return web.json_response({"ok": True})
        except (KeyError, ValueError) as e:
            return web.json_response({"error": str(e)}, status=400)
        return web.json_response({"error": f"unknown control action {action}"}, status=404)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/upload", upload)
    app.router.add_get("/files/{token}", files)
    app.router.add_route("*", "/_control/{action}", control)
    app.router.add_route("*", "/{tail:.*}", api)
    return app


async def _wait(emu: Emulator, seconds: float) -> None:
    waiter = asyncio.get_running_loop().create_future()
    emu.waiters.append(waiter)
    try:
        await asyncio.wait_for(waiter, seconds)
    except TimeoutError:
        pass


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _error(e: ApiError) -> web.Response:
    return web.json_response(e.body(), status=e.status)


class MaxEmulatorServer:
    """Runs an Emulator on a loopback port inside the current event loop (tests, sandbox); with a webhook set, it
    POSTs each update there as MAX does: the secret in `X-Max-Bot-Api-Secret`, anything but 200 retried (MAX: every
    30-60 s for up to 8 hours, then the subscription is dropped; `retry_s` and `give_up_s` shorten both for tests)."""

    def __init__(self, emulator: Emulator | None = None, retry_s: float = 30.0, give_up_s: float = 8 * 3600) -> None:
        self.emulator = emulator or Emulator()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.retry_s, self.give_up_s = retry_s, give_up_s
        self._deliveries: set[asyncio.Task[None]] = set()
        self._client: Any = None
        self.emulator.on_update = self._deliver_later

    @property
    def webhook_posts(self) -> list[tuple[str, int]]:
        return self.emulator.webhook_posts

    def _deliver_later(self, subscription: dict[str, Any], update: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(subscription, update))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, subscription: dict[str, Any], update: dict[str, Any]) -> None:
        import aiohttp

        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        headers = {"X-Max-Bot-Api-Secret": subscription["secret"]} if subscription.get("secret") else {}
        started = time.monotonic()
        while subscription in self.emulator.subscriptions:
            try:
                async with self._client.post(subscription["url"], json=update, headers=headers,
                                             timeout=aiohttp.ClientTimeout(total=30)) as resp:
                    status = resp.status  # MAX: the bot must answer 200 within 30 s
            except (aiohttp.ClientError, OSError, TimeoutError):
                status = 0
            self.emulator.webhook_posts.append((update["update_type"], status))
            if status == 200:
                return
            if time.monotonic() - started > self.give_up_s:
                self.emulator.subscriptions.remove(subscription)  # MAX unsubscribes a webhook failing for 8 hours
                return
            await asyncio.sleep(self.retry_s)

    @property
    def api_url(self) -> str:
        return self.emulator.base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> MaxEmulatorServer:
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
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        for waiter in self.emulator.waiters:
            if not waiter.done():
                waiter.set_result(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MaxEmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
