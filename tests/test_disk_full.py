"""A full disk during a submit: the admin hears at once that the bot has a fault, nothing is lost, and
the submit completes by itself once space returns.

The database lives on a 4 MiB tmpfs that a filler file fills up: the real ENOSPC, met by SQLite. Mounting
needs root; anyone else runs this test in a user namespace (`unshare -Urm`), where they are root."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.words import texts
from testkit.harness import register, start_harness, stop_harness

ROOT = Path(__file__).resolve().parents[1]
SCHOOL = "6624000001"
IN_NAMESPACE = "SFERUM_TEST_IN_NAMESPACE"


@contextlib.contextmanager
def small_disk(path: Path, options: str = "size=4m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full, to the last byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


async def scenario(tmp_path: Path, schema) -> None:
    with small_disk(tmp_path / "disk") as disk:
        h = await start_harness(disk, schema)
        try:
            await register(h, 700, "organization", SCHOOL)
            assert "Вопрос 1 из 2" in await h.text(700, "/report")
            assert "Вопрос 2 из 2" in await h.text(700, "25")
            assert "Проверьте ответы" in await h.text(700, "20")
            await h.app.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every write now needs new space
            filler = fill(disk)
            before = len(h.emu.delivered(700))
            h.emu.say(700, "Отправить")
            event = h.emu.lp_events[-1]
            h.cursor += 1
            task = h.app.vk.feed(event)
            assert task is not None
            for _ in range(100):
                await asyncio.sleep(0.05)
                if len(h.emu.delivered(700)) > before:
                    break
            told = h.emu.delivered(700)[before:]
            assert [m.text for m in told] == [texts.STORAGE_DOWN]  # straight from VK: the outbox cannot write
            await asyncio.sleep(1.5)  # it has been tried again, and again it could not write
            assert not task.done()
            assert await h.app.db.scalar("SELECT count(*) FROM submissions") == 0
            filler.unlink()  # space returns
            await asyncio.wait_for(task, 10)
            await h.settle()
            after = [m.text for m in h.emu.delivered(700)[before + 1:]]
            assert any("Отчёт принят" in t for t in after), after
            assert await h.app.db.scalar("SELECT count(*) FROM submissions") == 1
            assert h.app.handler_errors == []
        finally:
            await stop_harness(h)


def as_root(test_name: str) -> bool:
    """True: go on, we may mount. False: the test was run again in a user namespace, and passed there."""
    if os.geteuid() == 0:
        return True
    assert shutil.which("unshare"), "this test mounts a small tmpfs: it needs root or unshare(1)"
    out = subprocess.run(["unshare", "-Urm", sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p",
                          "no:cacheprovider", f"{__file__}::{test_name}"],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, IN_NAMESPACE: "1"})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    return False


def test_disk_full_during_a_submit_the_submit_completes_after_space_returns(tmp_path: Path, schema) -> None:
    if as_root("test_disk_full_during_a_submit_the_submit_completes_after_space_returns"):
        asyncio.run(scenario(tmp_path, schema))


def test_a_read_only_database_stops_the_bot_at_once_with_one_russian_line(tmp_path: Path) -> None:
    if not as_root("test_a_read_only_database_stops_the_bot_at_once_with_one_russian_line"):
        return
    with small_disk(tmp_path / "ro", "size=1m,ro") as disk:
        config = tmp_path / "config.toml"
        config.write_text(f'[vk]\ngroup_id = 1\n[storage]\npath = "{disk / "bot.sqlite3"}"\n', encoding="utf-8")
        res = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=30, env={**os.environ, "BOT_CONFIG": str(config), "VK_TOKEN": "t",
                                              "PYTHONPATH": str(ROOT)})
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and len(lines) == 1 and "только для чтения" in lines[0], res.stderr


async def max_scenario(tmp_path: Path, schema) -> None:
    """MAX's side: a person the bot has never seen writes while the disk is full. Turning MAX's ids into ours is a
    write; it happens inside the event's transaction, so the person is told and the message waits, as on VK."""
    with small_disk(tmp_path / "disk") as disk:
        h = await start_harness(disk, schema, with_max=True)
        try:
            assert h.max_emu is not None and h.app.max is not None
            h.max_emu.add_user(901, "Ирина", "Котова")
            h.max_emu.start(901)
            await h.settle()
            greeted = len(h.max_emu.delivered(user_id=901))
            await h.app.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            filler = fill(disk)
            h.max_emu.say(902, "/help")  # a new person: their account row is a write too
            await h.app.max.poll_once(0)  # the poll itself does not fail
            for _ in range(100):
                await asyncio.sleep(0.05)
                if h.max_emu.delivered(user_id=902):
                    break
            await asyncio.sleep(0.5)
            told = [d.text for d in h.max_emu.delivered(user_id=902)]
            assert told and set(told) == {texts.STORAGE_DOWN}  # straight from MAX (bot_started, then /help)
            assert h.app.dispatcher.in_flight == 2  # both kept, and tried again
            filler.unlink()
            await asyncio.wait_for(h.app.max.saved(), 20)
            await h.settle()
            after = [d.text for d in h.max_emu.delivered(user_id=902)[len(told):]]
            assert any("/status" in t or "код" in t for t in after), after  # answered once space returned
            assert len(h.max_emu.delivered(user_id=901)) == greeted
            assert h.app.handler_errors == []
        finally:
            await stop_harness(h)


def test_disk_full_on_max_the_person_is_told_and_the_message_is_handled_after(tmp_path: Path, schema) -> None:
    if as_root("test_disk_full_on_max_the_person_is_told_and_the_message_is_handled_after"):
        asyncio.run(max_scenario(tmp_path, schema))


def test_sigterm_while_the_database_cannot_write_is_a_clean_exit(tmp_path: Path) -> None:
    """The disk fills while the bot runs and a person writes (their message waits for space); SIGTERM then stops it
    with no traceback and exit code 0 — nothing of what waits is lost (it is handled at the next start)."""
    if not as_root("test_sigterm_while_the_database_cannot_write_is_a_clean_exit"):
        return
    import time

    from testkit.processes import bot_env, control, vkemu_process, write_config

    with small_disk(tmp_path / "disk") as disk, vkemu_process() as base:
        env = bot_env(write_config(tmp_path / "config.toml", base, disk / "bot.sqlite3"))
        env["LOG_LEVEL"] = "WARNING"
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not control(base, "stats")["lp_waiting"]:  # type: ignore[index]
                assert time.monotonic() < deadline and bot.poll() is None, "the bot did not start"
                time.sleep(0.05)
            control(base, "say", {"user_id": 42, "text": "привет"})
            control(base, "wait_delivered", {"peer_id": 42, "count": 1, "limit_s": 10})
            filler = fill(disk)
            control(base, "say", {"user_id": 43, "text": "привет"})
            control(base, "wait_delivered", {"peer_id": 43, "count": 1, "limit_s": 10})  # told straight from VK
            time.sleep(1)
        finally:
            bot.send_signal(signal.SIGTERM)
            _, err = bot.communicate(timeout=60)
        assert "Traceback" not in err, err[-3000:]
        assert bot.returncode == 0, err[-3000:]
        filler.unlink()


def catches_sigterm(pid: int) -> bool:
    """The process has a handler for SIGTERM (its caught-signals mask in /proc has bit 15)."""
    try:
        mask = next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask, 16) & (1 << (signal.SIGTERM - 1)))


def test_sigterm_at_any_moment_of_a_start_on_a_read_only_database_is_clean(tmp_path: Path) -> None:
    """SIGTERM from the first moments of `run` on (a read-only) database: exit 0 (stopped) or 1 with the one
    Russian line, never a traceback nor death by the signal (143 mid-import before)."""
    if not as_root("test_sigterm_at_any_moment_of_a_start_on_a_read_only_database_is_clean"):
        return
    import time

    with small_disk(tmp_path / "ro", "size=1m,ro") as disk:
        config = tmp_path / "config.toml"
        config.write_text(f'[vk]\ngroup_id = 1\napi_url = "http://127.0.0.1:9/method/"\n[storage]\n'
                          f'path = "{disk / "bot.sqlite3"}"\n', encoding="utf-8")
        for delay in (0.0, 0.2, 0.5, 0.9):
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "BOT_CONFIG": str(config), "VK_TOKEN": "t",
                                         "PYTHONPATH": str(ROOT)})
            # from the moment our code catches SIGTERM (the interpreter's own start, before any of it runs, cannot)
            deadline = time.monotonic() + 30
            while not catches_sigterm(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(delay)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            assert "Traceback" not in err and proc.returncode in (0, 1), (delay, proc.returncode, err[-2000:])
            assert proc.returncode == 0 or "только для чтения" in err, err
