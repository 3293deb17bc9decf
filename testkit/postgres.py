"""A PostgreSQL server the tests start themselves, from the server binaries on the machine (`initdb`, `pg_ctl`),
in a temporary directory on a free port — nothing installed or left running. As root (CI, these machines) the
server runs as the `postgres` user, which PostgreSQL requires; each test gets a database of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "bot"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    directory: Path
    port: int
    _as: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run([*self._as, _binary("pg_ctl") or "pg_ctl", "-D", str(self.directory / "data"), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    def new_database(self, name: str, migrated: bool = False) -> str:
        """A fresh database for one test; its URL. The name gets this process's id: the test processes of a run
        share the server (`shared`). `migrated`: a copy of a database the app's migrations have run on (made once
        per server), as the SQLite harness copies its migrated file — a database created and migrated for each test
        had cost ~0.45 s of CPU, a copy ~0.18 s (`STRATEGY FILE_COPY`: the files copied whole rather than every page
        written through the WAL). A copy has no identity yet (meta's `installation`): its first opening gives it one
        of its own, as a new database gets."""
        name = f"{name}_{os.getpid()}"
        how = f' TEMPLATE "{self._migrated()}" STRATEGY FILE_COPY' if migrated else ""
        self._psql("postgres", f'CREATE DATABASE "{name}"{how}')
        return self.url(name)

    def _migrated(self) -> str:
        """The database `new_database(migrated=True)` copies, made by the first process of the run to ask."""
        template = "sferum_migrated"
        with open(self.directory / "template.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.directory / "template.made").exists():
                self._psql("postgres", f'CREATE DATABASE "{template}"')

                async def migrate() -> None:
                    from storage.engines import open_database

                    db = await open_database(self.url(template))
                    await db.close()

                # in a thread of its own: the caller may be inside a running event loop (an async fixture)
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    pool.submit(asyncio.run, migrate()).result(timeout=120)
                self._psql(template, "DELETE FROM meta WHERE key IN ('installation', 'opened_at')")
                (self.directory / "template.made").touch()
        return template

    def _psql(self, database: str, sql: str) -> None:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-q", "-c", sql],
                       check=True, capture_output=True, timeout=60)


def shared(root: Path) -> PgServer:
    """One server for all the test processes of a run (pytest-xdist's workers; `root` is a directory they share): the
    first to ask starts it, under a lock, and says where it listens; the others use it. Each had started its own:
    ~1 s of CPU apiece for initdb and the start, five times a run. The run's controller stops it (`stop_shared`)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "postgres.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        where = root / "postgres.json"
        if where.exists():
            return _known(where)
        server = start(root / "postgres")
        where.write_text(json.dumps({"directory": str(server.directory), "port": server.port, "run_as": server._as}))
        return server


def stop_shared(root: Path) -> None:
    """The server `shared` started in `root`, if one was, stopped and removed."""
    where = root / "postgres.json"
    if where.exists():
        _known(where).stop()
        where.unlink()


def _known(where: Path) -> PgServer:
    known = json.loads(where.read_text())
    return PgServer(Path(known["directory"]), known["port"], known["run_as"])


def start(directory: Path) -> PgServer:
    """initdb + pg_ctl start; raises RuntimeError naming what failed."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not on this machine")
    directory.mkdir(parents=True, exist_ok=True)
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the `postgres` user runs it, in a directory it can
        # reach (pytest's own temporary directories are root's alone)
        owner = pwd.getpwnam("postgres")
        directory = Path(tempfile.mkdtemp(prefix="sferum-pg-"))
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    made = subprocess.run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8",
                           "--no-locale"], capture_output=True, text=True, timeout=120, check=False)
    if made.returncode != 0:
        raise RuntimeError(f"initdb failed: {made.stderr[-500:]}")
    port = _free_port()
    options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200")
    started = subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(directory / "server.log"),
                              "-w", "-t", "60", "start"], capture_output=True, text=True, timeout=90, check=False)
    if started.returncode != 0:
        log = (directory / "server.log").read_text(errors="replace")[-800:] if (directory / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {started.stderr[-300:]} {log}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    return PgServer(directory, port, run_as)
