"""The bot as tests see it: the real app on a temp SQLite file against vkemu.

Two ways to reach it. In-process (the default): VK API calls go to the emulator through
`vkemu.InProcessClient`, and what people write is fed straight to the dispatcher, each update
awaited to the end and the outbox drained, so a test reads the bot's answers without timing
guesses. Live (`live=True`): the emulator serves HTTP and the bot long-polls it as in production,
for journeys that need the network: restarts, long-poll failures, crashes."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.config import AccessSection, Config, MaxSection, StorageSection, VkSection
from bot.vk.api import LimitedAPI, RateLimiter
from maxemu.emulator import Emulator as MaxEmulator
from maxemu.server import MaxEmulatorServer
from vkemu import Delivered, Emulator, EmulatorServer, Schema
from vkemu.inprocess import InProcessClient

ROOT = Path(__file__).resolve().parents[1]
DEMO_CSV = ROOT / "directory" / "ntgo-demo.csv"
NTGO_ROADMAP = ROOT / "roadmaps" / "ntgo-2023.toml"
OWNER = 1


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2023, 10, 20, 7, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Harness:
    app: App
    emu: Emulator
    clock: Clock
    server: EmulatorServer | None = None  # live only
    stop: asyncio.Event | None = None
    polling: asyncio.Task[None] | None = None
    cursor: int = 0  # in-process: the number of the next emulator event to hand to the bot
    max_emu: MaxEmulator | None = None  # with_max: MAX beside VK, over maxemu's HTTP
    max_server: MaxEmulatorServer | None = None

    async def settle(self, limit_s: float = 10.0) -> None:
        """Until every event pushed so far has been handled and every reply sent."""
        if self.server is None:
            await self._pump(limit_s)
            return
        await self._settle_live(limit_s)

    async def _pump(self, limit_s: float) -> None:
        while self.cursor < self.emu.lp_first + len(self.emu.lp_events):
            start = max(self.cursor, self.emu.lp_first) - self.emu.lp_first
            events = list(self.emu.lp_events)[start:]
            self.cursor = self.emu.lp_first + len(self.emu.lp_events)
            tasks = [t for e in events if (t := self.app.vk.feed(e)) is not None]
            await asyncio.wait_for(asyncio.gather(*tasks), limit_s)
        if not await self.app.sender.drain(limit_s):
            raise TimeoutError("the outbox did not drain")
        if self.app.max is not None:
            while await self.app.max.pump():  # MAX's updates, then its outbox rows
                pass

    async def _settle_live(self, limit_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        calm = 0
        while calm < 3:
            if loop.time() > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(0.01)
            fetched = self.emu.lp_waiting > 0
            idle = fetched and self.app.dispatcher.in_flight == 0 and not self.app.sender.busy
            if idle and await self.app.repos.outbox.pending_count() > 0:
                idle = False
            calm = calm + 1 if idle else 0

    async def say(self, user_id: int, text: str, *, peer_id: int | None = None,
                  payload: dict | str | None = None, reply_to: int | None = None,
                  documents: tuple[tuple[str, bytes], ...] = ()) -> list[Delivered]:
        """The user writes (and sends files); returns what the bot delivered to that peer in reply."""
        peer = peer_id if peer_id is not None else user_id
        before = len(self.emu.delivered(peer))
        self.emu.say(user_id, text, peer_id=peer_id, payload=payload, reply_to=reply_to, documents=documents)
        await self.settle()
        return self.emu.delivered(peer)[before:]

    async def press(self, user_id: int, label: str | int, *, peer_id: int | None = None) -> list[Delivered]:
        peer = peer_id if peer_id is not None else user_id
        before = len(self.emu.delivered(peer))
        self.emu.press(user_id, label, peer_id=peer_id)
        await self.settle()
        return self.emu.delivered(peer)[before:]

    async def text(self, user_id: int, text: str, **kwargs) -> str:
        replies = await self.say(user_id, text, **kwargs)
        return "\n".join(m.text for m in replies)


# A fresh SQLite file for each test, copied from one built in this process: the migrations and the demo directory
# and roadmap cost ~40 ms of a harness's ~50 (hundreds of harnesses a run). The migrations themselves are tested on
# fresh files (tests/test_catalog.py, tests/test_postgres.py), the demo import by the template and its own tests.
_templates: dict[bool, Path] = {}


async def _template(schema: Schema, demo: bool) -> Path:
    if demo not in _templates:
        directory = Path(tempfile.mkdtemp(prefix="harness-template-"))
        h = await start_harness(directory, schema, demo=demo, fresh=True)
        await stop_harness(h)
        _templates[demo] = directory / "bot.sqlite3"
    return _templates[demo]


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's backup: a whole consistent copy whatever journal the source was left with."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


async def start_harness(tmp_path: Path, schema: Schema, *, demo: bool = True, raise_errors: bool = True,
                        live: bool = False, with_max: bool = False, db_url: str | None = None,
                        fresh: bool = False) -> Harness:
    """`fresh`: migrate and import into a new file rather than copy this process's template."""
    copied = db_url is None and not fresh and not (tmp_path / "bot.sqlite3").exists()
    if copied:
        _copy_database(await _template(schema, demo), tmp_path / "bot.sqlite3")
    emu = Emulator(schema, check_responses=True, rate_limit=20 if live else None, strict=True)
    server = await EmulatorServer(emu).start() if live else None
    # Handler tests read MAX's updates after every step (pump), many times a second: at MAX's 2 polls a second they
    # would wait for nothing. Here both sides allow 100; the rule itself is held by `python -m bot run`'s loop and
    # tested at MAX's figure (tests/test_maxemu.py, tests/test_polling.py).
    # (and so for messages into one chat: MAX's 2 a second would make each step of a journey wait; the sender's
    # pacing is tested at MAX's figure in tests/test_journeys.py (a long reply) and by the broadcast bench)
    # (and MAX's 30 requests a second for the bot: a journey's step makes several, and at 30 a second the MAX
    # journeys had spent most of their time waiting on the limiter; the limit is held at 30 by maxemu's own tests,
    # tests/test_maxemu.py, and the process tests and benches, which run MAX at its figures)
    max_emu = MaxEmulator(token="maxemu-token", polls_per_second=100, per_chat_per_second=100,
                          rate_limit=1000) if with_max else None
    max_server = await MaxEmulatorServer(max_emu).start() if max_emu is not None else None
    config = Config(vk=VkSection(group_id=emu.group_id, api_url=server.api_url if server else "http://vkemu.invalid/method/",
                                 requests_per_second=20 if live else 0),
                    max=MaxSection(api_url=max_server.api_url, requests_per_second=1000) if max_server else None,
                    storage=StorageSection(path=str(tmp_path / "bot.sqlite3"), url=db_url),
                    access=AccessSection(owners=[OWNER], max_owners=[OWNER] if with_max else []))
    clock = Clock()
    api, open_file = None, None
    if server is None:
        emu.base_url = "http://vkemu.invalid"
        api = LimitedAPI(emu.token, RateLimiter(1_000_000))
        api.API_URL = config.vk.api_url
        api.http_client = InProcessClient(emu)
        open_file = api.http_client.open_file
    app = await build_app(config, emu.token, clock=clock, raise_errors=raise_errors,
                          schedule=False, api=api, max_token=max_emu.token if max_emu else None, open_file=open_file)
    if app.max is not None:
        app.max.poll_gap_s = 0.01
        app.max.sender.per_chat_per_second = 100
        await app.max.me()
        await app.max.pump()  # the first poll sets the marker (without one MAX gives only the latest update)
    if demo and not copied:
        await app.services.catalog.import_directory_file(DEMO_CSV)
        await app.services.catalog.load_roadmap_file(NTGO_ROADMAP)
    h = Harness(app, emu, clock, server, cursor=emu.lp_first + len(emu.lp_events), max_emu=max_emu,
                max_server=max_server)
    if server is not None:
        h.stop = asyncio.Event()
        h.polling = asyncio.create_task(app.run_polling(h.stop))
        await emu.wait_for_poller()
    return h


async def stop_harness(h: Harness) -> None:
    if h.stop is not None and h.polling is not None:
        h.stop.set()
        await h.polling
    await h.app.close()
    if h.server is not None:
        await h.server.stop()
    if h.max_server is not None:
        await h.max_server.stop()


async def register(h: Harness, user_id: int, role: str, scope: str, first: str = "Анна",
                   last: str = "Петрова") -> None:
    """Register a person through the bot with a fresh invite code."""
    h.emu.add_user(user_id, first, last)
    code, _ = await h.app.services.invites.create(role, scope, None, h.clock())
    replies = await h.say(user_id, code)
    assert replies and replies[-1].text.startswith("Готово"), replies


MOSCOW_SCHOOL = "7700000001"


async def add_moscow_municipality(h: Harness) -> None:
    """A second municipality of seed 000's region, in Moscow time, covered by the roadmap too."""
    await h.app.services.catalog.import_directory(
        "id,region,municipality,timezone,organization,type\n"
        f"{MOSCOW_SCHOOL},Свердловская область,Тестовый МО,Europe/Moscow,Школа Москвы,school\n", "m.csv")
    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace(
        'municipalities = ["Нижнетуринский ГО"]', 'municipalities = ["Нижнетуринский ГО", "Тестовый МО"]')
    await h.app.services.catalog.load_roadmap(text, "ntgo.toml")


async def restart_app(h: Harness) -> None:
    """Stop the bot and start a new one on the same database; VK (the emulator) keeps running,
    so what people write in between waits on the long-poll server."""
    assert h.stop is not None and h.polling is not None, "restarts need the live harness"
    config = h.app.config
    h.stop.set()
    await h.polling
    await h.app.close()
    # The stopped bot's long-poll request stays parked in the emulator until its timeout, so "someone is
    # parked" proves nothing about the new bot: wait for one more parked request than there is now.
    stale = h.emu.lp_waiting
    h.app = await build_app(config, h.emu.token, clock=h.clock, raise_errors=True,
                            schedule=False)
    h.stop = asyncio.Event()
    h.polling = asyncio.create_task(h.app.run_polling(h.stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while h.emu.lp_waiting <= stale:
        if loop.time() > deadline:
            raise TimeoutError("the restarted bot did not start polling")
        await asyncio.sleep(0.01)
