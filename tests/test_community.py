"""The community's settings: `setup-community` sets what it can and says what it cannot; `run` refuses a
community that is not ready, in one Russian sentence, and waits out a VK it cannot reach."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from testkit.forkserver import ForkServer, Launcher
from testkit.processes import control, free_port, vkemu_process, write_config

ROOT = Path(__file__).resolve().parents[1]


def bot(launcher: Launcher, args: list[str], config: Path, token: str = "vkemu-token",
        timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` (forked: testkit/forkserver.py; what the command says and its exit code are the same)."""
    env = {**os.environ, "VK_TOKEN": token, "BOT_CONFIG": str(config), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    return launcher.run(args, config.parent, env, timeout=timeout)


def vk(base: str, method: str, **params: object) -> dict:
    data = urllib.parse.urlencode({**params, "access_token": "vkemu-token", "v": "5.199"}).encode()
    return json.loads(urllib.request.urlopen(f"{base}/method/{method}", data=data, timeout=10).read())


def test_setup_community_turns_everything_on_once_and_run_refuses_until_then(tmp_path: Path,
                                                                             bot_processes: ForkServer) -> None:
    with vkemu_process() as base:
        control(base, "new_community")
        config = write_config(tmp_path / "config.toml", base, tmp_path / "bot.sqlite3")
        refused = bot(bot_processes, ["run"], config)
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 1 and len(lines) == 1, refused.stderr
        assert "setup-community" in lines[0] and "Bots Long Poll" in lines[0] and "выключено" in lines[0]
        first = bot(bot_processes, ["setup-community"], config)
        assert first.returncode == 0, first.stderr
        assert "Изменено настроек: 5." in first.stdout and "исправлено" in first.stdout
        assert "Кнопка «Начать»: было выключено — включено" in first.stdout  # else an invite link's ref is lost
        assert vk(base, "groups.getSettings", group_id=1)["response"]["bots_start_button"] == 1
        assert "только человек" in first.stdout
        settings = vk(base, "groups.getLongPollSettings", group_id=1)["response"]
        assert settings["is_enabled"] and settings["api_version"] == "5.199"
        assert all(settings["events"][e] for e in ("message_new", "message_event", "message_allow", "message_deny"))
        second = bot(bot_processes, ["setup-community"], config)
        assert second.returncode == 0 and "Изменять нечего" in second.stdout, second.stdout
        # an old Long Poll version: VK would send message_new in the old shape; run refuses until it is fixed
        vk(base, "groups.setLongPollSettings", group_id=1, api_version="5.80")
        old = bot(bot_processes, ["run"], config)
        assert old.returncode == 1 and "версия 5.80 вместо 5.199" in old.stderr, old.stderr
        assert "Изменено настроек: 1." in bot(bot_processes, ["setup-community"], config).stdout
        # the bot then starts, as the operator starts it
        started = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "VK_TOKEN": "vkemu-token", "BOT_CONFIG": str(config),
                                        "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while not control(base, "stats")["lp_waiting"] and time.monotonic() < deadline:  # type: ignore[index]
            time.sleep(0.1)
        started.send_signal(signal.SIGTERM)
        assert started.wait(30) == 0


def test_a_wrong_token_or_group_id_stops_run_with_one_russian_line(tmp_path: Path, bot_processes: ForkServer) -> None:
    with vkemu_process() as base:
        config = write_config(tmp_path / "config.toml", base, tmp_path / "bot.sqlite3")
        wrong_token = bot(bot_processes, ["run"], config, token="not-the-token")
        assert wrong_token.returncode == 1 and wrong_token.stderr.strip().count("\n") == 0
        assert "не принял ключ VK_TOKEN" in wrong_token.stderr and "Traceback" not in wrong_token.stderr
        other = tmp_path / "other.toml"
        other.write_text(config.read_text(encoding="utf-8").replace("group_id = 1", "group_id = 2"), encoding="utf-8")
        wrong_group = bot(bot_processes, ["setup-community"], other)
        assert wrong_group.returncode == 1 and "выдан сообществу 1" in wrong_group.stderr, wrong_group.stderr


def test_run_waits_out_an_unreachable_vk_instead_of_exiting(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", f"http://127.0.0.1:{free_port()}", tmp_path / "bot.sqlite3")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "VK_TOKEN": "t", "BOT_CONFIG": str(config), "PYTHONPATH": str(ROOT),
                                 "LOG_LEVEL": "WARNING"})
    # the sign it is waiting for VK (not a fixed sleep: a loaded machine takes seconds to start it), then a second
    # try, so it did not exit into a restart loop
    seen = 0
    for line in iter(proc.stderr.readline, ""):  # type: ignore[union-attr]
        seen += "VK is unreachable at start" in line
        if seen == 2:
            break
    assert seen == 2 and proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
