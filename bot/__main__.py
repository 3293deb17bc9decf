"""python -m bot: a thin entry point. Parses arguments and calls the same services as the bot."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loguru import logger

from .config import Config, ConfigError, config_path, load_config, vk_token
from .directory import DirectoryError
from .roadmap import RoadmapError

ROLES = {"region": "региональный координатор", "municipality": "муниципальный координатор",
         "organization": "администратор организации"}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="файл настроек (по умолчанию $BOT_CONFIG или ./config.toml)")
    parser = argparse.ArgumentParser(
        prog="python -m bot", parents=[common],
        description="Бот дорожной карты Сферума. Без команды: run, если задан VK_TOKEN, иначе sandbox.")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    run = sub.add_parser("run", parents=[common], help="запустить бота (Bots Long Poll, [vk].api_url)",
                         description="Запустить бота: long polling к [vk].api_url с ключом из VK_TOKEN.")
    run.add_argument("--clock-shift-days", type=int, default=0, metavar="N",
                     help="только для репетиций с эмулятором: бот живёт на N дней вперёд (напоминания, периоды)")
    sb = sub.add_parser("sandbox", parents=[common], help="песочница: эмулятор VK и консоль, без сообщества",
                        description="Песочница: эмулятор VK в этом процессе, демо-данные и консоль, "
                                    "где вы пишете боту от имени выбранного пользователя.")
    sb.add_argument("--db", metavar="PATH", default="data/sandbox.sqlite3",
                    help="база песочницы (создаётся заново при каждом запуске)")
    imp = sub.add_parser("import-orgs", parents=[common], help="загрузить справочник организаций (CSV)",
                         description="Загрузить справочник: регионы, муниципалитеты, организации. "
                                     "Файл с ошибкой не загружается целиком.")
    imp.add_argument("file", metavar="FILE.csv")
    lr = sub.add_parser("load-roadmap", parents=[common], help="загрузить или обновить дорожную карту (TOML)",
                        description="Проверить и загрузить дорожную карту. Файл с ошибкой не загружается; "
                                    "повторная загрузка обновляет карту, не теряя сданных данных.")
    lr.add_argument("file", metavar="FILE.toml", nargs="+")
    inv = sub.add_parser("invite", parents=[common], help="выпустить код приглашения",
                         description="Выпустить одноразовый код приглашения и напечатать его.")
    inv.add_argument("role", choices=list(ROLES), metavar="ROLE", help="region | municipality | organization")
    inv.add_argument("scope", metavar="SCOPE",
                     help="название региона или муниципалитета как в справочнике, или id организации")
    job = sub.add_parser("run-job", parents=[common], help="выполнить задание расписания вручную",
                         description="Выполнить задание расписания за указанный момент (например, повторить "
                                     "пропущенную пятницу). Повторный запуск за тот же момент ничего не дублирует. "
                                     "Сообщения ставятся в очередь; их отправит работающий бот или --send.")
    job.add_argument("job", choices=["form-reminders", "summaries", "item-reminders", "overdue", "tick"],
                     metavar="JOB", help="form-reminders | summaries | item-reminders | overdue | tick")
    job.add_argument("--at", metavar="ISO-8601", default=None,
                     help="момент, например 2023-10-20T10:00+05:00 (по умолчанию — сейчас)")
    job.add_argument("--send", action="store_true", help="сразу отправить очередь (нужен VK_TOKEN)")
    exp = sub.add_parser("export", parents=[common], help="выгрузить таблицу Excel по организациям",
                         description="Таблица по организациям территории за период: все показатели, "
                                     "проценты целей, когда сдано, отметка о позднем отчёте.")
    exp.add_argument("--scope", required=True, metavar="ТЕРРИТОРИЯ",
                     help="муниципалитет или регион как в справочнике, или «все»")
    exp.add_argument("--period", default="", metavar="ДД.ММ.ГГГГ", help="дата срока периода (по умолчанию текущий)")
    exp.add_argument("--out", default=None, metavar="FILE.xlsx", help="куда записать (по умолчанию в текущую папку)")
    return parser


def _setup_logging() -> None:
    logger.remove()
    logger.add(sys.stderr, level=os.environ.get("LOG_LEVEL", "INFO"))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging()
    command = args.command or ("run" if os.environ.get("VK_TOKEN") else "sandbox")
    try:
        if command == "sandbox":
            from .sandbox import run_sandbox

            return asyncio.run(run_sandbox(Path(args.db) if "db" in args else Path("data/sandbox.sqlite3")))
        config = load_config(config_path(getattr(args, "config", None)))
        if command == "run":
            return asyncio.run(_run(config, vk_token(), getattr(args, "clock_shift_days", 0)))
        if command == "import-orgs":
            return asyncio.run(_import_orgs(config, Path(args.file)))
        if command == "load-roadmap":
            return asyncio.run(_load_roadmaps(config, [Path(f) for f in args.file]))
        if command == "invite":
            return asyncio.run(_invite(config, args.role, args.scope))
        if command == "export":
            return asyncio.run(_export(config, args.scope, args.period, args.out))
        if command == "run-job":
            return asyncio.run(_run_job(config, args.job, args.at, args.send))
    except ConfigError as e:
        print(f"Ошибка настройки: {e}", file=sys.stderr)
        return 2
    return 0


async def _offline_app(config: Config):  # noqa: ANN202 - App, imported lazily to keep --help fast
    from .app import build_app

    return await build_app(config, token="")


async def _run(config: Config, token: str, clock_shift_days: int = 0) -> int:
    from .app import build_app

    clock = None
    if clock_shift_days:  # a rehearsal on a weekend still needs a working day's reminders
        shift = timedelta(days=clock_shift_days)
        logger.warning("the bot's clock runs {} days ahead", clock_shift_days)

        def clock() -> datetime:
            return datetime.now(UTC) + shift

    app = await build_app(config, token, clock=clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("bot started for group {}", config.vk.group_id)
    try:
        await app.run_polling(stop)
    finally:
        await app.close()
        logger.info("bot stopped")
    return 0


async def _import_orgs(config: Config, path: Path) -> int:
    app = await _offline_app(config)
    try:
        counts = await app.catalog.import_directory_file(path)
    except (DirectoryError, FileNotFoundError, UnicodeDecodeError) as e:
        problems = e.problems if isinstance(e, DirectoryError) else [f"{path}: {e}"]
        print("Справочник не загружен:", *problems, sep="\n", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(f"Справочник загружен: добавлено {counts.added}, изменено {counts.updated}, "
          f"без изменений {counts.unchanged}.")
    return 0


async def _load_roadmaps(config: Config, paths: list[Path]) -> int:
    app = await _offline_app(config)
    status = 0
    try:
        for path in paths:
            try:
                loaded = await app.catalog.load_roadmap_file(path)
            except RoadmapError as e:
                print(f"Дорожная карта {path} не загружена:", *e.problems, sep="\n", file=sys.stderr)
                status = 1
                continue
            except (FileNotFoundError, UnicodeDecodeError) as e:
                print(f"Дорожная карта {path} не загружена: {e}", file=sys.stderr)
                status = 1
                continue
            rm = loaded.roadmap
            print(f"{'Загружена' if loaded.created else 'Обновлена'} дорожная карта {rm.id}: "
                  f"форм {len(rm.form)}, целей {len(rm.target)}, пунктов {len(rm.item)}.")
    finally:
        await app.close()
    return status


async def _invite(config: Config, role: str, scope: str) -> int:
    app = await _offline_app(config)
    try:
        scope_id = await _resolve_scope(app, role, scope)
        if scope_id is None:
            print(f"Не найдено в справочнике: {ROLES[role]} «{scope}». Проверьте написание "
                  "(для организации — её id).", file=sys.stderr)
            return 1
        code, expires = await app.invites.create(role, scope_id, None, app.clock())
        label = await app.access.label(role, scope_id)
    finally:
        await app.close()
    print(f"Код приглашения ({ROLES[role]}, {label}), действует до {expires:%d.%m.%Y}, один раз:")
    print(code)
    return 0


async def _run_job(config: Config, job: str, at_text: str | None, send: bool) -> int:
    from datetime import UTC, datetime

    from .app import build_app

    try:
        at = datetime.fromisoformat(at_text) if at_text else datetime.now(UTC)
    except ValueError:
        print(f"--at: ожидается момент ISO-8601, например 2023-10-20T10:00+05:00, а не «{at_text}»", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        print("--at: укажите часовой пояс, например 2023-10-20T10:00+05:00", file=sys.stderr)
        return 2
    app = await build_app(config, vk_token() if send else "", schedule=False)
    try:
        if job == "tick":
            result = await app.jobs.tick(at)
            print(f"Выполнено заданий: {result.ran}, пропущено: {result.skipped}, "
                  f"сообщений в очереди: {result.queued}.")
        else:
            queued = await app.jobs.run_job(job, at)
            print(f"Задание {job} за {at.isoformat()}: сообщений поставлено в очередь: {queued}.")
        if send:
            done = await app.sender.drain(600)
            print("Очередь отправлена." if done else "Отправлено не всё: остаток отправит бот.")
    finally:
        await app.close()
    return 0


async def _export(config: Config, scope_name: str, period: str, out: str | None) -> int:
    app = await _offline_app(config)
    try:
        if scope_name.strip().lower() in ("все", "all"):
            scope = await app.status.scope("country", 0)
        else:
            region = await app.directory.region_by_name(scope_name.strip())
            munis = await app.directory.municipalities_by_name(scope_name.strip())
            scope = (await app.status.scope("region", region.id) if region else
                     await app.status.scope("municipality", munis[0].id) if len(munis) == 1 else None)
        if scope is None:
            print(f"Не найдено в справочнике: «{scope_name}».", file=sys.stderr)
            return 1
        made = await app.status.export(scope, app.clock(), period)
    finally:
        await app.close()
    if made is None:
        print("Нечего выгружать: нет действующей формы или период указан неверно.", file=sys.stderr)
        return 1
    data, name = made
    path = Path(out or name)
    path.write_bytes(data)
    print(f"Таблица записана: {path}")
    return 0


async def _resolve_scope(app, role: str, scope: str) -> str | None:  # noqa: ANN001
    if role == "organization":
        org = await app.directory.organization(scope.strip())
        return org.id if org else None
    if role == "region":
        region = await app.directory.region_by_name(scope.strip())
        return str(region.id) if region else None
    region_name, _, muni_name = scope.rpartition("/")
    munis = await app.directory.municipalities_by_name(muni_name.strip())
    if region_name:
        region = await app.directory.region_by_name(region_name.strip())
        munis = [m for m in munis if region and m.region_id == region.id]
    if len(munis) > 1:
        print("Муниципалитетов с таким названием несколько: укажите «Регион/Муниципалитет».", file=sys.stderr)
        return None
    return str(munis[0].id) if munis else None


if __name__ == "__main__":
    sys.exit(main())
