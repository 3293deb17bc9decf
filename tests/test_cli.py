"""`python -m bot ...` as an operator runs it: config errors, imports, roadmaps, invites, help, run, sandbox."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[1]


def operator_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("VK_TOKEN", "BOT_CONFIG")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return full_env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` started as the operator starts it: the tests of the entry point itself."""
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=operator_env(env), input=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli(bot_processes):
    """`run`, its process forked from one that made the command's imports once (testkit/forkserver.py): the tests
    of what a command does. Output and exit codes are the interpreter's (tests/test_forkserver.py)."""
    def call(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return bot_processes.run(args, cwd, operator_env(env), timeout=timeout, input=stdin)
    return call


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        '[vk]\ngroup_id = 1\n[storage]\npath = "data/bot.sqlite3"\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("text, key", [
    ("[vk]\n", "[vk] group_id"),
    ('[vk]\ngroup_id = "первая"\n', "[vk] group_id"),
    ("[vk]\ngroup_id = 1\napi_url = \"ftp://x\"\n", "[vk] api_url"),
    ("[vk]\ngroup_id = 1\n[storage]\npth = \"x\"\n", "[storage] pth"),
    ("default_timezone = \"Europe/Moskow\"\n[vk]\ngroup_id = 1\n", "default_timezone"),
    ("[vk]\ngroup_id = 1\n[access]\nowners = [\"me\"]\n", "[access] owners"),
    ("[vk\n", "синтаксиса"),
])
def test_config_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "config.toml")
    assert key in str(err.value)


def test_token_never_comes_from_the_file() -> None:
    with pytest.raises(ConfigError, match="token"):
        parse_config('token = "abc"\n[vk]\ngroup_id = 1\n')


def test_shipped_config_is_valid() -> None:
    cfg = parse_config((ROOT / "config.toml").read_text(encoding="utf-8"))
    assert cfg.vk.api_url == "https://api.vk.com/method/" and cfg.invites.ttl_days == 14


def test_help_for_every_command(workdir: Path) -> None:
    out = run(["--help"], workdir)
    assert out.returncode == 0 and "sandbox" in out.stdout
    for command in ("run", "sandbox", "import-orgs", "load-roadmap", "invite"):
        res = run([command, "--help"], workdir)
        assert res.returncode == 0 and "Использование:" in res.stdout and "usage" not in res.stdout, command


def test_argument_and_range_errors_are_said_in_russian(workdir: Path) -> None:
    res = run(["invite"], workdir)
    assert res.returncode == 2 and "не указано: ROLE, SCOPE" in res.stderr and "usage" not in res.stderr
    res = run(["nosuch"], workdir)
    assert res.returncode == 2 and "нет варианта «nosuch»" in res.stderr and "invalid choice" not in res.stderr
    bad = workdir / "ttl.toml"
    bad.write_text("[vk]\ngroup_id = 1\n[invites]\nttl_days = 400\n")
    res = run(["import-orgs", "x.csv"], workdir, env={"BOT_CONFIG": str(bad)})
    assert res.returncode == 2 and "[invites] ttl_days: должно быть не больше 365" in res.stderr
    res = run(["import-orgs", "nowhere.csv"], workdir)
    assert res.returncode == 1 and "nowhere.csv: файл не найден" in res.stderr and "Errno" not in res.stderr


def test_missing_config_and_token_stop_with_one_message(workdir: Path, cli) -> None:
    res = cli(["run", "--config", "nowhere.toml"], workdir)
    assert res.returncode == 2 and "nowhere.toml" in res.stderr and "Traceback" not in res.stderr
    res = cli(["run"], workdir)
    assert res.returncode == 2 and "VK_TOKEN" in res.stderr
    bad = workdir / "bad.toml"
    bad.write_text("[vk]\ngroup_id = 0\n")
    res = cli(["import-orgs", "x.csv"], workdir, env={"BOT_CONFIG": str(bad)})
    assert res.returncode == 2 and "[vk] group_id" in res.stderr


@pytest.mark.parametrize("setup, reason", [
    (lambda d: (d / "data").mkdir() or (d / "data" / "bot.sqlite3").write_text("не база"), "не база SQLite"),
    (lambda d: (d / "data").write_text("файл на месте папки"), "вместо папки файл"),
])
def test_an_unusable_database_stops_the_bot_at_once_with_one_russian_line(workdir: Path, setup, reason, cli) -> None:
    setup(workdir)
    for args in (["run"], ["import-orgs", "x.csv"]):
        res = cli(args, workdir, env={"VK_TOKEN": "t"}, timeout=30)  # a hang would time out here
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 1 and len(lines) == 1 and reason in lines[0], res.stderr
        assert lines[0].startswith("Не могу работать с базой данных") and "Traceback" not in res.stderr


def test_operator_flow_import_load_invite(workdir: Path, cli) -> None:
    res = cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir)
    assert res.returncode == 0 and "добавлено 20" in res.stdout, res.stderr
    res = cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir)
    assert "добавлено 0, изменено 0, без изменений 20" in res.stdout
    broken = workdir / "broken.csv"
    broken.write_text("id,region,municipality,timezone,organization,type\n1,Р,М,Mars/Base,Школа,school\n")
    res = cli(["import-orgs", str(broken)], workdir)
    assert res.returncode == 1 and f"{broken}:2:" in res.stderr
    res = cli(["load-roadmap", *map(str, sorted((ROOT / "roadmaps").glob("*.toml")))], workdir)
    assert res.returncode == 1 and "региона «Смоленская область» нет в справочнике" in res.stderr  # not imported
    res = cli(["load-roadmap", "--allow-unknown", *map(str, sorted((ROOT / "roadmaps").glob("*.toml")))], workdir)
    assert res.returncode == 0 and res.stdout.count("Загружена") == 2, res.stderr  # ntgo went in the first time
    bad_roadmap = workdir / "bad.toml"
    bad_roadmap.write_text((ROOT / "roadmaps" / "ntgo-2023.toml").read_text().replace('on = "fri"', 'on = "пт"'))
    res = cli(["load-roadmap", str(bad_roadmap)], workdir)
    assert res.returncode == 1 and f"{bad_roadmap}:19: form[0].on" in res.stderr
    res = cli(["invite", "municipality", "Нижнетуринский ГО"], workdir)
    assert res.returncode == 0, res.stderr
    code = res.stdout.strip().splitlines()[-1]
    assert len(code) == 11 and code[5] == "-"
    res = cli(["invite", "organization", "no-such-id"], workdir)
    assert res.returncode == 1 and "Не найдено" in res.stderr
    res = cli(["invite", "region", "Свердловская область"], workdir)
    assert res.returncode == 0


def test_run_stops_gracefully_on_sigterm(workdir: Path) -> None:
    """`run` against a vkemu process: answers, then SIGTERM stops it cleanly."""
    from testkit.processes import vkemu_process

    with vkemu_process(rate_limit=20) as base:
        (workdir / "config.toml").write_text(
            f'[vk]\ngroup_id = 1\napi_url = "{base}/method/"\n[storage]\npath = "bot.sqlite3"\n')
        env = {k: v for k, v in os.environ.items() if k != "BOT_CONFIG"}
        env.update({"VK_TOKEN": "vkemu-token", "PYTHONPATH": str(ROOT)})
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            import json
            import urllib.request

            def control(action: str, body: dict) -> object:
                req = urllib.request.Request(f"{base}/control/{action}", data=json.dumps(body).encode())
                return json.loads(urllib.request.urlopen(req, timeout=5).read())

            deadline = time.monotonic() + 20
            record: list = []
            while time.monotonic() < deadline and not record:
                control("say", {"user_id": 42, "text": "привет"})
                time.sleep(0.5)
                record = control("record", {"peer_id": 42})  # type: ignore[assignment]
            assert record and "Здравствуйте" in record[0]["text"]
            # a second bot on the same database is refused at once, and the first goes on
            second = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=workdir, env=env,
                                    capture_output=True, text=True, timeout=30)
            assert second.returncode == 1 and "уже запущен" in second.stderr, second.stderr
            # …and so is one on a hard link or a copy of it (keyed by the path alone, both had run: every message
            # answered twice), before it writes anything through its own path
            os.link(workdir / "bot.sqlite3", workdir / "link.sqlite3")
            shutil.copy(workdir / "bot.sqlite3", workdir / "copy.sqlite3")
            for name in ("link.sqlite3", "copy.sqlite3"):
                other = workdir / name.replace(".sqlite3", "")
                other.mkdir()
                (other / "config.toml").write_text(
                    f'[vk]\ngroup_id = 1\napi_url = "{base}/method/"\n[storage]\npath = "{workdir / name}"\n')
                beside = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=other, env=env,
                                        capture_output=True, text=True, timeout=30)
                assert beside.returncode == 1 and "копии или жёсткой ссылке" in beside.stderr, beside.stderr
                assert not (workdir / f"{name}-wal").exists()  # refused before it opened the database
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "bot stopped" in err
        assert "vkemu-token" not in err  # the token is never logged


def test_sandbox_console(tmp_path: Path) -> None:
    script = ":as 300\nпривет\n:as 100\n/help\n:4\n:chat\n/bind\n@sferum_roadmap /bind\n:as 201\n:pm\n/report\n:quit\n"
    res = run(["sandbox", "--db", str(tmp_path / "sb.sqlite3")], tmp_path, stdin=script)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "код приглашения" in out and "Здравствуйте!" in out
    assert "[2] Коды приглашений" in out and "Роли:" in out
    assert "Беседа привязана" in out
    assert "Вопрос 1 из 2" in out  # the demo roadmap runs now, so an admin can report


def test_export_command_writes_xlsx(workdir: Path, cli) -> None:
    import openpyxl

    assert cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir).returncode == 0
    text = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8")
    text = text.replace("starts = 2023-08-01", "starts = 2020-01-01").replace("ends = 2023-12-30", "ends = 2030-12-31")
    (workdir / "rm.toml").write_text(text, encoding="utf-8")
    assert cli(["load-roadmap", "rm.toml"], workdir).returncode == 0
    res = cli(["export", "--scope", "Нижнетуринский ГО", "--out", "t.xlsx"], workdir)
    assert res.returncode == 1
    # nobody has reported: the operator is told so instead of getting an empty table
    assert "ещё никто не сдал отчёт" in res.stderr and not (workdir / "t.xlsx").exists()
    (workdir / "f.csv").write_text("id;staff_total;staff_active\n6624000001;40;31\n", encoding="utf-8")
    assert cli(["import-figures", "f.csv", "--apply"], workdir).returncode == 0
    res = cli(["export", "--scope", "Нижнетуринский ГО", "--out", "t.xlsx"], workdir)
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(workdir / "t.xlsx")
    cover = {r[0]: r[1] for r in wb["Титульный лист"].iter_rows(min_row=3, values_only=True)}
    assert cover["Кем"] == "оператор (командная строка)"
    rows = list(wb["Еженедельный мониторинг Сферума"].iter_rows(values_only=True))
    school = next(r for r in rows if r[1] == "6624000001")
    assert school[4:6] == (40, 31) and school[-1] == "из файла f.csv"
    assert cli(["export", "--scope", "Нигде"], workdir).returncode == 1


def test_import_figures_dry_run_then_apply(workdir: Path, cli) -> None:
    assert cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir).returncode == 0
    assert cli(["load-roadmap", str(ROOT / "roadmaps" / "ntgo-2023.toml")], workdir).returncode == 0
    (workdir / "stats.csv").write_text("id;staff_total;staff_active\n6624000001;40;31\n6624000002;35;20\n",
                                       encoding="utf-8")
    dry = cli(["import-figures", "stats.csv", "--period", "20.10.2023"], workdir)
    assert dry.returncode == 0, dry.stderr
    assert "новых отчётов 2" in dry.stdout and dry.stdout.rstrip().endswith("повторите с --apply.")
    done = cli(["import-figures", "stats.csv", "--period", "20.10.2023", "--apply"], workdir)
    assert done.returncode == 0 and "Записано из файла «stats.csv»: новых отчётов 2, изменённых 0." in done.stdout
    again = cli(["import-figures", "stats.csv", "--period", "20.10.2023", "--apply"], workdir)
    assert again.returncode == 0 and "менять нечего" in again.stdout and "Записано" not in again.stdout
    (workdir / "bad.csv").write_text("id;staff_total\n6624000001;сорок\n", encoding="utf-8")
    bad = cli(["import-figures", "bad.csv", "--period", "20.10.2023", "--apply"], workdir)
    assert bad.returncode == 1 and "строка 2" in bad.stdout and "Записано" not in bad.stdout
    assert cli(["import-figures", "stats.csv", "--period", "2023-10-20"], workdir).returncode == 2
    assert cli(["import-figures", "nowhere.csv"], workdir).returncode == 1


def test_remove_org_says_what_happens_then_does_it_and_an_import_brings_it_back(workdir: Path, cli) -> None:
    assert cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir).returncode == 0
    res = cli(["invite", "organization", "6624000003"], workdir)
    assert res.returncode == 0
    preview = cli(["remove-org", "6624000003"], workdir)
    assert preview.returncode == 0 and "МАОУ СОШ № 3" in preview.stdout and "Ничего не изменено" in preview.stdout
    assert "администраторов: 0" in preview.stdout and "отчётов: 0" in preview.stdout
    done = cli(["remove-org", "6624000003", "--yes"], workdir)
    assert done.returncode == 0 and done.stdout.startswith("Организация удалена из справочника.")
    again = cli(["remove-org", "6624000003", "--yes"], workdir)
    assert again.returncode == 1 and "нет" in again.stdout
    refused = cli(["invite", "organization", "6624000003"], workdir)
    assert refused.returncode != 0
    assert cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir).returncode == 0
    assert cli(["invite", "organization", "6624000003"], workdir).returncode == 0


def test_sandbox_with_an_operators_roadmap(tmp_path: Path, cli) -> None:
    """`sandbox --roadmap FILE`: the operator's own roadmap beside the demo, moved to this school year."""
    region = str(ROOT / "tests" / "fixtures" / "region-2025.toml")
    res = cli(["sandbox", "--db", str(tmp_path / "sb.sqlite3"), "--roadmap", region], tmp_path,
              stdin=":quit\n")
    assert res.returncode == 0, res.stderr
    # a calendar-year plan is moved to the year it runs in now, so its forms ask something today
    moved = re.search(r"Загружена дорожная карта .*region-2025\.toml: «.+», 01\.01\.(\d{4})–31\.12\.(\d{4})", res.stdout)
    assert moved and moved[1] == moved[2] == str(date.today().year), res.stdout
    missing = cli(["sandbox", "--db", str(tmp_path / "sb2.sqlite3"), "--roadmap", str(tmp_path / "нет.toml")],
                  tmp_path, stdin=":quit\n")
    assert missing.returncode == 1 and "нет.toml не загружена: файл не найден" in missing.stderr


async def test_setup_max_checks_the_token_and_lists_what_is_done_by_hand(tmp_path, capsys) -> None:
    from bot import cli
    from bot.config import parse_config
    from maxemu.emulator import Emulator as MaxEmulator
    from maxemu.server import MaxEmulatorServer

    emu = MaxEmulator(token="good")
    async with MaxEmulatorServer(emu) as server:
        config = parse_config(f'[vk]\ngroup_id = 1\n[max]\napi_url = "{server.api_url}"\n'
                              f'[storage]\npath = "{tmp_path / "b.sqlite3"}"\n')
        assert await cli.setup_max(config, "good") == 0
        out = capsys.readouterr().out
        assert "@sferum_roadmap_bot" in out and "токен действует" in out and "АДМИНИСТРАТОРОМ" in out
        # the «/» hint is the command table's: what MAX offers is what the bot understands
        names = [c["name"] for c in emu.commands]
        assert {"start", "report", "status", "help", "cancel"} <= set(names) and len(names) <= 32
        assert all(n.isascii() and not n.startswith("/") for n in names)
        status = next(c["description"] for c in emu.commands if c["name"] == "status")
        assert status == "сводка по территории (или по своей организации)"
        assert all(len(c["description"]) <= 128 and "`" not in c["description"] for c in emu.commands)
        assert "/status" in out and "при вводе «/»" in out
        assert await cli.setup_max(config, "wrong") == 1
        assert "токен бота неверен" in capsys.readouterr().err
    no_max = parse_config(f'[vk]\ngroup_id = 1\n[storage]\npath = "{tmp_path / "b.sqlite3"}"\n')
    assert await cli.setup_max(no_max, "good") == 2


def test_a_max_token_in_the_file_is_refused() -> None:
    import pytest

    from bot.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as e:
        parse_config('[vk]\ngroup_id = 1\n[max]\ntoken = "secret"\n')
    assert "MAX_TOKEN" in str(e.value)


def test_sandbox_console_for_max(tmp_path: Path, cli) -> None:
    """`sandbox --messenger max`: the same demo through maxemu — a newcomer, a coordinator's summary and a button,
    the chat (the bot its admin) bound with a plain /bind, an admin's report started from the menu button."""
    script = (":as 300\nпривет\n:as 100\n/status\n:1\n:chat\n/bind\n/status\n:as 201\n:pm\n/report\n:quit\n")
    res = cli(["sandbox", "--messenger", "max", "--db", str(tmp_path / "sb.sqlite3")], tmp_path, stdin=script,
              timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "эмулятор MAX" in out and "код приглашения" in out and "Здравствуйте!" in out
    assert "Сводка «Еженедельный мониторинг Сферума»" in out and "[1] Кто не сдал" in out
    assert "Кто не сдал — Нижнетуринский ГО" in out
    assert "Беседа привязана" in out and "Как в MAX" in out
    assert "Вопрос 1 из 2" in out


def test_no_operator_command_prints_a_traceback_or_the_journal(workdir: Path, cli) -> None:
    """Each command with what a tired operator types — a missing path, a bad date, an unknown scope, a folder that
    does not exist — answers one Russian line and no traceback; the journal (migrations applied) goes to the log
    file beside the database, not among the results."""
    first = cli(["import-orgs", str(ROOT / "directory" / "ntgo-demo.csv")], workdir)
    assert first.returncode == 0 and first.stderr == "" and "migration" not in first.stdout
    assert "applied migration" in (workdir / "data" / "bot.log").read_text(encoding="utf-8")
    assert cli(["load-roadmap", str(ROOT / "roadmaps" / "ntgo-2023.toml")], workdir).returncode == 0
    cases = [
        (["import-orgs", "нет.csv"], "файл не найден"),
        (["load-roadmap", "нет.toml"], "файл не найден"),
        (["import-figures", "нет.xlsx"], "файл не найден"),
        (["import-figures", str(ROOT / "directory" / "ntgo-demo.csv"), "--period", "31.02.2023"], "ДД.ММ.ГГГГ"),
        (["export", "--scope", "Атлантида"], "Не найдено"),
        (["export", "--scope", "Нижнетуринский ГО", "--period", "тридцатое"], ""),
        (["invite", "municipality", "Атлантида"], ""),
        (["remove-org", "0000000000", "--yes"], ""),
        (["run-job", "summaries", "--at", "вчера"], "не понимаю момент"),
    ]
    for args, said in cases:
        got = cli(args, workdir)
        assert got.returncode != 0, args
        assert "Traceback" not in got.stderr + got.stdout and "Error" not in got.stderr, (args, got.stderr)
        assert said in got.stderr + got.stdout and re.search("[а-яА-Я]", got.stderr + got.stdout), (args, got)
    # a folder that does not exist for the workbook; a moment on the region's clock, said back the same way
    exported = cli(["export", "--scope", "Нижнетуринский ГО", "--out", "/нет/такой/папки/x.xlsx"], workdir)
    assert "Traceback" not in exported.stderr and exported.returncode in (1,), exported.stderr
    # «Регион/Муниципалитет», as `invite` takes it, names the territory for `export` too
    named = cli(["export", "--scope", "Свердловская область/Нижнетуринский ГО", "--period", "20.10.2023"], workdir)
    assert "Не найдено" not in named.stderr and "ещё никто не сдал" in named.stderr, named.stderr
    assert "— в /status." not in named.stderr and "сводке бота" in named.stderr  # said for the command line
    (workdir / "no-code.csv").write_text("школа;staff_total\n1;2\n", encoding="utf-8")
    refused = cli(["import-figures", "no-code.csv"], workdir)
    assert "python -m bot export" in refused.stdout + refused.stderr, refused
    job = cli(["run-job", "form-reminders", "--at", "20.10.2023 10:00"], workdir)
    assert job.returncode == 0 and "за 20.10.2023 10:00 МСК" in job.stdout, job.stdout


def test_an_unexpected_failure_is_one_russian_line_and_the_details_go_to_the_journal(workdir: Path, monkeypatch,
                                                                                     capsys) -> None:
    from loguru import logger

    import bot.__main__ as entry

    async def broken(*_args: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.chdir(workdir)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    monkeypatch.setattr(entry.cli, "invite", broken)
    try:
        assert entry.main(["invite", "region", "Свердловская область"]) == 1
    finally:
        logger.remove()
        logger.add(sys.stderr)
    err = capsys.readouterr().err
    assert err.startswith("Команда не выполнена: неожиданная ошибка (RuntimeError)") and "Traceback" not in err
    journal = (workdir / "data" / "bot.log").read_text(encoding="utf-8")
    assert "Traceback" in journal and "disk on fire" in journal


def test_sandbox_every_role_and_its_clock(tmp_path: Path, cli) -> None:
    """The sandbox has every role — the region's coordinator and the owner too — and `:время` moves its clock to a
    Friday morning: the reminders due then are sent and shown, to whom they went."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Yekaterinburg")).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    while (friday.month, friday.day) >= (12, 25) or friday.month == 1 and friday.day <= 10:
        friday += timedelta(days=7)  # clear of the New Year holidays, when reminders move to another day
    script = (":as 400\n/status\n:as 1\n/whoami\n:as 100\n"
              f":время {friday:%d.%m.%Y} 10:05\n:время завтра\n:quit\n")
    res = cli(["sandbox", "--db", str(tmp_path / "sb.sqlite3")], tmp_path, stdin=script, timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "400: Иван Орлов — региональный координатор" in out and "1: Пётр Захаров — владелец бота" in out
    assert "Нет такого пользователя" not in out
    assert "Свердловская область" in out  # the region's /status
    assert "владелец бота" in out.split(":as 1", 1)[-1] or "владел" in out
    assert f"Часы песочницы: {friday:%d.%m.%Y} 10:05" in out and "Выполнено заданий:" in out
    assert "Напоминание: отчёт" in out or "Пришло и другим:" in out, out[-2000:]
    assert "Укажите момент по часам муниципалитета" in out
