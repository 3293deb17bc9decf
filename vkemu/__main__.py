"""`python -m vkemu --port 8081`: the emulator as a process of its own (sandbox, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from .emulator import Emulator
from .schema import Schema
from .server import EmulatorServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vkemu", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--group-id", type=int, default=1)
    parser.add_argument("--token", default="vkemu-token")
    parser.add_argument("--rate-limit", type=int, default=20,
                        help="requests per second per token; 0 turns the limit off")
    parser.add_argument("--schema", default=None, help="folder of VKCOM/vk-api-schema")
    args = parser.parse_args(argv)

    async def serve() -> None:
        emu = Emulator(Schema(args.schema) if args.schema else None, group_id=args.group_id,
                       token=args.token, rate_limit=args.rate_limit or None)
        server = await EmulatorServer(emu).start(args.host, args.port)
        print(f"vkemu listening on {emu.base_url} (group {args.group_id}, API {server.api_url})",
              flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
