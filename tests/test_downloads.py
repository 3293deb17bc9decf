"""Files a person sent are fetched as if every url were hostile (bot/downloads.py): only from the messenger's own
file hosts, redirects checked, no token, a size cap while streaming, a time cap."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.downloads import (
    MAX_FILE_HOSTS,
    NOT_ALLOWED,
    TOO_BIG,
    UNREACHABLE,
    VK_FILE_HOSTS,
    Downloader,
    FileHosts,
)
from bot.max.api import MaxApi, MaxError
from testkit.harness import register as register_vk
from testkit.harness import start_harness, stop_harness
from testkit.journey import MaxDriver
from testkit.journey import register as register_in

MB = 2**20


@asynccontextmanager
async def listener(routes: dict[str, object]) -> AsyncIterator[tuple[str, list[str]]]:
    """A web server on another port (another origin): yields its base url and the paths it was asked for."""
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler):  # type: ignore[no-untyped-def]
        seen.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[record])
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)  # type: ignore[arg-type]
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def ok(request: web.Request) -> web.Response:
    return web.Response(body=b"figures")


def test_file_hosts_are_the_messengers_own_over_https() -> None:
    vk = FileHosts(VK_FILE_HOSTS)
    assert vk.allows("https://vk.com/doc1_2?hash=x")
    assert vk.allows("https://psv4.userapi.com/c1/u1/docs/d1/figures.xlsx")
    assert vk.allows("https://sun9-1.vkuserphoto.ru/x")
    assert not vk.allows("http://vk.com/doc1_2")  # not over HTTPS
    assert not vk.allows("https://vk.com:8443/doc1_2")
    assert not vk.allows("https://vk.com.evil.example/doc1_2")
    assert not vk.allows("https://evilvk.com/doc")
    assert not vk.allows("https://vk.com@evil.example/doc")  # userinfo: the host is evil.example
    assert not vk.allows("https://user@vk.com/doc")
    assert not vk.allows("file:///etc/passwd")
    assert not vk.allows("https://[::1/")  # unparsable
    mx = FileHosts(MAX_FILE_HOSTS, ("http://127.0.0.1:8081",))
    assert mx.allows("https://fd.oneme.ru/getfile?sig=1")
    assert mx.allows("http://127.0.0.1:8081/files/t")  # the configured API's own origin (an emulator)
    assert not mx.allows("http://127.0.0.1:8082/files/t")
    assert not mx.allows("https://vk.com/doc1_2")


async def test_another_host_gets_no_request_not_even_through_a_redirect() -> None:
    async with listener({"/file": ok}) as (elsewhere, seen_elsewhere):
        async def to_elsewhere(request: web.Request) -> web.Response:
            raise web.HTTPFound(elsewhere + "/file")

        async with listener({"/files/doc": ok, "/files/redirect": to_elsewhere, "/files/relative": ok}) \
                as (own, seen_own):
            files = Downloader(FileHosts(VK_FILE_HOSTS, (own,)), 10 * MB)
            try:
                assert (await files.fetch(own + "/files/doc")).data == b"figures"
                assert (await files.fetch(elsewhere + "/file")).problem == NOT_ALLOWED
                assert (await files.fetch(own + "/files/redirect")).problem == NOT_ALLOWED
            finally:
                await files.close()
            assert seen_elsewhere == []  # not asked directly, not after the redirect
            assert seen_own == ["/files/doc", "/files/redirect"]


async def test_a_huge_body_is_cut_off_while_it_streams() -> None:
    sent = [0]

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()  # no Content-Length: the claim cannot refuse it, only the stream cap can
        await resp.prepare(request)
        chunk = b"\0" * MB
        try:
            for _ in range(600):  # 600 MB
                await resp.write(chunk)
                sent[0] += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the bot hung up
        return resp

    async def claims(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 100, headers={"Content-Length": "100"})

    async with listener({"/files/big": endless, "/files/small": claims}) as (own, _):
        files = Downloader(FileHosts((), (own,)), 20 * MB)
        tracemalloc.start()
        try:
            got = await files.fetch(own + "/files/big")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await files.close()
        assert got.problem == TOO_BIG and got.data is None
        assert peak < 60 * MB, peak  # about the cap, not the body
        await asyncio.sleep(0.2)
        assert sent[0] < 200 * MB  # the server was stopped long before its 600 MB
        files = Downloader(FileHosts((), (own,)), 50)
        try:
            assert (await files.fetch(own + "/files/small")).problem == TOO_BIG  # the claim alone refuses it
        finally:
            await files.close()


async def test_a_hanging_file_host_costs_the_time_cap_only() -> None:
    released = asyncio.Event()

    async def hangs(request: web.Request) -> web.Response:
        await asyncio.wait_for(released.wait(), 30)
        return web.Response(body=b"late")

    async with listener({"/files/slow": hangs}) as (own, _):
        files = Downloader(FileHosts((), (own,)), MB, within_s=0.5)
        started = time.monotonic()
        try:
            assert (await files.fetch(own + "/files/slow")).problem == UNREACHABLE
        finally:
            released.set()
            await files.close()
        assert time.monotonic() - started < 3


async def test_a_max_upload_url_outside_maxs_hosts_gets_nothing() -> None:
    async with listener({"/file": ok}) as (elsewhere, seen_elsewhere):
        async def uploads(request: web.Request) -> web.Response:
            return web.json_response({"url": elsewhere + "/file", "token": "t"})

        async with listener({"/uploads": uploads}) as (own, _):
            api = MaxApi("secret-max-token", own, per_second=0)
            try:
                with pytest.raises(MaxError):
                    await api.upload("file", "a.xlsx", b"data")
            finally:
                await api.close()
        assert seen_elsewhere == []


async def test_a_coordinators_attachment_pointing_elsewhere_is_not_fetched(tmp_path, schema) -> None:
    """In MAX a coordinator's message carries a file whose url names another host: nothing is asked of it, and the
    coordinator is told to attach the file itself."""
    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        driver = MaxDriver(h)
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register_in(driver, 700, "municipality", muni)
        async with listener({"/figures.xlsx": ok}) as (elsewhere, seen):
            before = len(driver.seen_of(700))
            driver.emu.say(700, "", attachments=[{"type": "file", "filename": "figures.xlsx", "size": 7,
                                                 "payload": {"url": elsewhere + "/figures.xlsx", "token": "x"}}])
            await h.settle()
            replies = driver.seen_of(700)[before:]
        assert seen == []
        assert any("не на сервере мессенджера" in r.text for r in replies), [r.text for r in replies]
    finally:
        await stop_harness(h)
    assert h.app.handler_errors == []


async def test_a_vk_coordinators_file_is_fetched_and_read(tmp_path, schema) -> None:
    """The in-process emulator's files come through the same fetcher (its origin is the configured API's)."""
    h = await start_harness(tmp_path, schema)
    try:
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register_vk(h, 701, "municipality", muni)
        replies = await h.say(701, "", documents=(("figures.csv", b"id;x\n"),))
        text = "\n".join(m.text for m in replies)
        assert "скачать" not in text and "не на сервере" not in text, text
    finally:
        await stop_harness(h)
