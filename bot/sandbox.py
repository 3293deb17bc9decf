"""`python -m bot sandbox [--messenger max]`: the real bot against the VK emulator (or the MAX one), with demo data
and a console.

You act as one of the demo users: type a message, press a button by its number, switch users.
Everything goes through the same code path as production; only the API URL differs.
"""

from __future__ import annotations

import asyncio
import calendar
import itertools
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from loguru import logger

from bot.app import App, build_app
from bot.config import AccessSection, Config, MaxSection, StorageSection, VkSection, file_problem
from bot.domain.roadmap import Roadmap, RoadmapError
from bot.words import texts
from bot.words.format import short, zone_name
from maxemu.emulator import Emulator as MaxEmulator
from maxemu.server import MaxEmulatorServer
from vkemu import Emulator, EmulatorServer

# the demo's files travel inside the package (links to directory/ and roadmaps/ in the project; copies in a wheel),
# so an installed bot has its sandbox too
DEMO = Path(__file__).resolve().parent / "demo"
DEMO_DIRECTORY = DEMO / "ntgo-demo.csv"
DEMO_ROADMAP = DEMO / "ntgo-2023.toml"
OWNER_ID = 1

# (vk id, first name, last name, role, scope: organization id or the municipality marker)
DEMO_PEOPLE = [
    (100, "Ольга", "Смирнова", "municipality", None),
    (201, "Анна", "Петрова", "organization", "6624000001"),
    (202, "Сергей", "Кузнецов", "organization", "6624000012"),
    (203, "Марина", "Волкова", "organization", "6624000010"),
    (300, "Павел", "Новиков", None, None),  # not registered yet: gets an invite code
    (400, "Иван", "Орлов", "region", None),  # the region's coordinator
    (OWNER_ID, "Пётр", "Захаров", "owner", None),  # the operator: an owner by config.toml, no role to grant
]

CHAT_HINT = ("Как во ВКонтакте: в беседе бот видит только сообщения, где упомянуто сообщество, например "
             "«@{name} /status», и нажатия своих кнопок.")
MAX_CHAT_HINT = ("Как в MAX: бот — администратор этого чата и видит все сообщения; команды пишутся как есть "
                 "(«/status») или с именем бота («@{name} /status»).")

HELP = """Команды консоли (всё остальное уходит боту как сообщение):
  :users        — список пользователей        :as ID   — писать от имени пользователя
  :chat         — писать в беседу координаторов  :pm   — писать боту в личные сообщения
  :N            — нажать кнопку N последней клавиатуры
  :file ПУТЬ    — отправить боту файл (например, заполненный шаблон .xlsx)
  :link ССЫЛКА  — открыть ссылку на бота и нажать «Начать» (ссылка-приглашение из файла кодов)
  :время ДД.ММ.ГГГГ ЧЧ:ММ — перевести часы песочницы (часы муниципалитета) и выполнить то, что наступило к этому
                  моменту: напоминания, сводки (:time — то же)
  :help         — эта подсказка               :quit    — выход"""


DEMO_TIMEZONE = "Asia/Yekaterinburg"  # the demo municipality's (directory/ntgo-demo.csv)


@dataclass
class SandboxClock:
    """The app's clock in the sandbox: the real one, moved by `:время`."""

    shift: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


class Console:
    def __init__(self, app: App, emu: Emulator, read_line: Callable[[], Awaitable[str | None]],
                 write: Callable[[str], None], chat_peer: int, files_dir: Path | None = None,
                 clock: SandboxClock | None = None) -> None:
        self.clock = clock or SandboxClock()
        self.files_dir = files_dir  # where files the bot sends are saved for the person to open
        self.app = app
        self.emu = emu
        self.read_line = read_line
        self.write = write
        self.chat_peer = chat_peer
        self.user = 100
        self.peer = 100
        self.seen: dict[int, int] = {}
        self.people = list(DEMO_PEOPLE)  # and those made for an operator's roadmap (`--roadmap`)
        self.told: dict[int, int] = {}  # how many of each other person's messages the console has announced
        self.busy = False  # a command is printing its replies: the watcher waits
        self.announced_by_clock = False  # :время has just said who else got messages

    def prompt(self) -> str:
        user = self.emu.users.get(self.user)
        where = "беседа" if self.peer == self.chat_peer else "личные"
        name = f"{user.first_name} {user.last_name}" if user else str(self.user)
        return f"[{name} · {where}]> "

    async def run(self) -> None:
        self.write(HELP)
        self.show_users()
        self.told = {peer: len(self.emu.delivered(peer)) for peer in self.peers()}
        watcher = asyncio.create_task(self.watch())
        try:
            while True:
                self.write(self.prompt())
                line = await self.read_line()
                if line is None:
                    return
                line = line.strip()
                if not line:
                    continue
                self.busy = True
                try:
                    if not await self.command(line):
                        return
                finally:
                    if self.announced_by_clock:  # «Пришло и другим» has named them: no second line each
                        self.told.update({peer: len(self.emu.delivered(peer)) for peer in self.peers()})
                        self.announced_by_clock = False
                    self.busy = False
        finally:
            watcher.cancel()

    async def watch(self, every: float = 0.5) -> None:
        """Messages that come while nobody types (the scheduler's reminders, a summary in the chat): the current
        person's are printed at once, another's announced in a line — one had seen them only after typing as them."""
        while True:
            await asyncio.sleep(every)
            if self.busy:
                continue
            news = []
            for peer in self.peers():
                count = len(self.emu.delivered(peer))
                if peer == self.peer and count > self.seen.get(peer, 0):
                    news.append(peer)
                elif peer != self.peer and count > max(self.told.get(peer, 0), self.seen.get(peer, 0)):
                    first = self.emu.delivered(peer)[-1].text.split("\n", 1)[0]
                    where = ":chat" if peer == self.chat_peer else f":as {peer}"
                    self.write(f"\n· {self.name_of(peer)}: новое сообщение «{short(first, 60)}» (посмотреть — {where})")
                    self.told[peer] = count
                    news.append(peer)
            if self.peer in news:
                self.write("")
                self.print_new()
            if news:
                self.write(self.prompt())

    def show_users(self) -> None:
        self.write("Пользователи:")
        for vk_id, first, last, role, _ in self.people:
            title = texts.ROLE_TITLES[role] if role else "не зарегистрирован"
            self.write(f"  {vk_id}: {first} {last} — {title}")

    async def command(self, line: str) -> bool:
        if line == ":quit":
            return False
        if line == ":help":
            self.write(HELP)
        elif line == ":users":
            self.show_users()
        elif line.startswith(":as"):
            try:
                uid = int(line[3:].strip())
            except ValueError:
                self.write("Укажите id: :as 201")
                return True
            if uid not in self.emu.users:
                self.write("Нет такого пользователя (:users)")
                return True
            self.user = self.peer = uid
        elif line == ":chat":
            self.peer = self.chat_peer
            self.write(getattr(self.emu, "chat_hint", CHAT_HINT).format(name=self.emu.screen_name))
        elif line == ":pm":
            self.peer = self.user
        elif line[1:].isdigit() and line.startswith(":"):
            try:
                self.emu.press(self.user, int(line[1:]) - 1, peer_id=self.peer)
            except KeyError:
                self.write("Нет такой кнопки.")
                return True
            await self.show_replies()
        elif line.split(" ", 1)[0] in (":время", ":time"):
            await self.move_clock(line.split(" ", 1)[1] if " " in line else "")
        elif line.startswith(":file"):
            path = Path(line[5:].strip()).expanduser()
            try:
                data = path.read_bytes()
            except OSError as e:
                self.write(f"Не могу прочитать файл «{path}»: {e.strerror or e}.")
                return True
            self.emu.say(self.user, "", peer_id=self.peer, documents=((path.name, data),))
            await self.show_replies()
        elif line.startswith(":link"):
            try:
                opened = self.emu.open_link(self.user, line[5:].strip())
            except ValueError as e:
                self.write(f"Эта ссылка не открывает бота ({e}).")
                return True
            self.peer = self.user
            if opened is None:
                self.write("Диалог открыт, но кнопки «Начать» в нём нет: вы уже писали сообществу. Пришлите код.")
                return True
            await self.show_replies()
        elif line.startswith(":"):
            self.write("Неизвестная команда консоли. :help — подсказка.")
        else:
            self.emu.say(self.user, line, peer_id=self.peer)
            await self.show_replies()
        return True

    async def move_clock(self, text: str) -> None:
        """Set the sandbox's clock to a moment on the municipality's wall clock and run what fell due by then, so a
        person sees their reminders and the chat its summary without waiting for Friday."""
        zone = ZoneInfo(DEMO_TIMEZONE)
        try:
            moment = datetime.strptime(" ".join(text.split()), "%d.%m.%Y %H:%M").replace(tzinfo=zone)
        except ValueError:
            self.write(f"Укажите момент по часам муниципалитета: :время {self.app.clock().astimezone(zone):%d.%m.%Y %H:%M}")
            return
        self.clock.shift = moment - datetime.now(UTC)
        counts = {peer: len(self.emu.delivered(peer)) for peer in self.peers()}
        result = await self.app.services.jobs.tick(self.app.clock())
        self.write(f"Часы песочницы: {moment:%d.%m.%Y %H:%M} {zone_name(moment)}. Выполнено заданий: {result.ran}"
                   f"{f', пропущено как давние: {result.skipped}' if result.skipped else ''}; "
                   f"сообщений в очереди: {result.queued}.")
        await self.show_replies(limit=1.5)  # (the sender delivers what the tick queued meanwhile)
        others = [f"{self.name_of(peer)} — {n}" for peer in self.peers()
                  if peer != self.peer and (n := len(self.emu.delivered(peer)) - counts.get(peer, 0)) > 0]
        if others:
            self.write("Пришло и другим: " + ", ".join(others) + " (посмотреть — :as ID или :chat).")
            self.announced_by_clock = True

    def peers(self) -> list[int]:
        return [vk_id for vk_id, *_ in self.people] + [self.chat_peer]

    def name_of(self, peer: int) -> str:
        if peer == self.chat_peer:
            return "беседа координаторов"
        return next((f"{first} {last} ({vk_id})" for vk_id, first, last, *_ in self.people if vk_id == peer), str(peer))

    def save(self, attachment: str) -> str:
        """A file the bot sent, written where the person can open it; its path (or its name if not kept)."""
        data = self.emu.files.get(attachment)
        if self.files_dir is None or data is None:
            return attachment
        ext = ".png" if data[:4] == b"\x89PNG" else ".xlsx" if data[:2] == b"PK" else ""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{attachment}{ext}"
        path.write_bytes(data)
        return str(path)

    async def show_replies(self, quiet: float = 0.4, limit: float = 5.0) -> None:
        """Print what the bot delivered to the current peer since last time."""
        loop = asyncio.get_running_loop()
        start = last_change = loop.time()
        count = len(self.emu.delivered(self.peer))
        while loop.time() - start < limit:
            await asyncio.sleep(0.05)
            now_count = len(self.emu.delivered(self.peer))
            if now_count != count:
                count, last_change = now_count, loop.time()
            elif now_count > self.seen.get(self.peer, 0) and loop.time() - last_change > quiet:
                break
        self.print_new()

    def print_new(self) -> None:
        """The current peer's messages not yet printed, with their buttons."""
        for msg in self.emu.delivered(self.peer)[self.seen.get(self.peer, 0):]:
            self.write("бот: " + msg.text.replace("\n", "\n     "))
            for att in msg.attachments:
                self.write(f"     📎 {self.save(att)}")
            rows = getattr(msg, "rows", None)
            if msg.keyboard and rows:  # MAX: row by row, each label as a phone shows it (cut where MAX cuts)
                numbers = itertools.count(1)
                for row in rows:
                    self.write("     " + "  ".join(f"[{next(numbers)}] {label}" for label in row))
            elif msg.keyboard and msg.labels():
                self.write("     " + "  ".join(f"[{i}] {label}" for i, label in enumerate(msg.labels(), 1)))
        self.seen[self.peer] = len(self.emu.delivered(self.peer))


def move_years(text: str, delta: int) -> str:
    """Every date in a roadmap's text moved `delta` years (29 February becomes the 28th where it must)."""
    def move(m: re.Match[str]) -> str:
        year, month, day = int(m["y"]) + delta, m["m"], m["d"]
        if day == "29" and month == "02" and not calendar.isleap(year):
            day = "28"
        return f"{year}-{month}" + (f"-{day}" if day else "")

    return re.sub(r"(?<![\d-])(?P<y>20\d\d)-(?P<m>\d\d)(?:-(?P<d>\d\d))?(?![\d-])", move, text)


def shift_years(text: str, today: date) -> str:
    """A roadmap moved whole years forward so that it runs now: the first shift that puts today between its
    `starts` and `ends` (a calendar-year plan), else the one that makes its school year the current one (the
    demo, which ends in December, in spring); its periods and items keep their places in the year."""
    starts = date.fromisoformat(re.findall(r"(?m)^starts = (\d{4}-\d\d-\d\d)", text)[0])
    ends = date.fromisoformat(re.findall(r"(?m)^ends = (\d{4}-\d\d-\d\d)", text)[0])
    for delta in range(max(0, today.year - ends.year), max(0, today.year - starts.year) + 1):
        if starts.replace(year=starts.year + delta, day=min(starts.day, 28)) <= today <= \
                ends.replace(year=ends.year + delta, day=min(ends.day, 28)):
            return move_years(text, delta)
    school_year = today.year if today.month >= 9 else today.year - 1
    return move_years(text, max(0, school_year - starts.year))


async def prepare_demo(app: App, emu: Emulator | MaxRoom) -> tuple[int, str]:
    """Directory, roadmap, registered demo people and a coordinators' chat; returns (chat, new code)."""
    await app.services.catalog.import_directory_file(DEMO_DIRECTORY)
    # The demo roadmap is seed 000 moved to this year, so reports and reminders are due now.
    text = shift_years(DEMO_ROADMAP.read_text(encoding="utf-8"), app.clock().date())
    await app.services.catalog.load_roadmap(text, str(DEMO_ROADMAP))
    munis = await app.repos.directory.municipalities_by_name("Нижнетуринский ГО")
    muni_id = str(munis[0].id)
    for user_id, first, last, role, scope in DEMO_PEOPLE:
        await add_person(app, emu, user_id, first, last, role,
                         str(munis[0].region_id) if role == "region" else scope or muni_id)
    await seed_demo_figures(app)
    chat = emu.add_chat([100, 201], "Координаторы Сферума — Нижнетуринский ГО")
    code, _ = await app.services.invites.create("organization", "6624000002", 100, app.clock())
    return chat, code


async def add_person(app: App, emu: Emulator | MaxRoom, user_id: int, first: str, last: str, role: str | None,
                     scope: str) -> None:
    """A sandbox person in the messenger and, with a role, registered in our database."""
    emu.add_user(user_id, first, last, allowed=role is not None)
    if role is None:
        return
    person_id = await emu.person_id_of(user_id) if isinstance(emu, MaxRoom) else user_id
    await app.repos.people.upsert_person(person_id, first, last)
    if role != "owner":
        await app.repos.people.grant(person_id, role, scope)


# people for an operator's roadmap whose territory the demo directory does not hold: a coordinator and an admin
EXTRA_PEOPLE = [(110, "Елена", "Васильева", "municipality"), (210, "Дмитрий", "Соколов", "organization")]
ORG_KIND_NAMES = {"school": "МБОУ СОШ № 1", "preschool": "МБДОУ «Детский сад № 1»", "additional": "МБУ ДО «ЦДТ»",
                  "authority": "Управление образования"}


@dataclass
class _Person:
    first_name: str
    last_name: str


@dataclass
class _Shown:
    """A MAX message as the console prints it (the shape of vkemu's Delivered it uses)."""

    text: str
    attachments: list[str]
    keyboard: bool
    _labels: list[str]
    rows: list[list[str]]  # the keyboard as MAX draws it

    def labels(self) -> list[str]:
        return self._labels


class MaxRoom:
    """maxemu as the console drives a messenger: the same few calls it makes of vkemu's emulator."""

    chat_hint = MAX_CHAT_HINT

    def __init__(self, emu: MaxEmulator, app: App) -> None:
        self.emu = emu
        self.app = app
        self.users: dict[int, _Person] = {}
        self.screen_name = emu.bot_username
        self.chat_id: int | None = None
        self.files: dict[str, bytes] = {}

    def add_user(self, user_id: int, first: str, last: str, allowed: bool = True) -> None:
        self.users[user_id] = _Person(first, last)
        self.emu.add_user(user_id, first, last)
        if allowed:
            self.emu.people[user_id].started = True  # the registered demo people opened the bot long ago

    async def person_id_of(self, user_id: int) -> int:
        return await self.app.repos.max_accounts.person(user_id, self.emu.people[user_id].dialog_id)

    def add_chat(self, members: list[int], title: str) -> int:
        self.chat_id = self.emu.add_chat(members, title, bot_admin=True)
        return self.chat_id

    def _messages(self, peer: int) -> list:
        return self.emu.delivered(chat_id=peer) if peer == self.chat_id else self.emu.delivered(user_id=peer)

    def open_link(self, user_id: int, url: str) -> dict | None:
        return self.emu.open_link(user_id, url)  # (every console person is MAX's person from the start)

    def say(self, user_id: int, text: str, peer_id: int | None = None,
            documents: tuple[tuple[str, bytes], ...] = ()) -> None:
        attachments = []
        for name, data in documents:
            token = self.emu._upload_endpoint("file")["token"]
            self.emu.receive_upload(token, name, data)
            attachments.append({"type": "file", "payload": {"url": f"{self.emu.base_url}/files/{token}",
                                                             "token": token}, "filename": name, "size": len(data)})
        chat = peer_id if peer_id is not None and peer_id == self.chat_id else None
        self.emu.say(user_id, text, chat_id=chat, attachments=attachments or None)

    def press(self, user_id: int, index: int, peer_id: int | None = None) -> None:
        for message in reversed(self._messages(peer_id if peer_id is not None else user_id)):
            buttons = message.buttons()
            if buttons:
                if not 0 <= index < len(buttons):
                    raise KeyError(index)
                self.emu.press(user_id, message.mid, buttons[index]["payload"])
                return
        raise KeyError(index)

    def delivered(self, peer: int) -> list[_Shown]:
        out = []
        for m in self._messages(peer):
            names = []
            for a in m.files():
                token = a["payload"].get("token", "")
                name = f"{a['type']}-{token[:8]}"
                self.files[name] = self.emu.uploads[token].data or b""
                names.append(name)
            out.append(_Shown(m.text, names, bool(m.buttons()), m.labels(), m.shown_rows()))
        return out


DEMO_HISTORY = 4  # past periods with figures: trends, «Как раньше» and verdicts have something to show
DEMO_SILENT = {"6624000003", "6624000013"}  # two organizations that never report (who is late, reminders)
# the demo admins' organizations and a few more have not sent the open period yet: there is something to do
DEMO_NOT_YET = {"6624000001", "6624000012", "6624000010", "6624000005", "6624000016"}


async def seed_demo_figures(app: App) -> None:
    """The last weeks of a live season: most organizations reported, activity growing week by week, the
    current period still open (the demo admins fill it)."""
    from bot.domain.periods import periods

    today = app.clock().date()
    for rm in await app.services.reports.roadmaps.all():
        for form in rm.form:
            past = [p for p in periods(form, rm) if p.due < today][-DEMO_HISTORY:]
            current = next((p for p in periods(form, rm) if p.due >= today), None)
            for muni in await app.repos.directory.all_municipalities():
                for org in await app.repos.directory.organizations_of_municipality(muni.id):
                    if org.id in DEMO_SILENT or org.type not in form.org_types:
                        continue
                    staff = (await app.repos.directory.baselines_of(org.id)).get("staff", 20)
                    season = past + ([current] if current and org.id not in DEMO_NOT_YET else [])
                    for week, period in enumerate(season):
                        active = min(staff, round(staff * (0.55 + 0.08 * week + (int(org.id[-2:]) % 5) * 0.02)))
                        answers = {i.key: staff if i.key == "staff_total" else active
                                   for i in form.indicators_for(org.type) if i.kind == "count"}
                        if answers:
                            at = min(datetime.combine(period.due, time(9), UTC), app.clock())
                            await app.repos.reports.save(org.id, rm.id, form.id, period.key, answers, 0, at, False)


async def load_extra_roadmaps(app: App, emu: Emulator | MaxRoom, paths: list[Path]) -> tuple[list[str], list]:
    """The operator's own roadmaps beside the demo, moved like it to the current school year; what could not
    be loaded, in Russian (the sandbox then does not start), and the people made for them: a roadmap whose
    territory the demo directory lacks gets a municipality of its own with an organization of each type its forms
    ask, a coordinator and an admin there (its forms had been loaded for nobody to see)."""
    problems: list[str] = []
    people: list = []
    for path in paths:
        try:
            text = shift_years(path.read_text(encoding="utf-8"), app.clock().date())
            loaded = await app.services.catalog.load_roadmap(text, str(path), allow_unknown=True)
            print(f"Загружена дорожная карта {path}: «{loaded.roadmap.roadmap.title}», "
                  f"{loaded.roadmap.roadmap.starts:%d.%m.%Y}–{loaded.roadmap.roadmap.ends:%d.%m.%Y}")
        except RoadmapError as e:
            problems += [f"Дорожная карта {path} не загружена:", *map(str, e.problems)]
            continue
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"Дорожная карта {path} не загружена: {file_problem(e)}")
            continue
        people += await _people_for(app, emu, loaded.roadmap, len(people))
    return problems, people


async def _people_for(app: App, emu: Emulator | MaxRoom, rm: Roadmap, made: int) -> list:
    regions = {r.id: r.name for r in await app.repos.directory.all_regions()}
    if any(rm.roadmap.covers(regions.get(m.region_id, ""), m.name) for m in await app.repos.directory.all_municipalities()):
        return []  # demo people are already in its territory
    region = rm.roadmap.region or "Свердловская область"
    name = (rm.roadmap.municipalities or ["Демо-округ"])[0]
    types = [t for t in ORG_KIND_NAMES if any(t in f.org_types for f in rm.form)] or ["school"]
    zone = DEMO_TIMEZONE if region == "Свердловская область" else "Europe/Moscow"  # (the shipped plans' regions)
    rows = [f"99{made:02d}0000{n},{region},{name},{zone},{ORG_KIND_NAMES[t]},{t}"
            for n, t in enumerate(types, 1)]
    await app.services.catalog.import_directory("id,region,municipality,timezone,organization,type\n" +
                                                "\n".join(rows) + "\n", "sandbox-extra.csv")
    muni = (await app.repos.directory.municipalities_by_name(name))[0]
    out = []
    for (user_id, first, last, role), scope in zip(EXTRA_PEOPLE, (str(muni.id), f"99{made:02d}00001"), strict=True):
        user_id += made
        await add_person(app, emu, user_id, first, last, role, scope)
        out.append((user_id, first, last, role, scope))
    print(f"Для карты «{rm.roadmap.title}» — {name}: координатор {out[0][1]} {out[0][2]} ({out[0][0]}), "
          f"администратор {out[1][1]} {out[1][2]} ({out[1][0]}, {ORG_KIND_NAMES[types[0]]}).")
    return out


async def run_sandbox(db_path: Path, roadmaps: list[Path] | None = None, messenger: str = "vk") -> int:
    # the journal goes to a file: its lines would land between the console's prompts
    log_path = db_path.parent / "sandbox.log"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    logger.remove()
    logger.add(log_path, level="DEBUG" if os.environ.get("LOG_LEVEL") == "DEBUG" else "INFO", diagnose=False)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    emu = Emulator(rate_limit=20)
    emu.screen_name = "sferum_roadmap"
    server = await EmulatorServer(emu).start()
    max_emu = MaxEmulator(token="sandbox-max-token") if messenger == "max" else None
    max_server = await MaxEmulatorServer(max_emu).start() if max_emu is not None else None
    config = Config(vk=VkSection(group_id=emu.group_id, api_url=server.api_url),
                    max=MaxSection(api_url=max_server.api_url) if max_server is not None else None,
                    storage=StorageSection(path=str(db_path)), access=AccessSection(owners=[OWNER_ID], max_owners=[OWNER_ID]))
    clock = SandboxClock()
    app = await build_app(config, emu.token, max_token=max_emu.token if max_emu is not None else None, clock=clock)
    room: Emulator | MaxRoom = MaxRoom(max_emu, app) if max_emu is not None else emu
    chat, code = await prepare_demo(app, room)
    problems, extra = await load_extra_roadmaps(app, room, roadmaps or [])
    if problems:
        print(*problems, sep="\n", file=sys.stderr)
        await app.close()
        await server.stop()
        return 1
    stop = asyncio.Event()
    polling = asyncio.create_task(app.run_polling(stop))
    await emu.wait_for_poller()
    loop = asyncio.get_running_loop()

    async def read_line() -> str | None:
        # a reader on stdin, not a thread blocked in readline: Ctrl-C then leaves at once
        done: asyncio.Future[str] = loop.create_future()
        fd = sys.stdin.fileno()
        try:
            loop.add_reader(fd, lambda: done.done() or done.set_result(sys.stdin.readline()))
        except (PermissionError, ValueError, NotImplementedError):  # a regular file as stdin cannot be polled
            line = sys.stdin.readline()
            return line if line else None
        try:
            line = await done
        finally:
            loop.remove_reader(fd)
        return line if line else None

    def write(text: str) -> None:
        end = "" if text.endswith("> ") else "\n"
        sys.stdout.write(text + end)
        sys.stdout.flush()

    where = f"эмулятор MAX на {max_server.api_url}" if max_server is not None else f"эмулятор VK на {emu.base_url}"
    write(f"Песочница: {where}, база {db_path}, журнал {log_path}, файлы от бота — "
          f"{db_path.parent / 'sandbox-files'}. Выход — :quit или Ctrl-C.")
    write(f"Павел Новиков (300) ещё не зарегистрирован; его код приглашения: {code}")
    try:
        console = Console(app, room, read_line, write, chat, db_path.parent / "sandbox-files", clock)  # type: ignore[arg-type]
        console.people += extra
        await console.run()
    finally:
        stop.set()
        await polling
        await app.close()
        await server.stop()
        if max_server is not None:
            await max_server.stop()
    return 0
