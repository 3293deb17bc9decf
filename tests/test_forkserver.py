"""The crash tests' forked bots (testkit/forkserver.py) behave as `python -m bot` does: the same output and exit
codes, and a process of their own to wait for, signal and kill."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testkit.forkserver import ForkServer, Interpreter
from testkit.processes import bot_env, free_port, write_config

ROOT = Path(__file__).resolve().parents[1]


def test_a_forked_bot_says_and_exits_as_the_interpreter_does(tmp_path: Path, bot_processes: ForkServer) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_CONFIG"} | {"VK_TOKEN": "x"}
    cases = (["--help"], ["nosuch"], ["run", "--config", "nowhere.toml"], ["invite", "region"],
             ["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], ["export", "--scope", "Нигде"],
             ["run-job", "form-reminders", "--at", "вчера"])
    codes = set()
    for n, argv in enumerate(cases):
        said = []
        for launcher in (bot_processes, Interpreter()):
            workdir = tmp_path / f"{n}-{type(launcher).__name__}"  # each its own database
            workdir.mkdir()
            (workdir / "config.toml").write_text('[vk]\ngroup_id = 1\n[storage]\npath = "bot.sqlite3"\n')
            out = launcher.run(argv, workdir, env, timeout=60)
            said.append((out.returncode, out.stdout, out.stderr))
        assert said[0] == said[1], argv
        codes.add(said[0][0])
    assert codes == {0, 1, 2}  # the cases succeed and fail both ways: not all alike
    assert bot_processes.run(["--help"], tmp_path, env).stdout.startswith("Использование:")


def test_a_forked_bot_is_a_process_of_its_own(tmp_path: Path, bot_processes: ForkServer) -> None:
    # VK unreachable: `run` waits it out instead of exiting (test_community), so the process stays up
    env = bot_env(write_config(tmp_path / "config.toml", f"http://127.0.0.1:{free_port()}", tmp_path / "bot.sqlite3"))
    bot = bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert bot.pid != os.getpid() and Path(f"/proc/{bot.pid}/cwd").resolve() == tmp_path.resolve()
    deadline = time.monotonic() + 30
    while not (tmp_path / "bot.sqlite3").exists():  # it migrated the database in its own directory
        assert time.monotonic() < deadline and bot.poll() is None
        time.sleep(0.05)
    with pytest.raises(subprocess.TimeoutExpired):
        bot.wait(0.2)
    bot.terminate()
    _, err = bot.communicate(timeout=30)
    assert bot.returncode == 0 and "Traceback" not in err, err
    killed = bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(30) == -signal.SIGKILL and killed.poll() == -signal.SIGKILL
