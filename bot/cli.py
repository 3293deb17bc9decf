"""What `python -m bot` runs: each command builds the app and calls the same services as the bot."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from loguru import logger

from bot.config import Config, file_problem, max_token, max_webhook_secret, vk_callback_secret, vk_token
from bot.core import Clock, Core, bootstrap
from bot.domain.directory_csv import DirectoryError
from bot.domain.roadmap import RoadmapError
from bot.words import operator, texts
from bot.words.format import fmt_time
from storage.backup import BackupError, backup, restore
from storage.db import describe, peek_installation
from storage.lock import AlreadyRunning, InstanceLock
from storage.reports import OPERATOR

if TYPE_CHECKING:
    from bot.app import App
    from bot.max.api import MaxApi


# What a command imports before it does anything, beyond what `python -m bot` imports for every command: the
# messengers' adapters for the bot and its jobs (an operator's command does without them), the sandbox's emulators
COMMAND_MODULES = {"sandbox": "bot.sandbox", "run": "bot.app", "run-job": "bot.app"}


async def run(config: Config, token: str, clock_shift_days: float = 0) -> int:
    # first of all: a SIGTERM while the app is still being built (imports, migrations: seconds on a loaded machine)
    # must stop it cleanly, not kill it with 143 before a handler exists
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    clock = None
    if clock_shift_days:  # a rehearsal on a weekend still needs a working day's reminders
        shift = timedelta(days=clock_shift_days)
        logger.warning("the bot's clock runs {} days ahead", clock_shift_days)

        def clock() -> datetime:
            return datetime.now(UTC) + shift

    if config.storage.url:  # PostgreSQL: any number of instances; the lease decides who serves (`_serve`)
        return await _serve(config, token, clock, stop, None)
    try:
        lock = InstanceLock.acquire(config.storage.path)
    except AlreadyRunning as running:
        print(f"Бот с базой {config.storage.path} уже запущен (процесс {running.owner or '?'}): второй экземпляр "
              "на той же базе отвечал бы людям дважды. Остановите первый или укажите другую базу.", file=sys.stderr)
        return 1
    installation = None
    try:
        known = peek_installation(config.storage.path)  # before anything is written through this path
        if known:
            installation = InstanceLock.acquire_installation(known, config.storage.path)
        return await _serve(config, token, clock, stop, installation)
    except AlreadyRunning as running:
        print(operator.ALREADY_RUNNING_COPY.format(path=config.storage.path, pid=running.owner or "?"), file=sys.stderr)
        return 1
    finally:
        if installation is not None:
            installation.release()
        lock.release()


async def _serve(config: Config, token: str, clock: Clock | None, stop: asyncio.Event,
                 installation: InstanceLock | None) -> int:
    from bot.app import build_app

    webhook = config.max is not None and bool(config.max.webhook_url)
    callback = config.vk is not None and bool(config.vk.callback_url)
    app = await build_app(config, token, clock=clock, max_token=max_token() if config.max is not None else None,
                          max_webhook_secret=max_webhook_secret() if webhook else "",
                          vk_callback_secret=vk_callback_secret() if callback else "")
    try:
        if installation is None and app.db.engine == "sqlite":  # a new database: its identity exists from now on
            installation = InstanceLock.acquire_installation(await app.db.installation(), config.storage.path)
    except AlreadyRunning:
        await app.close()
        raise
    try:
        if app.db.engine == "postgres":
            # behind the webhooks every instance takes updates (each is claimed once, one person's in turn); the
            # lease holder alone polls, sends and runs the schedule; a standby's /healthz and /metrics answer too
            if app.web is not None:
                await app.web.start()
            if not await _wait_for_lease(app, stop):
                if app.web is not None:
                    await app.web.stop()
                await app.close()
                return 0
            watch = asyncio.create_task(_hold_lease(app, stop))
            try:
                served = await _serve_app(app, config, stop)
            finally:
                stop.set()  # (the watch ends with the serving, however that ended)
                lost = await watch
            return 1 if lost else served
        return await _serve_app(app, config, stop)
    finally:
        if installation is not None:
            installation.release()


LEASE_RETRY_S = 0.5  # a standby's try is one cheap query; it had been 2 s, and a restarted process, quick to
# start with its bytecode cached, took the lease before the standby (the failover test saw it once in 12 kills)


async def _hold_lease(app: App, stop: asyncio.Event) -> bool:
    """While serving: the lease is renewed every second (storage/pg.py `renew_lease`). If it cannot be — refused,
    unanswered, or this instance's connection lost — a standby may serve soon or already, so this instance stops at
    once (its supervisor starts it again, as a standby or the holder). True: it stopped for that."""
    while not stop.is_set() and not app.closing:
        # the main connection closed, or the lease's renewal refused or unanswered (a silent network: a standby
        # ends this lease after storage.pg.LEASE_TTL_S, so this instance must be gone before that)
        if app.db.conn.is_closed() or not await app.db.renew_lease():  # type: ignore[attr-defined]
            if app.closing or stop.is_set():
                break
            logger.error("the lease could not be renewed (the connection to PostgreSQL is lost or silent): stopping")
            print(operator.LEASE_LOST, file=sys.stderr)
            stop.set()
            return True
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass
    return False


async def _wait_for_lease(app: App, stop: asyncio.Event) -> bool:
    """PostgreSQL: one instance serves (polls, sends, runs the schedule) under the lease; another started beside it
    waits as a standby and takes over within LEASE_RETRY_S of the holder's end. False: stopped while waiting."""
    told = False
    while not stop.is_set():
        if await app.db.take_lease(app.instance):  # type: ignore[attr-defined]
            if told:
                logger.warning("the lease is ours: this instance serves now")
            return True
        if not told:
            holder = await app.db.lease_holder()  # type: ignore[attr-defined]
            logger.warning("another instance ({}) serves this database; this one waits as a standby", holder)
            print(operator.STANDBY.format(holder=holder or "?"), file=sys.stderr)
            told = True
        try:
            await asyncio.wait_for(stop.wait(), LEASE_RETRY_S)
        except TimeoutError:
            pass
    return False


async def _serve_app(app: App, config: Config, stop: asyncio.Event) -> int:
    from bot.max.api import TRANSIENT_EXCEPTIONS as MAX_TRANSIENT
    from bot.max.api import MaxError, tls_refused
    from bot.vk.community import Callback, CommunityUnusable, refusal, wait_for_vk

    if app.max is not None:
        try:
            me = await app.max.me()
            logger.info("MAX bot @{} is served too", me.get("username"))
        except MaxError as e:
            print(f"MAX отказал ({e.status} {e.code}): {max_refusal(e)}", file=sys.stderr)
            await app.close()
            return 1
        except MAX_TRANSIENT as e:
            if tls_refused(e):  # not a passing fault: it will not pass by itself
                print(operator.MAX_TLS_REFUSED.format(url=config.max.api_url if config.max else ""), file=sys.stderr)
                return 1
            logger.warning("MAX is unreachable now; the bot keeps trying it while serving VK")
    try:
        if config.vk is not None and app.api is not None:
            try:
                callback = Callback(config.vk.callback_url, vk_callback_secret()) if config.vk.callback_url else None
                report = await wait_for_vk(app.api, config.vk.group_id, stop, callback)
            except CommunityUnusable as e:
                print(f"{e}.", file=sys.stderr)
                return 1
            if report is None:
                return 0  # stopped while VK was unreachable
            if report.problems:
                print(refusal(report), file=sys.stderr)
                return 1
            logger.info("bot started for group {}", config.vk.group_id)
        else:
            logger.info("bot started for MAX only")
        await app.run_polling(stop)
    finally:
        await app.close()
        logger.info("bot stopped")
    return 0


async def setup_community(config: Config, token: str) -> int:
    """Check the community's settings, change what is wrong, and print the checklist."""
    if config.vk is None:
        print("В config.toml нет раздела [vk]: сообщества ВКонтакте у этой установки нет.", file=sys.stderr)
        return 2

    from bot.vk.api import TRANSIENT_EXCEPTIONS, VKAPIError, connect
    from bot.vk.community import Callback, CommunityUnusable, inspect, render

    api = connect(token, config.vk.api_url, config.vk.requests_per_second)
    try:
        callback = Callback(config.vk.callback_url, vk_callback_secret()) if config.vk.callback_url else None
        fixed = await inspect(api, config.vk.group_id, fix=True, callback=callback)
        after = await inspect(api, config.vk.group_id, callback=callback)
    except CommunityUnusable as e:
        print(f"{e}.", file=sys.stderr)
        return 1
    except VKAPIError as e:
        print(f"ВКонтакте отказал (ошибка {e.code}): {e.error_msg}.", file=sys.stderr)
        return 1
    except (*TRANSIENT_EXCEPTIONS, ValueError) as e:
        print(f"ВКонтакте недоступен ({type(e).__name__}); проверьте сеть и [vk] api_url и повторите.", file=sys.stderr)
        return 1
    finally:
        await api.http_client.close()
    print(render(fixed, fixed=True))
    return 0 if not after.problems else 1


def max_refusal(e: Exception) -> str:
    if getattr(e, "code", "") == "deprecated.token":
        return "MAX больше не принимает токен в адресе запроса — обновите бота."
    if getattr(e, "status", 0) == 401 or getattr(e, "code", "") == "verify.token":  # MAX answers a bad token 403
        return "токен бота неверен или отозван — возьмите новый на business.max.ru («Чат-боты → Интеграция») и задайте MAX_TOKEN."
    return "проверьте [max] api_url и токен."


async def setup_max(config: Config, token: str) -> int:
    """`GET /me` with the bot's token, its subscription and «/» hint made what config.toml and the command table
    say, then what only a person can do in MAX."""
    from bot.max.api import TRANSIENT_EXCEPTIONS, MaxApi, MaxError, tls_refused

    if config.max is None:
        print("В config.toml нет раздела [max]: добавьте его (см. README, «MAX»).", file=sys.stderr)
        return 2
    api = MaxApi(token, config.max.api_url, config.max.requests_per_second, ca_file=config.max.ca_file)
    secret = max_webhook_secret() if config.max.webhook_url else ""
    try:
        me = await api.request("GET", "/me")
        said = await _subscriptions(api, config.max.webhook_url, secret)
        said.append(await _commands(api))
    except MaxError as e:
        print(f"MAX отказал ({e.status} {e.code}): {max_refusal(e)}", file=sys.stderr)
        return 1
    except TRANSIENT_EXCEPTIONS as e:
        if tls_refused(e):
            print(operator.MAX_TLS_REFUSED.format(url=config.max.api_url), file=sys.stderr)
            return 1
        print(f"MAX недоступен ({type(e).__name__}); проверьте сеть и [max] api_url и повторите.", file=sys.stderr)
        return 1
    finally:
        await api.close()
    print(f"Бот MAX: {me.get('first_name') or me.get('name')} (@{me.get('username')}), id {me.get('user_id')} — "
          "токен действует.")
    for line in said:
        print(line)
    print("Сделайте вручную:")
    for line in MAX_CHECKLIST:
        print(f"  – {line}")
    return 0


async def _commands(api: MaxApi) -> str:
    """The commands MAX offers when a person types «/» in the bot's dialog (PATCH /me/commands): the command table's
    own, so the hint and what the bot understands never differ."""
    from handlers.commands import COMMANDS
    from handlers.table import slash_hints

    hints = slash_hints(COMMANDS)
    await api.request("PATCH", "/me/commands", None, {"commands": [{"name": n, "description": d} for n, d in hints]})
    return f"Подсказка команд MAX (при вводе «/»): {', '.join('/' + n for n, _ in hints)}."


async def _subscriptions(api: MaxApi, webhook_url: str, secret: str) -> list[str]:
    """MAX sends updates either to one webhook or to a poller, never both (its document): the bot's subscription is
    made what config.toml says — the webhook_url subscribed with the secret, any other removed (a forgotten one had
    silently starved the poller)."""
    from bot.max.side import TYPES

    said = []
    existing = (await api.request("GET", "/subscriptions")).get("subscriptions") or []
    for sub in existing:
        if sub.get("url") != webhook_url:
            await api.request("DELETE", "/subscriptions", {"url": sub.get("url", "")})
            said.append(f"Удалена подписка на события: {sub.get('url')} — события шли туда, а не этому боту.")
    if webhook_url:
        await api.request("POST", "/subscriptions", body={"url": webhook_url, "update_types": TYPES.split(","),
                                                         "secret": secret})
        said.append(f"События MAX идут на {webhook_url} (секрет из MAX_WEBHOOK_SECRET); опрос не используется.")
    else:
        said.append("События MAX бот забирает опросом (long polling): для продакшена задайте [max] webhook_url.")
    return said


MAX_CHECKLIST = (
    "администраторы организаций и координаторы открывают бота в MAX и нажимают «Начать»: до этого MAX не даёт боту "
    "им писать. Проще всего — ссылкой из файла кодов (/invites): бот откроется с кодом и зарегистрирует сразу; "
    "иначе — найти бота по имени и прислать код (код действует в любом мессенджере);",
    "в чат координаторов добавьте бота АДМИНИСТРАТОРОМ: иначе MAX не передаёт боту сообщения чата "
    "(max-bot-api-client-go, issue 164), и /bind там не сработает;",
    "в чате координатор пишет /bind — и сводки приходят и в чат MAX, и в привязанную беседу ВКонтакте;",
    "токен только в переменной MAX_TOKEN; лимит MAX — 30 запросов в секунду, бот держится его сам.",
)


async def import_orgs(config: Config, path: Path) -> int:
    app = await bootstrap(config)
    try:
        counts = await app.services.catalog.import_directory_file(path)
    except (DirectoryError, OSError) as e:
        problems = e.problems if isinstance(e, DirectoryError) else [f"{path}: {file_problem(e)}"]
        print("Справочник не загружен:", *problems, sep="\n", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(f"Справочник загружен: добавлено {counts.added}, изменено {counts.updated}, "
          f"без изменений {counts.unchanged}.")
    return 0


async def remove_org(config: Config, org_id: str, confirmed: bool) -> int:
    app = await bootstrap(config)
    try:
        removal = await app.services.removal.remove(org_id, confirmed, app.clock())
    finally:
        await app.close()
    print(removal.text)
    return 0 if removal.found else 1


async def load_roadmaps(config: Config, paths: list[Path], allow_unknown: bool = False) -> int:
    app = await bootstrap(config)
    status = 0
    try:
        for path in paths:
            try:
                loaded = await app.services.catalog.load_roadmap_file(path, allow_unknown)
            except RoadmapError as e:
                print(f"Дорожная карта {path} не загружена:", *e.problems, sep="\n", file=sys.stderr)
                status = 1
                continue
            except (OSError, UnicodeDecodeError) as e:
                print(f"Дорожная карта {path} не загружена: {file_problem(e)}", file=sys.stderr)
                status = 1
                continue
            rm = loaded.roadmap
            print(f"{'Загружена' if loaded.created else 'Обновлена'} дорожная карта {rm.id}: "
                  f"форм {len(rm.form)}, целей {len(rm.target)}, пунктов {len(rm.item)}.")
    finally:
        await app.close()
    return status


async def invite(config: Config, role: str, scope: str) -> int:
    app = await bootstrap(config)
    try:
        scope_id = await resolve_scope(app, role, scope)
        if scope_id is None:
            print(f"Не найдено в справочнике: {texts.ROLE_TITLES[role]} «{scope}». Проверьте написание "
                  "(для организации — её id).", file=sys.stderr)
            return 1
        code, expires = await app.services.invites.create(role, scope_id, None, app.clock())
        label = await app.services.access.label(role, scope_id)
    finally:
        await app.close()
    print(f"Код приглашения ({texts.ROLE_TITLES[role]}, {label}), действует до {expires:%d.%m.%Y}, один раз:")
    print(code)
    return 0


def for_operator(text: str) -> str:
    """A service's answer as the operator reads it at the command line: chat commands it points to are said as the
    command line's own («--period 20.10.2023», not «/export 20.10.2023»)."""
    for chat, command_line in operator.OPERATOR_WORDS:
        text = text.replace(chat, command_line)
    return text


MOMENT_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y")  # the operator's own clock; ISO-8601 is taken too


def parse_moment(text: str, timezone: str) -> datetime | None:
    """«04.12.2026 18:00» (or «04.12.2026»: its midnight) on the region's wall clock, or ISO-8601 («2026-12-04T18:00»
    without a zone is the region's clock too, «…+05:00» its own); None when it is none of them."""
    text = " ".join(text.split())
    for pattern in MOMENT_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=ZoneInfo(timezone))
        except ValueError:
            continue
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(timezone))


async def run_job(config: Config, job: str, at_text: str | None, send: bool) -> int:
    from bot.app import build_app

    at = parse_moment(at_text, config.default_timezone) if at_text else datetime.now(UTC)
    if at is None:
        print(operator.CLI_BAD_MOMENT.format(text=at_text, zone=config.default_timezone), file=sys.stderr)
        return 2
    app = await build_app(config, vk_token() if send and config.vk is not None else "", schedule=False,
                          max_token=max_token() if send and config.max is not None else None)
    try:
        if job == "tick":
            result = await app.services.jobs.tick(at)
            print(f"Выполнено заданий: {result.ran}, пропущено: {result.skipped}, "
                  f"сообщений в очереди: {result.queued}.")
        else:
            queued = await app.services.jobs.run_job(job, at)
            print(f"Задание {job} за {fmt_time(at, config.default_timezone, zone=True)}: "
                  f"сообщений поставлено в очередь: {queued}.")
        if send:
            await _send_unless_the_bot_runs(app, config)
    finally:
        await app.close()
    return 0


async def _send_unless_the_bot_runs(app: App, config: Config) -> None:
    """A running bot sends what was queued (its sender looks at the queue every second); a second sender beside it
    would send some messages twice and double the rate MAX and VK see. Without a running bot this command sends,
    holding the bot's locks meanwhile (a bot started now is refused, and its supervisor restarts it later). On
    PostgreSQL the lock is the instance lease: held while this command sends, given back when it ends."""
    if app.db.engine == "postgres":
        if not await app.db.take_lease(app.instance):  # type: ignore[attr-defined]
            print(operator.QUEUED_FOR_RUNNING_BOT)
            return
        # renewed while this sends, as `run` renews it; lost (said by _hold_lease), the sending stops
        stop = asyncio.Event()
        holding = asyncio.create_task(_hold_lease(app, stop))
        sending = asyncio.create_task(_send_now(app))
        await asyncio.wait({holding, sending}, return_when=asyncio.FIRST_COMPLETED)
        if not sending.done():
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        stop.set()
        await holding
        return
    try:
        beside = InstanceLock.acquire(config.storage.path)
    except AlreadyRunning:
        print(operator.QUEUED_FOR_RUNNING_BOT)
        return
    try:
        try:
            installation = InstanceLock.acquire_installation(await app.db.installation(), config.storage.path)
        except AlreadyRunning:
            print(operator.QUEUED_FOR_RUNNING_BOT)  # a bot on a copy or a hard link of this database
            return
        try:
            await _send_now(app)
        finally:
            installation.release()
    finally:
        beside.release()


async def _send_now(app: App) -> None:
    await app.free_dead_claims()
    done = (app.sender is None or await app.sender.drain(600)) and \
        (app.max is None or await app.max.sender.drain(3600))
    if app.max is not None and app.max.sender.refusal is not None:
        print(f"MAX отказал ({app.max.sender.refusal.status} {app.max.sender.refusal.code}): "
              f"{max_refusal(app.max.sender.refusal)} Сообщения MAX ждут в очереди.", file=sys.stderr)
    print("Очередь отправлена." if done else "Отправлено не всё: остаток отправит бот.")


async def export(config: Config, scope_name: str, period: str, out: str | None) -> int:
    app = await bootstrap(config)
    try:
        if scope_name.strip().lower() in ("все", "all"):
            scope = await app.services.summary.territory("country", 0)
        else:
            # as `invite` reads it: a region, a municipality, or «Регион/Муниципалитет» where two share a name
            region_id = await resolve_scope(app, "region", scope_name)
            muni_id = None if region_id else await resolve_scope(app, "municipality", scope_name)
            scope = (await app.services.summary.territory("region", int(region_id)) if region_id else
                     await app.services.summary.territory("municipality", int(muni_id)) if muni_id else None)
        if scope is None:
            print(f"Не найдено в справочнике: «{scope_name}».", file=sys.stderr)
            return 1
        made = await app.services.exports.export(scope, app.clock(), period, texts.OPERATOR_CLI)
    finally:
        await app.close()
    if made.data is None:
        print(for_operator(made.message), file=sys.stderr)
        return 1
    path = Path(out or made.name)
    try:
        path.write_bytes(made.data)
    except OSError as e:
        print(operator.CLI_CANNOT_WRITE.format(path=path, why=file_problem(e, writing=True)), file=sys.stderr)
        return 1
    print(f"Таблица записана: {path}")
    return 0


async def import_figures(config: Config, path: Path, period: str, apply: bool) -> int:
    """The operator's import: every organization of the directory; a dry run unless `apply`."""
    try:
        due = datetime.strptime(period.strip(), "%d.%m.%Y").date() if period.strip() else None
    except ValueError:
        print(f"Срок периода пишется как ДД.ММ.ГГГГ, например 20.10.2023, а не «{period}».", file=sys.stderr)
        return 2
    try:
        data = path.read_bytes()
    except OSError as e:
        print(f"{path}: {file_problem(e)}", file=sys.stderr)
        return 1
    app = await bootstrap(config)
    try:
        plan = await app.services.imports.plan(None, path.name, data, app.clock(), due)
        print(for_operator(app.services.imports.preview_text(plan, "" if apply else texts.IMPORT_APPLY_CLI).rstrip()))
        if not plan.applicable:
            return 0 if not plan.problems and not plan.refused else 1
        if apply:
            done = await app.services.imports.apply(plan, OPERATOR, app.clock())
            print(texts.IMPORT_APPLIED.format(file=path.name, new=done.new, changed=done.changed))
    finally:
        await app.close()
    return 0


async def resolve_scope(app: Core, role: str, scope: str) -> str | None:
    if role == "organization":
        org = await app.repos.directory.organization(scope.strip())
        return org.id if org else None
    if role == "region":
        region = await app.repos.directory.region_by_name(scope.strip())
        return str(region.id) if region else None
    region_name, _, muni_name = scope.rpartition("/")
    munis = await app.repos.directory.municipalities_by_name(muni_name.strip())
    if region_name:
        region = await app.repos.directory.region_by_name(region_name.strip())
        munis = [m for m in munis if region and m.region_id == region.id]
    if len(munis) > 1:
        print("Муниципалитетов с таким названием несколько: укажите «Регион/Муниципалитет».", file=sys.stderr)
        return None
    return str(munis[0].id) if munis else None


def backup_db(config: Config, target: Path) -> int:
    """`backup FILE`: a consistent copy while the bot runs (storage/backup.py)."""
    try:
        copied = backup(config.storage.path, target)
    except (BackupError, OSError) as e:
        print(operator.BACKUP_FAILED.format(why=e if isinstance(e, BackupError) else describe(e)), file=sys.stderr)
        return 1
    print(operator.BACKUP_DONE.format(path=copied.path, size=fmt_size(copied.size), submissions=copied.submissions,
                                   figures=copied.figures))
    return 0


def restore_db(config: Config, source: Path, confirmed: bool, now: datetime) -> int:
    """`restore FILE --yes`: the bot must be stopped; the database replaced is kept beside it."""
    if not confirmed:
        print(operator.RESTORE_ASK.format(path=config.storage.path, file=source))
        return 1
    try:
        copied, kept = restore(source, config.storage.path, now)
    except AlreadyRunning as running:
        print(operator.RESTORE_RUNNING.format(path=config.storage.path, pid=running.owner or "?"), file=sys.stderr)
        return 1
    except (BackupError, OSError) as e:
        print(operator.RESTORE_FAILED.format(why=e if isinstance(e, BackupError) else describe(e)), file=sys.stderr)
        return 1
    print(operator.RESTORE_DONE.format(path=copied.path, submissions=copied.submissions, figures=copied.figures,
                                    kept=kept or "—"))
    return 0


def fmt_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",") if size >= 1024 * 1024 else f"{max(1, size // 1024)} КБ"
