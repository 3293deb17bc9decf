"""`python -m bot backup FILE` and `restore FILE` for the embedded SQLite database.

A backup is SQLite's online backup (https://www.sqlite.org/backup.html) taken in one step from a read-only
connection: a consistent snapshot of one moment while the bot keeps running (in WAL mode readers do not block the
writer, and one step holds one read transaction, so the copy is never half of two moments). It is written beside
the target and moved into place only after `PRAGMA integrity_check` says "ok", so a full disk or a crash leaves no
file that looks like a backup and is not.

A restore refuses while a bot holds the database (its lock file, storage/lock.py), checks the file first, keeps
the database it replaces as `<db>.before-restore-<time>`, and copies with the same backup API (the WAL and
shared-memory files of the old database are moved aside with it, never mixed with the new one)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .lock import InstanceLock

SIDE_FILES = ("-wal", "-shm")


class BackupError(Exception):
    """What went wrong, in Russian, for the operator."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    submissions: int  # reports in the copy: a figure the operator can check against /status
    figures: int


def _check(path: Path) -> tuple[int, int]:
    """(submissions, figures) of a database that passes the integrity check and is ours; else BackupError."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise BackupError(f"{path}: не открывается как база SQLite ({e})") from None
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{path}: проверка целостности не пройдена: {verdict}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"submissions", "figures", "organizations"} <= tables:
            raise BackupError(f"{path}: это не база бота (нет таблиц отчётов и справочника)")
        return (conn.execute("SELECT count(*) FROM submissions").fetchone()[0],
                conn.execute("SELECT count(*) FROM figures").fetchone()[0])
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path}: не база SQLite или повреждена ({e})") from None
    finally:
        conn.close()


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step (pages = all): one read transaction, one moment
    finally:
        dst.close()
        src.close()


def backup(db_path: str | Path, target: str | Path) -> Copied:
    """A consistent copy of the running database at `target`."""
    source, target = Path(db_path), Path(target)
    if not source.exists():
        raise BackupError(f"базы {source} нет: копировать нечего")
    if target.resolve() == source.resolve():
        raise BackupError("копия не может лежать на месте самой базы")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        submissions, figures = _check(partial)
        os.replace(partial, target)
    except sqlite3.Error as e:
        partial.unlink(missing_ok=True)
        raise BackupError(f"копия не сделана: {e}") from None
    except (BackupError, OSError):
        partial.unlink(missing_ok=True)
        raise
    return Copied(target, target.stat().st_size, submissions, figures)


def restore(backup_file: str | Path, db_path: str | Path, now: datetime) -> tuple[Copied, Path | None]:
    """Put `backup_file` in place of the database; returns the restored copy and where the old one was kept."""
    source, target = Path(backup_file), Path(db_path)
    if not source.exists():
        raise BackupError(f"файла {source} нет")
    submissions, figures = _check(source)
    lock = InstanceLock.acquire(target)  # AlreadyRunning: the bot must be stopped first
    try:
        kept: Path | None = None
        if target.exists():
            kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            os.replace(target, kept)
            for side in SIDE_FILES:
                if Path(str(target) + side).exists():
                    os.replace(str(target) + side, str(kept) + side)
        _copy(source, target)
    finally:
        lock.release()
    return Copied(target, target.stat().st_size, submissions, figures), kept
