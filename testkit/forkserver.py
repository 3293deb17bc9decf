"""Bot processes for the crash tests, forked from a server that imported the app once.

`python -m bot run` spends about a second of CPU importing (vkbottle's ~1,500 pydantic models) before it does
anything; the kill -9 tests start the bot ~80 times, and on the CI's two cores that was a fifth of the suite. Here a
server process (`python -m testkit.forkserver SOCKET`) imports what `python -m bot run` imports, then forks a child
per start that runs the very `bot.__main__.main(argv)` with the test's argv, working directory, environment and
standard streams. The child is a real process of its own (its own pid, database connections and sockets; killed
with SIGKILL like any other), so what the crash tests judge — what a restarted bot finds and does — is unchanged;
only the interpreter's start and the imports are shared. The kills land on a bot at work rather than, half the
time, on one still importing. The tests of the entry point itself (`--help`, a SIGTERM during the imports, the
wheel) start `python -m bot` as the operator does.

The server is single-threaded (forking a process with threads copies their locks held), reaps its children and
tells each client its child's exit code; it exits when its parent does.
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


def _serve(path: str) -> None:
    import gc

    gc.disable()  # as `python -m bot` imports: no garbage, and collecting among the imports costs a sixth
    import bot.__main__ as entry
    import bot.app  # noqa: F401  (what `run` and `run-job` import; the operator's commands import less)

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
    except SystemExit as e:
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

    def __init__(self, args: list[str], conn: socket.socket, pid: int,
                 stdout: IO[Any] | None, stderr: IO[Any] | None) -> None:
        self.args, self.pid, self.stdout, self.stderr = args, pid, stdout, stderr
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

    def communicate(self, timeout: float | None = None) -> tuple[Any, Any]:
        """Read what the child writes to its pipes until it exits, as Popen does."""
        got: dict[str, Any] = {}
        readers = [threading.Thread(target=lambda n=name, s=stream: got.__setitem__(n, s.read()), daemon=True)
                   for name, stream in (("stdout", self.stdout), ("stderr", self.stderr)) if stream is not None]
        for reader in readers:
            reader.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for reader in readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return got.get("stdout"), got.get("stderr")


Process = subprocess.Popen[Any] | BotProcess


class Launcher(Protocol):
    """Starts `python -m bot <argv>`: as a new interpreter (`Interpreter`) or forked (`ForkServer`)."""

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False) -> Process: ...

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str],
            timeout: float | None = None) -> subprocess.CompletedProcess[str]: ...


class Interpreter:
    """The same two calls, starting `python -m bot` as the operator does (the benchmarks)."""

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False) -> subprocess.Popen[Any]:
        return subprocess.Popen([sys.executable, "-m", "bot", *argv], cwd=cwd, env=env, stdout=stdout,
                                stderr=stderr, text=text)

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str],
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout)


class ForkServer:
    """Starts the server on first use; `popen` and `run` mirror subprocess's for `python -m bot <argv>`."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="forkserver")
        self._path = str(Path(self._dir.name) / "socket")
        self._server: subprocess.Popen[str] | None = None

    def _started(self) -> str:
        if self._server is None:
            self._server = subprocess.Popen([sys.executable, "-m", "testkit.forkserver", self._path], cwd=ROOT,
                                            stdout=subprocess.PIPE, text=True)
            line = self._server.stdout.readline()  # type: ignore[union-attr]
            if line.strip() != "ready":
                raise RuntimeError("the fork server did not start")
        return self._path

    def popen(self, argv: list[str], cwd: Path | str, env: dict[str, str], stdout: int | None = None,
              stderr: int | None = None, text: bool = False) -> BotProcess:
        """`subprocess.Popen([python, "-m", "bot", *argv], ...)`; stdout/stderr: None, DEVNULL or PIPE."""
        ends: list[int] = []
        theirs: list[int] = [os.open(os.devnull, os.O_RDONLY)]
        for choice, inherited in ((stdout, 1), (stderr, 2)):
            if choice == subprocess.PIPE:
                read, write = os.pipe()
                ends.append(read)
                theirs.append(write)
            else:
                ends.append(-1)
                theirs.append(os.open(os.devnull, os.O_WRONLY) if choice == subprocess.DEVNULL else os.dup(inherited))
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            conn.connect(self._started())
            request = {"argv": argv, "cwd": str(cwd), "env": env}
            socket.send_fds(conn, [json.dumps(request).encode()], theirs)
            pid = int(conn.recv(64))
        finally:
            for fd in theirs:
                os.close(fd)
        streams = [os.fdopen(fd, "r" if text else "rb") if fd >= 0 else None for fd in ends]
        return BotProcess(["bot", *argv], conn, pid, *streams)

    def run(self, argv: list[str], cwd: Path | str, env: dict[str, str],
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """`subprocess.run([python, "-m", "bot", *argv], capture_output=True, text=True, ...)`."""
        proc = self.popen(argv, cwd, env, subprocess.PIPE, subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode or 0, out, err)

    def close(self) -> None:
        if self._server is not None:
            self._server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._server.wait(10)
            self._server = None
        self._dir.cleanup()


@contextlib.contextmanager
def fork_server() -> Iterator[ForkServer]:
    server = ForkServer()
    try:
        yield server
    finally:
        server.close()


if __name__ == "__main__":
    _serve(sys.argv[1])
