"""The bot and vkemu as separate processes, for benchmarks and crash tests: free ports, a vkemu process,
prepared databases, percentiles."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _emulator_process(module: str, args: list[str], port: int, probe: str) -> Iterator[str]:
    """Start `python -m <module>` on `port`, wait until its control API answers `probe`, yield its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(base + probe, data=b"{}"), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{module} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def vkemu_process(rate_limit: int = 0, port: int | None = None) -> contextlib.AbstractContextManager[str]:
    """Start `python -m vkemu` and yield its base URL; stop it afterwards."""
    return _emulator_process("vkemu", ["--rate-limit", str(rate_limit)], port or free_port(), "/control/stats")


def maxemu_process(token: str = "maxemu-token", port: int | None = None,
                   webhook_retry_s: float = 30.0) -> contextlib.AbstractContextManager[str]:
    """Start `python -m maxemu` (MAX's 30 requests a second) and yield its base URL; stop it afterwards."""
    return _emulator_process("maxemu", ["--token", token, "--webhook-retry-s", str(webhook_retry_s)],
                             port or free_port(), "/_control/stats")


def max_control(base: str, action: str, body: dict | None = None) -> object:
    import json

    req = urllib.request.Request(f"{base}/_control/{action}", data=json.dumps(body or {}).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def prepare_admins(db_path: Path, admins: int, first_admin: int, shift_to_now: bool, *,
                         roadmap: str | None = None, timezone: str = "Asia/Yekaterinburg", max_ids: bool = False) -> None:
    """A municipality of `admins` schools (ids B000000, B000001, ...) with one admin each and seed
    000's roadmap, or the `roadmap` text given.

    `shift_to_now`: move the roadmap's dates around today (for runs that use the real clock)."""
    import re

    from bot.services.catalog import CatalogService
    from storage.directory import DirectoryRepo
    from storage.engines import open_database
    from storage.people import PeopleRepo
    from storage.roadmaps import RoadmapRepo

    db = await open_database(db_path)  # a file, or "postgresql://…"
    catalog = CatalogService(DirectoryRepo(db), RoadmapRepo(db))
    rows = ["id,region,municipality,timezone,organization,type"]
    rows += [f"{school_id(n)},Свердловская область,Нижнетуринский ГО,{timezone},Школа № {n},school"
             for n in range(admins)]
    await catalog.import_directory("\n".join(rows) + "\n", "bench.csv")
    text = roadmap or (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8")
    if shift_to_now:
        text = without_items(text)  # their dates stay in the order's year, before the moved start
        year = time.gmtime().tm_year
        text = re.sub(r"(?m)^starts = \d{4}-\d\d-\d\d", f"starts = {year - 1}-01-01", text)
        text = re.sub(r"(?m)^ends = \d{4}-\d\d-\d\d", f"ends = {year + 1}-12-31", text)
    await catalog.load_roadmap(text, "bench.toml")
    people = PeopleRepo(db)
    from storage.accounts import MaxAccountRepo

    accounts = MaxAccountRepo(db)
    async with db.transaction():
        for n in range(admins):
            # max_ids: the admins are MAX users (first_admin + n in MAX), known to us by our own ids
            person = await accounts.person(first_admin + n) if max_ids else first_admin + n
            await people.upsert_person(person, "Админ", str(n))
            await people.grant(person, "organization", school_id(n))
    await db.close()


def without_items(text: str) -> str:
    """A roadmap's text with its [[item]] tables and its targets' deadlines (`by`) taken out: for runs that
    move the roadmap's dates to today, where those dates would fall before its start."""
    import re

    return re.sub(r"(?m)^by = .*\n", "", re.split(r"(?m)^\[\[item\]\]", text, maxsplit=1)[0])


def pending(db_path: Path | str) -> int:
    """Outbox rows not sent yet (in the SQLite file, or the PostgreSQL database the URL names)."""
    return int(query(db_path, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0])


def query(db_path: Path | str, sql: str) -> list[tuple]:
    """Rows of one read, from outside the bot (as an operator's tool would look)."""
    if str(db_path).startswith("postgresql://"):
        import subprocess

        out = subprocess.run(["psql", str(db_path), "-tA", "-F", "\t", "-c", sql], capture_output=True, text=True,
                             check=True, timeout=60).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]
    import sqlite3

    with sqlite3.connect(db_path, timeout=10) as conn:
        return conn.execute(sql).fetchall()


def school_id(n: int) -> str:
    return f"B{n:06d}"


def control(base: str, action: str, body: dict | None = None) -> object:
    import json

    req = urllib.request.Request(f"{base}/control/{action}", data=json.dumps(body or {}).encode())
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


async def control_async(session: object, base: str, action: str, body: dict, attempts: int = 8,
                        prefix: str = "/control/") -> object:
    """`control` from async code, over an aiohttp session (vkemu's /control/, or maxemu's with prefix="/_control/");
    a dropped connection is tried again."""
    import asyncio

    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    for attempt in range(attempts):
        try:
            async with session.post(f"{base}{prefix}{action}", json=body) as r:
                return await r.json()
        except aiohttp.ClientError:
            await asyncio.sleep(0.3 * (attempt + 1))
    raise RuntimeError(f"control {action} failed")


def bot_env(config: Path) -> dict[str, str]:
    return {**os.environ, "VK_TOKEN": "vkemu-token", "BOT_CONFIG": str(config), "LOG_LEVEL": os.environ.get("BENCH_BOT_LOG_LEVEL", "WARNING"),
            "PYTHONPATH": str(ROOT)}


def write_config(path: Path, api_base: str, db_path: Path | str, requests_per_second: int = 20,
                 max_api: str | None = None) -> Path:
    """`db_path`: the SQLite file, or a PostgreSQL URL (the file path then only places the key beside it)."""
    max_section = f'[max]\napi_url = "{max_api}"\n' if max_api else ""
    storage = f'url = "{db_path}"\npath = "{path.parent / "bot.sqlite3"}"' if str(db_path).startswith("postgresql://") \
        else f'path = "{db_path}"'
    path.write_text(f'[vk]\ngroup_id = 1\napi_url = "{api_base}/method/"\n'
                    f'requests_per_second = {requests_per_second}\n{max_section}[storage]\n{storage}\n'
                    "[schedule]\ngrace_hours = 0\n", encoding="utf-8")
    return path


async def fill_weekly_form(base: str, uid: int, staff: int, active: int, start_s: float = 0.0, pause_s: float = 0.0,
                           wait_s: float = 120.0) -> None:
    """One admin fills the weekly form through vkemu as a person does, each answer awaited by its reply."""
    import asyncio
    import random

    import aiohttp

    rng = random.Random(uid)
    await asyncio.sleep(start_s)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=wait_s + 30)) as s:
        async def call(action: str, body: dict) -> object:
            return await control_async(s, base, action, body)

        async def step(text: str, marker: str) -> None:
            await asyncio.sleep(rng.uniform(0, pause_s))
            seen = len(await call("record", {"peer_id": uid}))  # type: ignore[arg-type]
            await call("say", {"user_id": uid, "text": text})
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                got = await call("record", {"peer_id": uid})
                if any(marker in m["text"] for m in got[seen:]):  # type: ignore[index]
                    return
                await asyncio.sleep(0.2)
            raise AssertionError(f"user {uid}: no {marker!r} after {text!r}")

        await step("/report", "Вопрос 1 из 2")
        await step(str(staff), "Вопрос 2 из 2")
        await step(str(active), "Проверьте ответы")
        await step("Отправить", "Отчёт принят")
