"""Where a file of figures is read: never on the event loop, never inside a transaction.

A small file is read in a worker thread. A large one (by what its parts declare unpacked) is read in a separate
process: a CPU-bound thread holds the GIL in 5 ms slices, and every database call and socket wake of the bot
waits for one — a 120,000-row sheet read in a thread held other people's replies for 6–15 s. In a process the bot
does not slow down, the memory of a huge sheet goes back to the system when it is done, and a reader that outlives
its time cap is killed."""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from loguru import logger

from bot.domain.figures_file import CAPS, Caps, FigureTable, FileProblem, read_figures
from bot.words import texts

IN_THREAD_BYTES = 2 * 2**20  # unpacked: about 5,000 rows, read in well under a second


def unpacked_size(data: bytes) -> int:
    if data[:2] != b"PK":
        return len(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(p.file_size for p in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return len(data)  # read_figures says what is wrong with it


class FileReader:
    def __init__(self, caps: Caps = CAPS) -> None:
        self.caps = caps
        self._pool: ProcessPoolExecutor | None = None
        self._one_at_a_time = asyncio.Semaphore(1)  # two large files never double the memory

    async def read(self, name: str, data: bytes) -> FigureTable:
        """The table, or FileProblem with a Russian sentence."""
        if unpacked_size(data) <= IN_THREAD_BYTES:
            return await asyncio.to_thread(read_figures, name, data, self.caps)
        async with self._one_at_a_time:
            if self._pool is None:
                # spawn, not fork: the bot has threads (aiosqlite's) whose locks a forked child would inherit
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            future = asyncio.get_running_loop().run_in_executor(self._pool, read_figures, name, data, self.caps)
            try:
                # the reader checks its own time cap as it goes; this is the backstop when it cannot (one huge row)
                return await asyncio.wait_for(future, self.caps.seconds + 15)
            except TimeoutError:
                logger.warning("a file reader outlived its time cap and is stopped")
                self._kill()
                raise FileProblem(texts.IMPORT_TOO_SLOW) from None
            except BrokenProcessPool:
                logger.warning("a file reader died (out of memory?)")
                self._kill()
                raise FileProblem(texts.IMPORT_UNREADABLE) from None

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):  # no public kill before Python 3.14
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
