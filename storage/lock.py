"""One running bot per database: an advisory lock on a file beside it.

The operating system drops the lock when the process ends, however it ends (kill -9 included), so a
crash never leaves it stuck; a second `run` on the same database finds it taken and stops at once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .db import StorageUnusable, describe


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
        path = Path(str(db_path) + ".lock")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise StorageUnusable(str(db_path), describe(e)) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(path, owner) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return cls(fd, path)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
