"""The bot as tests see it: the real app (temp SQLite, real vkbottle polling) against vkemu."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.config import AccessSection, Config, StorageSection, VkSection
from vkemu import Delivered, Emulator, EmulatorServer, Schema

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
    server: EmulatorServer
    clock: Clock
    stop: asyncio.Event
    polling: asyncio.Task[None]

    async def settle(self, limit_s: float = 10.0) -> None:
        """Until every event pushed so far has been fetched and fully handled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        calm = 0
        while calm < 3:
            if loop.time() > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(0.01)
            fetched = self.emu.lp_waiting > 0
            idle = fetched and self.app.dispatcher.in_flight == 0 and not self.app.sender.busy
            if idle and await self.app.outbox.pending_count() > 0:
                idle = False
            calm = calm + 1 if idle else 0

    async def say(self, user_id: int, text: str, *, peer_id: int | None = None,
                  payload: dict | str | None = None) -> list[Delivered]:
        """The user writes; returns what the bot delivered to that peer in reply."""
        peer = peer_id if peer_id is not None else user_id
        before = len(self.emu.delivered(peer))
        self.emu.say(user_id, text, peer_id=peer_id, payload=payload)
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


async def start_harness(tmp_path: Path, schema: Schema, *, demo: bool = True,
                        raise_errors: bool = True) -> Harness:
    emu = Emulator(schema, check_responses=True)
    server = await EmulatorServer(emu).start()
    config = Config(vk=VkSection(group_id=emu.group_id, api_url=server.api_url),
                    storage=StorageSection(path=str(tmp_path / "bot.sqlite3")),
                    access=AccessSection(owners=[OWNER]))
    clock = Clock()
    app = await build_app(config, emu.token, clock=clock, raise_errors=raise_errors, roadmap_recheck_s=0,
                          schedule=False)
    if demo:
        await app.catalog.import_directory_file(DEMO_CSV)
        await app.catalog.load_roadmap_file(NTGO_ROADMAP)
    stop = asyncio.Event()
    polling = asyncio.create_task(app.run_polling(stop))
    await emu.wait_for_poller()
    return Harness(app, emu, server, clock, stop, polling)


async def stop_harness(h: Harness) -> None:
    h.stop.set()
    await h.polling
    await h.app.close()
    await h.server.stop()


async def register(h: Harness, user_id: int, role: str, scope: str, first: str = "Анна",
                   last: str = "Петрова") -> None:
    """Register a person through the bot with a fresh invite code."""
    h.emu.add_user(user_id, first, last)
    code, _ = await h.app.invites.create(role, scope, None, h.clock())
    replies = await h.say(user_id, code)
    assert replies and replies[-1].text.startswith("Готово"), replies


MOSCOW_SCHOOL = "7700000001"


async def add_moscow_municipality(h: Harness) -> None:
    """A second municipality of seed 000's region, in Moscow time, covered by the roadmap too."""
    await h.app.catalog.import_directory(
        "id,region,municipality,timezone,organization,type\n"
        f"{MOSCOW_SCHOOL},Свердловская область,Тестовый МО,Europe/Moscow,Школа Москвы,school\n", "m.csv")
    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace(
        'municipalities = ["Нижнетуринский ГО"]', 'municipalities = ["Нижнетуринский ГО", "Тестовый МО"]')
    await h.app.catalog.load_roadmap(text, "ntgo.toml")


async def restart_app(h: Harness) -> None:
    """Stop the bot and start a new one on the same database; VK (the emulator) keeps running,
    so what people write in between waits on the long-poll server."""
    config = h.app.config
    h.stop.set()
    await h.polling
    await h.app.close()
    h.app = await build_app(config, h.emu.token, clock=h.clock, raise_errors=True, roadmap_recheck_s=0,
                            schedule=False)
    h.stop = asyncio.Event()
    h.polling = asyncio.create_task(h.app.run_polling(h.stop))
