"""`python -m maxemu --port 8082 --token TOKEN`: the MAX emulator as a process of its own (sandbox, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from .emulator import RATE_LIMIT, Emulator
from .server import MaxEmulatorServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m maxemu", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default="maxemu-token")
    parser.add_argument("--rate-limit", type=int, default=RATE_LIMIT, help="requests per second (MAX: 30)")
    parser.add_argument("--webhook-retry-s", type=float, default=30.0, help="pause before a webhook is tried again")
    args = parser.parse_args(argv)

    async def serve() -> None:
        emu = Emulator(token=args.token, rate_limit=args.rate_limit)
        server = await MaxEmulatorServer(emu, retry_s=args.webhook_retry_s).start(args.host, args.port)
        print(f"maxemu listening on {server.api_url} (bot {emu.bot_id}, control {server.api_url}/_control/)",
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
