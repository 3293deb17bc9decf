"""python -m bot: a thin entry point. Parses arguments and calls `bot.cli`, which builds the app."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import re
import signal
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

# The collector is off while the app is imported: imports make hundreds of thousands of objects and no garbage, and
# collecting among them was a sixth of a start (1.29 s -> 1.10 s of CPU until `run` polls; vkbottle's ~1,500 pydantic
# models); `main` turns it back on with what was imported frozen, never scanned again, at exit either. Only as
# `python -m bot`: importing this module turns nothing off.
if __name__ == "__main__":
    gc.disable()

# A SIGTERM before `run` installs its own handlers (our imports take half a second on a loaded machine, and a
# supervisor may stop the bot at once) ends the process quietly with code 0, not killed with 143 mid-import. It waits
# until the imports are done: raised inside one, the exit came out of pydantic's schema building as a traceback.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

from loguru import logger  # noqa: E402

from bot import cli  # noqa: E402
from bot.config import Config, ConfigError, config_path, load_config, max_token, vk_token  # noqa: E402
from bot.words import operator  # noqa: E402
from storage.db import StorageUnusable  # noqa: E402

signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # a SIGTERM that came meanwhile ends it here

LEVELS = ("region", "municipality", "organization")


_ERRORS = [  # argparse's English, said in Russian (the operator reads it)
    (re.compile(r"the following arguments are required: (.+)"), "не указано: {0}"),
    (re.compile(r"argument (\S+): invalid choice: '?([^' ]*)'? \(choose from (.+)\)"), "{0}: нет варианта «{1}»; есть: {2}"),
    (re.compile(r"unrecognized arguments: (.+)"), "лишнее в команде: {0}"),
    (re.compile(r"argument (\S+): expected one argument"), "после {0} нужно значение"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), "{0}: недопустимое значение {2}"),
]
_HELP_WORDS = [("usage: ", "Использование: "), ("positional arguments:", "аргументы:"), ("options:", "параметры:"),
               ("show this help message and exit", "показать эту справку")]


class RussianParser(argparse.ArgumentParser):
    """argparse with its own words in Russian: errors, usage and the help's headings."""

    def format_usage(self) -> str:
        return _russian(super().format_usage())

    def format_help(self) -> str:
        return _russian(super().format_help())

    def error(self, message: str) -> NoReturn:
        for pattern, template in _ERRORS:
            m = pattern.search(message)
            if m:
                message = template.format(*m.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: ошибка: {message}\n")


def _russian(text: str) -> str:
    for english, russian in _HELP_WORDS:
        text = text.replace(english, russian)
    return text


def _parser() -> argparse.ArgumentParser:
    common = RussianParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="файл настроек (по умолчанию $BOT_CONFIG или ./config.toml)")
    parser = RussianParser(
        prog="python -m bot", parents=[common],
        description="Бот дорожной карты Сферума. Без команды: run, если задан VK_TOKEN, иначе sandbox.")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    run = sub.add_parser("run", parents=[common], help="запустить бота (Bots Long Poll, [vk].api_url)",
                         description="Запустить бота: long polling к [vk].api_url с ключом из VK_TOKEN.")
    run.add_argument("--clock-shift-days", type=float, default=0, metavar="N",
                     help="только для репетиций с эмулятором: бот живёт на N дней вперёд (напоминания, периоды; "
                          "можно дробное и отрицательное: -0.25 — на шесть часов назад)")
    sb = sub.add_parser("sandbox", parents=[common], help="песочница: эмулятор VK и консоль, без сообщества",
                        description="Песочница: эмулятор VK в этом процессе, демо-данные и консоль, "
                                    "где вы пишете боту от имени выбранного пользователя.")
    sb.add_argument("--db", metavar="PATH", default="data/sandbox.sqlite3",
                    help="база песочницы (создаётся заново при каждом запуске)")
    sb.add_argument("--roadmap", metavar="TOML", type=Path, action="append", default=[],
                    help="ещё одна дорожная карта рядом с демо (сдвигается на текущий учебный год); можно повторять")
    sb.add_argument("--messenger", choices=["vk", "max"], default="vk",
                    help="за какой мессенджер говорить в консоли: vk (по умолчанию) или max (эмулятор MAX)")
    imp = sub.add_parser("import-orgs", parents=[common], help="загрузить справочник организаций (CSV)",
                         description="Загрузить справочник: регионы, муниципалитеты, организации. "
                                     "Файл с ошибкой не загружается целиком.")
    imp.add_argument("file", metavar="FILE.csv")
    sub.add_parser("setup-max", parents=[common], help="проверить бота MAX (GET /me) и сказать, что сделать вручную",
                   description="Проверить токен бота MAX (переменная MAX_TOKEN) и напомнить, что делается вручную.")
    sub.add_parser("setup-community", parents=[common], help="проверить и настроить сообщество ВКонтакте",
                   description="Проверить ключ и настройки сообщества (сообщения, возможности ботов, беседы, "
                               "Bots Long Poll) и включить то, что выключено. Повторный запуск ничего не меняет.")
    rm = sub.add_parser("remove-org", parents=[common], help="удалить организацию из справочника",
                        description="Показать, что станет с администраторами и отчётами организации; "
                                    "с --yes удалить её из справочника (отчёты остаются в базе).")
    rm.add_argument("id", metavar="ID", help="id организации из справочника")
    rm.add_argument("--yes", action="store_true", help="да, удалить")
    lr = sub.add_parser("load-roadmap", parents=[common], help="загрузить или обновить дорожную карту (TOML)",
                        description="Проверить и загрузить дорожную карту. Файл с ошибкой не загружается; "
                                    "повторная загрузка обновляет карту, не теряя сданных данных.")
    lr.add_argument("file", metavar="FILE.toml", nargs="+")
    lr.add_argument("--allow-unknown", action="store_true",
                    help="загрузить, даже если регион или муниципалитет ещё не в справочнике")
    inv = sub.add_parser("invite", parents=[common], help="выпустить код приглашения",
                         description="Выпустить одноразовый код приглашения и напечатать его.")
    inv.add_argument("role", choices=LEVELS, metavar="ROLE", help="region | municipality | organization")
    inv.add_argument("scope", metavar="SCOPE",
                     help="название региона или муниципалитета как в справочнике, или id организации")
    job = sub.add_parser("run-job", parents=[common], help="выполнить задание расписания вручную",
                         description="Выполнить задание расписания за указанный момент (например, повторить "
                                     "пропущенную пятницу). Повторный запуск за тот же момент ничего не дублирует. "
                                     "Сообщения ставятся в очередь; их отправит работающий бот или --send.")
    job.add_argument("job", choices=["form-reminders", "summaries", "item-reminders", "overdue", "tick"],
                     metavar="JOB", help="form-reminders | summaries | item-reminders | overdue | tick")
    job.add_argument("--at", metavar="ДД.ММ.ГГГГ ЧЧ:ММ", default=None,
                     help="момент по часам региона ([default_timezone]), например «20.10.2023 10:00», или ISO-8601 "
                          "с поясом (по умолчанию — сейчас)")
    job.add_argument("--send", action="store_true", help="сразу отправить очередь (нужен VK_TOKEN)")
    exp = sub.add_parser("export", parents=[common], help="выгрузить таблицу Excel по организациям",
                         description="Таблица по организациям территории за период: все показатели, "
                                     "проценты целей, когда сдано, отметка о позднем отчёте.")
    exp.add_argument("--scope", required=True, metavar="ТЕРРИТОРИЯ",
                     help="муниципалитет или регион как в справочнике, или «все»")
    exp.add_argument("--period", default="", metavar="ДД.ММ.ГГГГ", help="дата срока периода (по умолчанию текущий)")
    exp.add_argument("--out", default=None, metavar="FILE.xlsx", help="куда записать (по умолчанию в текущую папку)")
    fig = sub.add_parser("import-figures", parents=[common], help="загрузить цифры отчётов из файла (.xlsx, .csv)",
                         description="Столбцы: id организации и показатели формы (ключ, вопрос или короткое "
                                     "название). Без --apply только показывает, что изменится; файл с "
                                     "отклонёнными строками не применяется целиком.")
    fig.add_argument("file", metavar="FILE")
    fig.add_argument("--period", default="", metavar="ДД.ММ.ГГГГ", help="дата срока периода (по умолчанию текущий)")
    fig.add_argument("--apply", action="store_true", help="записать цифры в отчёты")
    bk = sub.add_parser("backup", parents=[common], help="сохранить копию базы (можно при работающем боте)",
                        description="Сохранить согласованную копию базы SQLite ([storage] path), не останавливая "
                                    "бота; копия проверяется, прежде чем лечь на место.")
    bk.add_argument("file", metavar="FILE")
    rs = sub.add_parser("restore", parents=[common], help="восстановить базу из копии (бот остановлен)",
                        description="Заменить базу копией, сделанной командой backup. Бот должен быть остановлен; "
                                    "текущая база сохраняется рядом.")
    rs.add_argument("file", metavar="FILE")
    rs.add_argument("--yes", action="store_true", help="да, заменить базу")
    return parser


def _quiet_libraries(record: dict) -> bool:
    """vkbottle's DEBUG lines carry whole requests and answers (names, ids, what people wrote): never kept."""
    return record["level"].no >= logger.level("INFO").no or not record["name"].startswith("vkbottle")


def _setup_logging() -> None:
    logger.remove()
    # diagnose=False: a traceback must not print local variables (names, VK ids) into the journal
    logger.add(sys.stderr, level=os.environ.get("LOG_LEVEL", "INFO"), diagnose=False,
               filter=_quiet_libraries)  # type: ignore[arg-type]


def _operator_logging(journal: Path) -> None:
    """An operator's command prints its Russian result only; the journal (migrations applied, a traceback) goes to
    a file beside the database — `run`'s journal is its supervisor's, on stderr."""
    logger.remove()
    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        logger.add(journal, level=os.environ.get("LOG_LEVEL", "INFO"), diagnose=False,
                   filter=_quiet_libraries)  # type: ignore[arg-type]
    except OSError:
        pass  # no journal where the database is not writable either: the command says why itself


def _run(command: Coroutine[Any, Any, int]) -> int:
    """asyncio.run, after which SIGTERM is ignored: the loop, closing, puts SIGTERM back to its default (death by the
    signal, 143), and the command's outcome is decided by then — a SIGTERM while the process prints it and exits
    must not overwrite it."""
    try:
        return asyncio.run(command)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _collector_on(command: str) -> None:
    """The modules `command` will import, imported while the collector is still off; then on, with them frozen."""
    if gc.isenabled():
        return  # `main` called in a process of its own making (a test): its collector is its own
    if command in cli.COMMAND_MODULES:
        importlib.import_module(cli.COMMAND_MODULES[command])
    gc.freeze()
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging()
    command = args.command or ("run" if os.environ.get("VK_TOKEN") or os.environ.get("MAX_TOKEN") else "sandbox")
    _collector_on(command)
    try:
        if command == "sandbox":
            from bot.sandbox import run_sandbox

            try:
                return _run(run_sandbox(Path(args.db) if "db" in args else Path("data/sandbox.sqlite3"),
                                        getattr(args, "roadmap", []), getattr(args, "messenger", "vk")))
            except KeyboardInterrupt:
                print("\nПесочница остановлена.")
                return 0
        config = load_config(config_path(getattr(args, "config", None)))
        if command == "run":
            return _run(cli.run(config, vk_token() if config.vk is not None else "",
                                getattr(args, "clock_shift_days", 0)))
        journal = Path(config.storage.path).with_suffix(".log")
        _operator_logging(journal)
        try:
            return _operator(command, args, config)
        except (ConfigError, StorageUnusable, KeyboardInterrupt):
            raise
        except Exception as e:  # no traceback for the operator: one Russian line, the details in the journal
            logger.opt(exception=e).error("the command {} failed", command)
            print(operator.CLI_FAILED.format(kind=type(e).__name__, journal=journal), file=sys.stderr)
            return 1
    except ConfigError as e:
        print(f"Ошибка настройки: {e}", file=sys.stderr)
        return 2
    except StorageUnusable as e:
        hint = operator.STORAGE_HINT_PG if str(e.path).startswith("postgresql://") else operator.STORAGE_HINT_FILE
        print(operator.STORAGE_UNUSABLE.format(path=e.path, reason=e.reason, hint=hint), file=sys.stderr)
        return 1


def _operator(command: str, args: argparse.Namespace, config: Config) -> int:
    """The operator's commands (everything but `run` and `sandbox`)."""
    if command == "import-orgs":
        return _run(cli.import_orgs(config, Path(args.file)))
    if command == "setup-max":
        return _run(cli.setup_max(config, max_token()))
    if command == "setup-community":
        return _run(cli.setup_community(config, vk_token()))
    if command == "remove-org":
        return _run(cli.remove_org(config, args.id, args.yes))
    if command == "load-roadmap":
        return _run(cli.load_roadmaps(config, [Path(f) for f in args.file], args.allow_unknown))
    if command == "invite":
        return _run(cli.invite(config, args.role, args.scope))
    if command == "export":
        return _run(cli.export(config, args.scope, args.period, args.out))
    if command == "import-figures":
        return _run(cli.import_figures(config, Path(args.file), args.period, args.apply))
    if command == "run-job":
        return _run(cli.run_job(config, args.job, args.at, args.send))
    if command == "backup":
        return cli.backup_db(config, Path(args.file))
    if command == "restore":
        return cli.restore_db(config, Path(args.file), args.yes, datetime.now(UTC))
    return 0


if __name__ == "__main__":
    sys.exit(main())
