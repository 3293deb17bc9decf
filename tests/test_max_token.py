"""The MAX token goes to MAX's API only (files are fetched by bot/downloads.py, which has no token:
tests/test_downloads.py)."""

from __future__ import annotations

from aiohttp import web

from bot.max.api import MaxApi


async def test_api_calls_still_carry_the_token() -> None:
    got: list[str | None] = []

    async def me(request: web.Request) -> web.Response:
        got.append(request.headers.get("Authorization"))
        return web.json_response({"user_id": 1, "name": "bot"})

    app = web.Application()
    app.router.add_get("/me", me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = MaxApi("secret-max-token", f"http://127.0.0.1:{port}", per_second=0)
    try:
        assert (await api.request("GET", "/me"))["user_id"] == 1
        assert got == ["secret-max-token"]
    finally:
        await api.close()
        await runner.cleanup()
