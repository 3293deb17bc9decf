"""Bot processes for the process tests, forked from a server that made the command's imports once.

`python -m bot run` spends about a second of CPU importing (vkbottle's ~1,500 pydantic models) before it does
anything; the kill -9 tests and the operator's commands start the bot over a hundred times, and on the CI's two
cores that was a fifth of the suite. Here a server process (`python -m testkit.forkserver SOCKET MODULE`) imports
`bot.__main__` and the module the command imports before it acts (`bot.cli.COMMAND_MODULES`: the messengers'
adapters for `run` and `run-job`, the sandbox; nothing more for an operator's command), then forks a child per
start that runs the very `bot.__main__.main(argv)` with the test's argv, working directory, environment and
standard streams. The child is a real process of its own (its own pid, database connections and sockets; killed
with SIGKILL like any other) holding what its own interpreter would have imported by then, so what the tests judge
— what a command says, what a restarted bot finds and does — is unchanged (tests/test_forkserver.py compares the
two); only the interpreter's start and the imports are shared. The kills land on a bot at work rather than, often,
on one still importing (a second of CPU, longer under the suite's load, against kills 1–2.5 s apart). The tests of the entry point itself (`--help`, a SIGTERM during the imports, the
sandbox's console, the wheel) start `python -m bot` as the operator does.

A server is single-threaded (forking a process with threads copies their locks held), reaps its children and
tells each client its child's exit code; it exits when its parent does, killing the children it still has.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
_MESSAGE = 1 << 20  # a request: argv, cwd and the environment, as JSON


def _serve(path: str, preload: str) -> None:
    """`preload`: the module the command imports before it does anything (`bot.cli.COMMAND_MODULES`), or "-"."""
    import gc
    import importlib

    gc.disable()  # as `python -m bot` imports: no garbage, and collecting among the imports costs a sixth
    import bot.__main__ as entry

    if preload != "-":
        importlib.import_module(preload)
    gc.freeze()
    gc.enable()
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    children: dict[int, socket.socket] = {}
    try:
        _loop(entry, listener, children, parent)
    finally:  # the tests are gone (or stopped the server): so are their bots
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _loop(entry: Any, listener: socket.socket, children: dict[int, socket.socket], parent: int) -> None:
    while os.getppid() == parent:
        readable, _, _ = select.select([listener], [], [], 0.05)
        if readable:
            conn, _ = listener.accept()
            message, fds, _, _ = socket.recv_fds(conn, _MESSAGE, 3)
            request = json.loads(message)
            sys.stdout.flush()
            sys.stderr.flush()
            ready_read, ready_write = os.pipe()
            pid = os.fork()
            if pid == 0:
                listener.close()
                os.close(ready_read)
                for other in children.values():
                    other.close()
                _child(entry, request, fds, conn, ready_write)
            os.close(ready_write)
            for fd in fds:
                os.close(fd)
            os.read(ready_read, 1)  # as Popen returns once the child has exec'd: in its directory, with its streams
            os.close(ready_read)
            conn.sendall(str(pid).encode())
            children[pid] = conn
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            conn = children.pop(pid)
            with contextlib.suppress(OSError):  # the client may have gone
                conn.sendall(str(os.waitstatus_to_exitcode(status)).encode())
            conn.close()


def _child(entry: Any, request: dict[str, Any], fds: list[int], conn: socket.socket, ready: int) -> None:
    """In the forked child: become `python -m bot <argv>` in the request's directory, environment and streams."""
    conn.close()
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["bot", *request["argv"]]
        os.write(ready, b"1")
        os.close(ready)
        code = entry.main(request["argv"])
    except SystemExit as e:  # as the interpreter ends on one: a number is the code, a text is said and is 1
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 — printed as the interpreter would, then the exit code says it
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class BotProcess:
    """What the tests use of `subprocess.Popen`, for a child of the fork server."""

    def __init__(self, args: list[str], conn: socket.socket, pid: int, stdin: IO[Any] | None,
                 stdout: IO[Any] | None, stderr: IO[Any] | None) -> None:
        self.args, self.pid, self.stdin, self.stdout, self.stderr = args, pid, stdin, stdout, stderr
        self.returncode: int | None = None
        self._conn = conn

    def _collect(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            self._conn.settimeout(timeout)
            try:
                answer = self._conn.recv(64)
            except (TimeoutError, BlockingIOError):
                return None
            self.returncode = int(answer) if answer else -signal.SIGKILL  # no answer: the server itself died
            self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._collect(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:  # noqa: A002
        """Write `input` to the child's stdin, read what it writes to its pipes until it exits, as Popen does."""
        got: dict[str, Any] = {}

        def feed() -> None:
            with contextlib.suppress(BrokenPipeError), self.stdin:  # type: ignore[union-attr]
                if input:
                    self.stdin.write(input)  # type: ignore[union-attr]

        workers = [threading.Thread(target=lambda n=name, s=stream: got.__setitem__(n, s.read()), daemon=True)
                   for name, stream in (("stdout", self.stdout), ("stderr", self.stderr)) if stream is not None]
        if self.stdin is not None:
            workers.append(threading.Thread(target=feed, daemon=True))
        for worker in workers:
            worker.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in workers:
            worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return got.get("stdout"), got.get("stderr")


Process = subprocess.Popen[Any] | BotProcess


class Launcher(Protocol):
    """Starts `python -m bot <argv>`: as a new interpreter (`Interpreter`) or forked (`ForkServer`)."""

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False, stdin: int | None = None) -> Process: ...

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str], timeout: float | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]: ...  # noqa: A002


class Interpreter:
    """The same two calls, starting `python -m bot` as the operator does (the benchmarks)."""

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False, stdin: int | None = None) -> subprocess.Popen[Any]:
        return subprocess.Popen([sys.executable, "-m", "bot", *argv], cwd=cwd, env=env, stdin=stdin, stdout=stdout,
                                stderr=stderr, text=text)

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str], timeout: float | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
        return subprocess.run([sys.executable, "-m", "bot", *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout, input=input)


class ForkServer:
    """`popen` and `run` mirror subprocess's for `python -m bot <argv>`. One server per set of imports a command
    makes before it acts (`bot.cli.COMMAND_MODULES`: the bot's adapters for `run` and `run-job`, the sandbox's
    emulators, nothing more for an operator's command), each started on first use: a child has imported what
    the same command's own process would have by then, no more."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="forkserver")
        self._servers: dict[str, subprocess.Popen[str]] = {}

    def _socket(self, argv: list[str], env: dict[str, str]) -> str:
        from bot.cli import COMMAND_MODULES

        # the first word that is not an option names the command (an option's value read as one only costs a
        # child the imports the server did not make); none: `run` with a token, else the sandbox, as `main` decides
        words = [a for a in argv if not a.startswith("-")]
        command = words[0] if words else ("run" if env.get("VK_TOKEN") or env.get("MAX_TOKEN") else "sandbox")
        preload = COMMAND_MODULES.get(command, "-")
        path = str(Path(self._dir.name) / f"{preload}.socket")
        if preload not in self._servers:
            server = subprocess.Popen([sys.executable, "-m", "testkit.forkserver", path, preload], cwd=ROOT,
                                      stdout=subprocess.PIPE, text=True)
            self._servers[preload] = server
            if server.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                raise RuntimeError("the fork server did not start")
        return path

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False, stdin: int | None = None) -> BotProcess:
        """`subprocess.Popen([python, "-m", "bot", *argv], ...)`; each stream: None, DEVNULL or PIPE."""
        ours: list[tuple[int, bool]] = []  # our end of each pipe, and whether we write to it
        theirs: list[int] = []
        for choice, inherited, reading in ((stdin, 0, True), (stdout, 1, False), (stderr, 2, False)):
            if choice == subprocess.PIPE:
                read, write = os.pipe()
                ours.append((write, True) if reading else (read, False))
                theirs.append(read if reading else write)
            else:
                ours.append((-1, False))
                theirs.append(os.open(os.devnull, os.O_RDONLY if reading else os.O_WRONLY)
                              if choice == subprocess.DEVNULL or (reading and choice is None) else os.dup(inherited))
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            conn.connect(self._socket(argv, env))
            request = {"argv": argv, "cwd": str(cwd), "env": env}
            socket.send_fds(conn, [json.dumps(request).encode()], theirs)
            pid = int(conn.recv(64))
        finally:
            for fd in theirs:
                os.close(fd)
        mode = "w" if text else "wb"
        streams = [os.fdopen(fd, (mode if writing else mode.replace("w", "r")), encoding="utf-8" if text else None)
                   if fd >= 0 else None for fd, writing in ours]
        return BotProcess(["bot", *argv], conn, pid, *streams)

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str], timeout: float | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
        """`subprocess.run([python, "-m", "bot", *argv], capture_output=True, text=True, ...)`."""
        proc = self.popen(argv, cwd, env, subprocess.PIPE, subprocess.PIPE, text=True,
                          stdin=subprocess.PIPE if input is not None else None)
        try:
            out, err = proc.communicate(input, timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode or 0, out, err)

    def close(self) -> None:
        for server in self._servers.values():
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(10)
        self._servers.clear()
        self._dir.cleanup()


@contextlib.contextmanager
def fork_server() -> Iterator[ForkServer]:
    server = ForkServer()
    try:
        yield server
    finally:
        server.close()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
