"""`python -m bot backup` and `restore`: a copy taken while a broadcast is being sent and reports keep coming is
one moment's consistent database — it passes SQLite's integrity check and holds every report committed before
it began, whole — and a restore puts it in place, refusing while a bot holds the database."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from bot.__main__ import main
from bot.services.ports import Outgoing
from bot.views.message import Reply
from storage.backup import BackupError, backup, restore
from storage.lock import AlreadyRunning, InstanceLock

RM, FORM = "ntgo-sferum-2023", "weekly"
PERIODS = ["2023-09-08", "2023-09-15", "2023-09-22", "2023-09-29", "2023-10-06", "2023-10-13", "2023-10-20"]


def _reports(path) -> dict[tuple[str, str], dict[str, float]]:
    conn = sqlite3.connect(path)
    try:
        out: dict[tuple[str, str], dict[str, float]] = {}
        for org, period, key, value in conn.execute(
                "SELECT s.organization_id, s.period, f.indicator_key, f.value FROM submissions s "
                "JOIN figures f ON f.submission_id = s.id WHERE s.roadmap_id = ?", (RM,)):
            out.setdefault((org, period), {})[key] = value
        return out
    finally:
        conn.close()


async def test_a_backup_taken_during_a_broadcast_holds_every_report_and_restores(sqlite_harness, tmp_path) -> None:
    h = sqlite_harness
    db = tmp_path / "bot.sqlite3"
    orgs = [o.id for m in await h.app.repos.directory.all_municipalities()
            for o in await h.app.repos.directory.organizations_of_municipality(m.id) if o.type != "authority"]
    before = 0
    for org in orgs:  # the first week: all in before anything else starts
        await h.app.repos.reports.save(org, RM, FORM, PERIODS[0], {"staff_total": 40, "staff_active": 30}, 5,
                                       h.clock(), False)
        before += 1
    # a broadcast of 600 messages to 50 people who wrote to the community, queued and being sent while the other
    # weeks' reports keep coming
    for n in range(50):
        await h.say(7000 + n, "Начать")
    await h.app.messengers.send_bulk([Outgoing(7000 + n % 50, Reply(f"Рассылка {n}"), f"bcast:{n}") for n in range(600)])
    copies: list[tuple[object, int]] = []

    asked = threading.Semaphore(0)

    def take_copies() -> None:  # another process's connection, as `python -m bot backup` is
        for n in range(len(PERIODS) - 1):
            asked.acquire()
            committed = len(_reports(db))  # every report committed before this copy began
            copies.append((backup(db, tmp_path / f"copy-{n}.sqlite3"), committed))

    async def keep_reporting() -> None:
        # after each week a copy is asked for, and the next week's reports go on being written while it is taken
        for period in PERIODS[1:]:
            for org in orgs:
                await h.app.repos.reports.save(org, RM, FORM, period, {"staff_total": 40, "staff_active": 31}, 5,
                                               h.clock(), False)
                await asyncio.sleep(0)
            asked.release()

    thread = threading.Thread(target=take_copies)
    thread.start()
    await asyncio.gather(keep_reporting(), h.settle(limit_s=60))
    await asyncio.to_thread(thread.join, 60)
    assert len(copies) == len(PERIODS) - 1
    for copied, committed in copies:
        reports = _reports(copied.path)
        # consistent: every report whole (both answers), at least all committed before the copy began
        assert len(reports) >= committed >= before and all(len(f) == 2 for f in reports.values())
        assert sqlite3.connect(copied.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copied.submissions == len(reports) and copied.figures == 2 * len(reports)
    sent = sum(1 for n in range(50) for m in h.emu.delivered(7000 + n) if m.text.startswith("Рассылка"))
    assert sent == 600  # the broadcast went out meanwhile

    # a restore into a database a bot holds is refused; into a stopped one it puts the copy in place, keeping the old
    last = copies[-1][0]
    target = tmp_path / "restored.sqlite3"
    target.write_bytes(b"")  # something to keep aside
    lock = InstanceLock.acquire(target)
    with pytest.raises(AlreadyRunning):
        restore(last.path, target, datetime(2026, 12, 7, tzinfo=UTC))
    lock.release()
    restored, kept = restore(last.path, target, datetime(2026, 12, 7, tzinfo=UTC))
    assert kept is not None and kept.name == "restored.sqlite3.before-restore-20261207-000000" and kept.exists()
    assert _reports(target) == _reports(last.path) and restored.submissions == last.submissions


def test_a_file_that_is_not_our_database_is_neither_a_backup_nor_restored(tmp_path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="не база SQLite"):
        restore(junk, tmp_path / "bot.sqlite3", datetime.now(UTC))
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    with pytest.raises(BackupError, match="не база бота"):
        backup(other, tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists() and not (tmp_path / "copy.sqlite3.partial").exists()
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing was put in place


def test_the_commands_speak_russian(tmp_path, capsys, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[vk]\ngroup_id = 1\n\n[storage]\npath = "{tmp_path / "bot.sqlite3"}"\n', encoding="utf-8")
    assert main(["--config", str(config), "backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert "Копия не сделана: базы" in capsys.readouterr().err
    sqlite3.connect(tmp_path / "bot.sqlite3").executescript(
        "CREATE TABLE submissions(id); CREATE TABLE figures(x); CREATE TABLE organizations(id);").close()
    assert main(["--config", str(config), "backup", str(tmp_path / "copy.sqlite3")]) == 0
    assert "Копия базы сохранена" in capsys.readouterr().out
    assert main(["--config", str(config), "restore", str(tmp_path / "copy.sqlite3")]) == 1
    assert "Остановите бота и повторите с --yes" in capsys.readouterr().out
    assert main(["--config", str(config), "restore", str(tmp_path / "copy.sqlite3"), "--yes"]) == 0
    assert "База восстановлена" in capsys.readouterr().out
