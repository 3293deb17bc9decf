"""The MAX token goes to MAX's API only: a file a person sends (or a redirect) that points at another host gets no
`Authorization` header, nor does the upload url MAX hands out."""

from __future__ import annotations

from aiohttp import web

from bot.max.api import MaxApi


async def test_a_download_from_another_host_carries_no_token() -> None:
    seen: list[dict[str, str]] = []

    async def listener(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.path == "/redirect":
            raise web.HTTPFound("/file")
        return web.Response(body=b"figures")

    app = web.Application()
    app.router.add_get("/file", listener)
    app.router.add_get("/redirect", listener)
    app.router.add_post("/upload", listener)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = MaxApi("secret-max-token", "http://127.0.0.1:1", per_second=0)
    try:
        assert await api.download(f"http://127.0.0.1:{port}/file", 100) == b"figures"
        await api.download(f"http://127.0.0.1:{port}/redirect", 100)
        assert len(seen) == 3  # the file, the redirect and where it led
        assert all("secret-max-token" not in str(headers) for headers in seen)
        assert all("Authorization" not in headers for headers in seen)
    finally:
        await api.close()
        await runner.cleanup()


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
