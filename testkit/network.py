"""A network hop that can go silent, for the lease's tests and bench."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit


class SilentNetwork:
    """A TCP hop between an instance and PostgreSQL that can go silent: nothing passes either way, and no side is
    told (a machine that lost power, a cut cable) — PostgreSQL keeps such a session for as long as TCP keepalive
    takes, two hours by default."""

    def __init__(self, url: str) -> None:
        self.target = urlsplit(url)
        self.port = self.target.port or 5432
        self.silent = False
        self.server: asyncio.Server | None = None
        self._pairs: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """The database's URL through this hop."""
        self.server = await asyncio.start_server(self._pair, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return urlunsplit(self.target._replace(netloc=f"{self.target.username}@127.0.0.1:{port}"))

    async def _pair(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pairs.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)

            async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                while data := await src.read(65536):
                    if self.silent:
                        await asyncio.Event().wait()  # held for good, never passed on, never refused
                    dst.write(data)
                    await dst.drain()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        except asyncio.CancelledError:
            pass  # the hop is taken down (stop): nothing to report
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self._pairs):
            task.cancel()
        await asyncio.gather(*self._pairs, return_exceptions=True)
