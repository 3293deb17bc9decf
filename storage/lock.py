"""One sender per database: advisory locks the operating system drops when the process ends, however it ends
(kill -9 included), so a crash never leaves one stuck.

Two locks, because a path is not a database: `<database>.lock` beside the file keeps two processes from creating
and migrating a new database at once, and a lock named by the database's own identity (a random id it keeps in
`meta`, which a copy and a hard link carry along) in the machine's temporary directory refuses a second bot on a
hard link or a copy of the same database — keyed by the path alone, both had run, and every MAX message was
answered twice."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from .db import StorageUnusable, describe

LOCK_DIR = Path(tempfile.gettempdir()) / "sferum-bot-locks"


class AlreadyRunning(Exception):
    def __init__(self, path: Path, owner: str) -> None:
        super().__init__(str(path))
        self.path = path
        self.owner = owner  # the running process id, as it wrote it


class InstanceLock:
    def __init__(self, fd: int, path: Path) -> None:
        self._fd = fd
        self.path = path

    @classmethod
    def acquire(cls, db_path: str | Path) -> InstanceLock:
        """The lock beside the database file (taken before the database is opened)."""
        path = Path(str(db_path) + ".lock")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnusable(str(db_path), describe(e)) from e
        return cls._take(path, str(db_path))

    @classmethod
    def acquire_installation(cls, installation: str, db_path: str | Path) -> InstanceLock:
        """The lock named by the database's identity (Database.installation): held by whoever sends from it."""
        if not installation.isalnum():  # our own hex; never a path
            raise StorageUnusable(str(db_path), "в базе нет её идентификатора")
        try:
            LOCK_DIR.mkdir(mode=0o1777, exist_ok=True)  # shared by the machine's users, like /tmp itself
        except OSError as e:
            raise StorageUnusable(str(LOCK_DIR), describe(e)) from e
        return cls._take(LOCK_DIR / f"{installation}.lock", str(db_path))

    @classmethod
    def _take(cls, path: Path, db_path: str) -> InstanceLock:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            try:  # another user's bot made it: reading is enough to take an advisory lock
                fd = os.open(path, os.O_RDONLY)
            except OSError as e:
                raise StorageUnusable(db_path, describe(e)) from e
        except OSError as e:
            raise StorageUnusable(db_path, describe(e)) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(path, owner) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass  # opened read-only: the lock holds all the same, the pid is only for the message
        return cls(fd, path)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
