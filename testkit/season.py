"""A whole season of seed 000 driven through the real bot, with its expectations computed here.

The engine registers every person through the bot, binds the coordinators' chat, and moves the
clock hour by hour from 2023-08-01 to 2024-05-31, calling the scheduler's tick as APScheduler would.
People act on a plan drawn from a seeded random generator: some report early, some after the first
or second reminder, some late, some never, some correct what they sent; item reminders are
confirmed at once, on the due day, or never.

What the bot should have sent is computed from that plan and the roadmap's rules (the Russian
production calendar comes from `holidays` directly), not from the bot's planner, so a planner or
aggregation bug shows up as a mismatch. `tests/test_season.py` runs it for seed 000's municipality;
`bench/season.py` runs it for many municipalities and prints the figures.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.words import texts
from testkit.harness import NTGO_ROADMAP, Harness

ROADMAP_ID = "ntgo-sferum-2023"
FORM = "Еженедельный мониторинг Сферума"
TEACHERS = "Педагоги, написавшие не менее 10 сообщений за неделю"
AUTHORITY = "Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений за неделю"
SEASON_START = datetime(2023, 8, 1, 0, 0, tzinfo=UTC)
SEASON_END = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)  # 2024-05-31 inclusive, everywhere east of UTC

# Seed 000: 9 schools with 204 teachers, 2 extra-education organizations with 15, 7 kindergartens with
# 191, the education authority and its methodical centre with 13 staff.
STAFF = {"school": [40, 32, 28, 25, 22, 20, 15, 12, 10], "additional": [9, 6],
         "preschool": [38, 32, 30, 28, 25, 20, 18], "authority": [8, 5]}
assert [sum(v) for v in STAFF.values()] == [204, 15, 191, 13]

# Fridays of the weekly form: the first Friday on or after 2023-08-01 up to roadmap.ends 2023-12-30.
PERIODS = [date(2023, 8, 4) + timedelta(weeks=w) for w in range(22)]
assert PERIODS[-1] == date(2023, 12, 29)
REMIND_AT = (time(10, 0), time(15, 0))
SUMMARY_AT = time(18, 0)
ITEM_REMIND_AT = time(9, 0)
ITEM_DAYS_BEFORE = (7, 3, 1, 0)
# Item due dates written out by hand from seed 000 ("2023-08" = the month's last day).
# Items 4 and 6 (seed 000, lines 41 and 43: «Сентябрь 2023 – май 2024», «в квартал»): the calendar quarters' ends
# inside that span, the last cut at the end of May.
QUARTERS = [date(2023, 9, 30), date(2023, 12, 31), date(2024, 3, 31), date(2024, 5, 31)]
# Item 8 (seed 000, line 8): "по результатам 1, 2, 3 и 4 четвертей учебного года" — the school quarters of 2023/24.
SCHOOL_QUARTERS = [date(2023, 10, 27), date(2023, 12, 29), date(2024, 3, 22), date(2024, 5, 31)]
ITEMS: dict[str, tuple[tuple[str, ...], list[date], bool]] = {
    "1": (("municipality",), [date(2023, 8, 31)], False),
    "2": (("organization",), [date(2023, 9, 30)], True),
    "3": (("municipality", "organization"), [date(2023, 10, 31)], False),
    "4": (("municipality", "organization"), QUARTERS, False),
    "5": (("municipality", "organization"), [date(2024, 5, 31)], False),
    "6": (("municipality", "organization"), QUARTERS, True),
    "7": (("municipality", "organization"), [date(2024, 5, 31)], False),
    "8": (("municipality",), SCHOOL_QUARTERS, False),
    "9": (("municipality", "organization"), [date(2024, 5, 31)], False),
}

# Items whose responsible organizations are «ОО» only (seed 000, line 2), not the authority-type ones.
SCHOOLS_ONLY = {"2"}

# When an admin sends the weekly report (local time, relative to the period's Friday).
BEHAVIOURS = {  # name: (weight, days before Friday, local time)
    "early": (25, 2, time(14, 30)),        # Wednesday, before any reminder
    "after_first": (25, 0, time(12, 30)),  # after the 10:00 reminder
    "after_second": (15, 0, time(16, 30)),  # after the 15:00 reminder, before the 18:00 summary
    "corrected": (10, 0, time(12, 30)),    # as after_first, then a correction at 16:45
    "late": (10, 0, time(20, 30)),         # after the summary: stored, marked late
    "missing": (15, 0, time(0, 0)),
}
CORRECTION_AT = time(16, 45)
CONFIRMS = {"first": 50, "due_day": 30, "never": 20}

_WORKING = holidays.country_holidays("RU", years=range(2023, 2025))


def working(day: date) -> bool:
    return _WORKING.is_working_day(day)


def prev_working(day: date) -> date:
    while not working(day):
        day -= timedelta(days=1)
    return day


def next_working(day: date) -> date:
    while not working(day):
        day += timedelta(days=1)
    return day


def pct(num: int, den: int) -> str:
    return f"{num / den * 100:.1f}".replace(".", ",")


@dataclass
class Org:
    id: str
    name: str
    type: str
    staff: int
    admin: int
    share0: float  # share of active teachers in August; it grows over the autumn


@dataclass
class Muni:
    id: int
    name: str
    tz: ZoneInfo
    coordinator: int
    chat: int = 0
    orgs: list[Org] = field(default_factory=list)


@dataclass
class Submission:
    org: Org
    period: date
    behaviour: str
    staff: int
    active: int
    corrected_active: int | None

    def final(self) -> int:
        return self.corrected_active if self.corrected_active is not None else self.active


@dataclass
class Totals:
    """What happened, for the report and the assertions."""

    pushed: Counter = field(default_factory=Counter)      # (peer, category) -> messages the bot initiated
    replies: int = 0
    actions: int = 0
    unanswered: list[str] = field(default_factory=list)
    ticks: int = 0
    summaries: dict[tuple[int, date], str] = field(default_factory=dict)  # (chat, period) -> text
    # (peer, item, occ) -> the names each notice listed as not confirmed
    overdue: dict[tuple[int, str, date], list[frozenset[str]]] = field(default_factory=dict)
    daily: Counter = field(default_factory=Counter)  # (peer, local day) -> reminder messages
    reminded: Counter = field(default_factory=Counter)  # (peer, "form_reminder"/"item_reminder", local day) -> things
    said: Counter = field(default_factory=Counter)  # (peer, local day, text) -> messages the bot initiated
    confirmed: set[tuple[str, str, str, date]] = field(default_factory=set)  # role, scope, item, occ


def category(text: str) -> str:
    if text.startswith("Напоминание: отчёт"):
        return "form_reminder"
    if text.startswith("Напоминание по дорожной карте"):
        return "item_reminder"
    if text.startswith("Напоминание на "):
        return "reminders"  # several things due, one message
    if text.startswith("Сводка"):
        return "summary"
    if text.startswith(("Просрочен пункт", "Просрочены пункты")):
        return "overdue"
    return "other"


_FORM = re.compile(r"«(.+?)» за период до (\d\d\.\d\d\.\d{4})")


def asks(text: str) -> list[tuple[str, str, date | None]]:
    """What a reminder asks, one thing it names after another: ("form", title, period due) and ("item", item id,
    None), from a single reminder or a list of several."""
    kind = category(text)
    if kind == "form_reminder":
        found = _FORM.search(text)
        return [("form", found[1], datetime.strptime(found[2], "%d.%m.%Y").date())]
    if kind == "item_reminder":
        return [("item", re.match(r"Напоминание по дорожной карте: пункт (\S+) «", text)[1], None)]
    if kind != "reminders":
        return []
    out: list[tuple[str, str, date | None]] = []
    section = ""
    for line in text.splitlines()[1:]:
        if line.endswith(":"):
            section = line
        elif section == texts.REMIND_LIST_FORMS and (found := _FORM.search(line)):
            out.append(("form", found[1], datetime.strptime(found[2], "%d.%m.%Y").date()))
        elif section == texts.REMIND_LIST_ITEMS and (found := re.match(r"п\. (\d+(?:\.\d+)*)\D*? «", line)):
            out.append(("item", found[1], None))
    return out


def overdue_lines(text: str) -> list[tuple[str, date, list[str]]]:
    """(item id, due, the names not confirmed) of each item an overdue notice names."""
    out = []
    for found in re.finditer(r"(?:Просрочен пункт|^• п\.) (\S+) «.*?» \(срок (\d\d\.\d\d\.\d{4})\)\. Не подтвердили: (.+)", text, re.M):
        out.append((found[1], datetime.strptime(found[2], "%d.%m.%Y").date(), found[3].split("; ")))
    return out


class Season:
    def __init__(self, h: Harness, seed: int = 7) -> None:
        self.h = h
        self.rng = random.Random(seed)
        self.seed = seed
        self.munis: list[Muni] = []
        self.region_coordinator = 900
        self.submissions: dict[tuple[str, date], Submission] = {}
        self.confirm_plan: dict[tuple[str, str, str, date], str] = {}
        self.totals = Totals()
        self._seen: dict[int, int] = {}
        self.unit_tz: dict[tuple[str, str], ZoneInfo] = {}

    # -- setup -----------------------------------------------------------------------------

    @staticmethod
    def directory_csv(count: int) -> str:
        """Seed 000's municipality, plus `count - 1` copies of it for a larger run."""
        types = [t for t, staff in STAFF.items() for _ in staff]
        lines = ["id,region,municipality,timezone,organization,type"]
        for m in range(1, count):
            for n, t in enumerate(types, 1):
                lines.append(f"66{m:04d}{n:04d},Свердловская область,Округ {m},Asia/Yekaterinburg,"
                             f"Организация {n} округа {m},{t}")
        return "\n".join(lines) + "\n"

    async def setup(self, municipalities: int = 1) -> None:
        h = self.h
        h.clock.now = SEASON_START + timedelta(hours=3)
        if municipalities > 1:
            await h.app.services.catalog.import_directory(self.directory_csv(municipalities), "copies.csv")
            names = ", ".join(f'"Округ {m}"' for m in range(1, municipalities))
            text = NTGO_ROADMAP.read_text(encoding="utf-8").replace(
                'municipalities = ["Нижнетуринский ГО"]', f'municipalities = ["Нижнетуринский ГО", {names}]')
            await h.app.services.catalog.load_roadmap(text, "ntgo.toml")
        all_munis = sorted(await h.app.repos.directory.all_municipalities(), key=lambda m: m.id)
        region = (await h.app.repos.directory.region(all_munis[0].region_id))
        await self._register(self.region_coordinator, "region", str(region.id), "Региональный", "Координатор")
        for k, m in enumerate(all_munis):
            base = 10_000 + 100 * k
            muni = Muni(m.id, m.name, ZoneInfo(m.timezone), coordinator=base)
            await self._register(base, "municipality", str(m.id), "Ольга", f"Координатор{k}")
            orgs = sorted(await h.app.repos.directory.organizations_of_municipality(m.id), key=lambda o: o.id)
            staff_of = {t: list(v) for t, v in STAFF.items()}
            for n, o in enumerate(orgs, 1):
                org = Org(o.id, o.name, o.type, staff_of[o.type].pop(0), base + n,
                          share0=self.rng.uniform(0.25, 0.45))
                muni.orgs.append(org)
                await self._register(org.admin, "organization", org.id, "Админ", f"Школы{n}")
            muni.chat = h.emu.add_chat([base])
            await h.settle()  # the bot welcomes the chat it was added to
            replies = await h.say(base, f"{h.emu.mention()} /bind", peer_id=muni.chat)
            assert replies and replies[-1].text.startswith("Беседа привязана"), replies
            self.munis.append(muni)
        self._plan()
        self._snapshot()

    async def _register(self, person_id: int, role: str, scope: str, first: str, last: str) -> None:
        h = self.h
        h.emu.add_user(person_id, first, last)
        code, _ = await h.app.services.invites.create(role, scope, None, h.clock())
        replies = await h.say(person_id, code)
        assert replies and replies[-1].text.startswith("Готово"), replies

    def _plan(self) -> None:
        names, weights = zip(*((k, v[0]) for k, v in BEHAVIOURS.items()), strict=True)
        for muni in self.munis:
            for org in muni.orgs:
                last = None
                for w, period in enumerate(PERIODS):
                    behaviour = self.rng.choices(names, weights)[0]
                    share = min(0.98, org.share0 + (0.95 - org.share0) * w / (len(PERIODS) - 1))
                    active = max(1, min(org.staff, round(org.staff * share)))
                    if last is not None:  # a steady climb: never a jump the form would question
                        active = max(min(active, last * 2), (last + 1) // 2, 1)
                    corrected = None
                    if behaviour == "corrected":
                        corrected = active + 1 if active < org.staff else active - 1
                    self.submissions[(org.id, period)] = Submission(org, period, behaviour, org.staff, active,
                                                                    corrected)
                    if behaviour != "missing":
                        last = min(active, corrected or active)
            units = [("municipality", str(muni.id))] + [("organization", o.id) for o in muni.orgs]
            self.unit_tz.update({unit: muni.tz for unit in units})
            types = {o.id: o.type for o in muni.orgs}
            for item, (responsible, occurrences, _link) in ITEMS.items():
                for occ in occurrences:
                    for role, scope in units:
                        if role == "organization" and item in SCHOOLS_ONLY and types[scope] == "authority":
                            continue  # item 2 is for «ОО»: the education authority and the ИМЦ are not asked
                        if role in responsible:
                            choice = self.rng.choices(list(CONFIRMS), list(CONFIRMS.values()))[0]
                            self.confirm_plan[(role, scope, item, occ)] = choice

    # -- the clock -------------------------------------------------------------------------

    def _actions(self) -> dict[datetime, list[tuple[str, Submission]]]:
        """Submissions and corrections at their UTC instants."""
        out: dict[datetime, list[tuple[str, Submission]]] = defaultdict(list)
        for muni in self.munis:
            for org in muni.orgs:
                for period in PERIODS:
                    s = self.submissions[(org.id, period)]
                    if s.behaviour == "missing":
                        continue
                    _, before, at = BEHAVIOURS[s.behaviour]
                    local = datetime.combine(period - timedelta(days=before), at, muni.tz)
                    out[local.astimezone(UTC)].append(("submit", s))
                    if s.behaviour == "corrected":
                        local = datetime.combine(period, CORRECTION_AT, muni.tz)
                        out[local.astimezone(UTC)].append(("correct", s))
        return out

    async def run(self, start: datetime = SEASON_START, end: datetime = SEASON_END,
                  idle_every: timedelta = timedelta(hours=1)) -> Totals:
        """The season on the bot's clock. It stops at every instant the bot's plan has an event at (ticked twice
        there: a job run again must send nothing), before each submission, and every `idle_every` between (an idle
        tick must send nothing). A tick's window reaches back to the previous tick, so whatever the bot sent at any
        other moment would arrive at the next stop and be checked like the rest."""
        h = self.h
        actions = self._actions()
        pending = sorted(a for a in actions if start <= a < end)
        due = {e.instant for e in await h.app.services.jobs.events(start, end)}
        stops = sorted(due | {start + k * idle_every for k in range(int((end - start) / idle_every))})
        for stop in stops:
            while pending and pending[0] < stop:
                at = pending.pop(0)
                h.clock.now = at
                await self._act(actions[at])
            h.clock.now = stop
            await self._tick(stop)
            if stop in due:
                await self._tick(stop)
        while pending:
            at = pending.pop(0)
            h.clock.now = at
            await self._act(actions[at])
        return self.totals

    async def _tick(self, now: datetime) -> None:
        result = await self.h.app.services.jobs.tick(now)
        self.totals.ticks += 1
        if result.queued:
            await self.h.settle(limit_s=60)
        await self._collect_pushes()

    async def _collect_pushes(self) -> None:
        """Everything delivered since the last look was initiated by the bot (no one was writing)."""
        emu = self.h.emu
        reactions: list[tuple[int, object]] = []
        for peer, messages in emu.record.items():
            seen = self._seen.get(peer, 0)
            for m in messages[seen:]:
                cat = category(m.text)
                asked = asks(m.text)
                self.totals.said[(peer, self.h.clock.now.astimezone(self.munis[0].tz).date(), m.text)] += 1
                if asked:  # a reminder: counted by what it asks, one form or item at a time, and by day
                    day = self.h.clock.now.astimezone(self.munis[0].tz).date()
                    self.totals.daily[(peer, day)] += 1
                    for kind, _ref, _due in asked:
                        self.totals.pushed[(peer, f"{kind}_reminder")] += 1
                        self.totals.reminded[(peer, f"{kind}_reminder", day)] += 1
                    if any(kind == "item" for kind, _ref, _due in asked):
                        reactions.append((peer, m))
                    continue
                self.totals.pushed[(peer, cat)] += 1
                if cat == "summary":
                    period = datetime.strptime(re.search(r"за период до (\d\d\.\d\d\.\d{4})", m.text)[1],
                                               "%d.%m.%Y").date()
                    key = (peer, period)
                    self.totals.summaries[key] = self.totals.summaries.get(key, "") + m.text
                elif cat == "overdue":
                    for item, due, names in overdue_lines(m.text):
                        self.totals.overdue.setdefault((peer, item, due), []).append(frozenset(names))
            self._seen[peer] = len(messages)
        for peer, m in reactions:
            await self._maybe_confirm(peer, m)

    def _snapshot(self) -> None:
        self._seen = {peer: len(msgs) for peer, msgs in self.h.emu.record.items()}

    async def _maybe_confirm(self, peer: int, m) -> None:
        """Press each item's button under a reminder as the confirm plan says."""
        for button in m.buttons():
            payload = button.get("payload")
            if isinstance(payload, str):
                payload = json.loads(payload)
            if isinstance(payload, dict) and payload.get("cmd") == "item":
                await self._confirm_item(peer, m, payload)

    async def _confirm_item(self, peer: int, m, payload: dict) -> None:
        occ = date.fromisoformat(payload["occ"])
        key = (payload["role"], payload["scope"], payload["item"], occ)
        choice = self.confirm_plan[key]
        local_day = self.h.clock.now.astimezone(self.unit_tz[key[:2]]).date()
        if choice == "never" or (choice == "due_day" and local_day != self.item_reminder_days(occ)[-1]):
            return
        h = self.h
        h.emu.callback(peer, payload, conversation_message_id=m.conversation_message_id)
        await self._reply_check(peer, "Отметить пункт")  # asked first
        h.emu.callback(peer, {**payload, "sure": 1}, conversation_message_id=m.conversation_message_id)
        await self._reply_check(peer, "Пришлите ссылку" if ITEMS[key[2]][2] else "Отмечено")
        if ITEMS[key[2]][2]:
            h.emu.say(peer, f"https://vk.com/wall-1_{key[2]}{occ:%m%d}")
            await self._reply_check(peer, "Отмечено")
        self.totals.confirmed.add(key)

    async def _reply_check(self, peer: int, expect: str) -> None:
        before = self._seen.get(peer, 0)
        await self.h.settle(limit_s=60)
        got = self.h.emu.delivered(peer)[before:]
        self._seen[peer] = before + len(got)
        self.totals.actions += 1
        self.totals.replies += len(got)
        if not got or not any(expect.lower() in m.text.lower() for m in got):
            self.totals.unanswered.append(f"{peer}: expected {expect!r}, got {[m.text[:60] for m in got]}")

    async def _act(self, batch: list[tuple[str, Submission]]) -> None:
        """Submissions are typed by everyone at once (the dispatcher keeps each person's order);
        corrections go button by button."""
        h = self.h
        submits = [s for kind, s in batch if kind == "submit"]
        for s in submits:
            for typed in ("/report", str(s.staff), str(s.active), texts.BTN_SEND):
                h.emu.say(s.org.admin, typed)
        if submits:
            await h.settle(limit_s=60)
            for s in submits:
                before = self._seen.get(s.org.admin, 0)
                got = h.emu.delivered(s.org.admin)[before:]
                self._seen[s.org.admin] = before + len(got)
                self.totals.actions += 4
                self.totals.replies += len(got)
                expect = "Отчёт принят"
                if not any(m.text.startswith(expect) for m in got):
                    self.totals.unanswered.append(f"{s.org.admin}: {[m.text[:60] for m in got]}")
                elif s.behaviour == "late" and not any(texts.FORM_SENT_LATE in m.text for m in got):
                    self.totals.unanswered.append(f"{s.org.admin}: late submission not marked late")
        for kind, s in batch:
            if kind != "correct":
                continue
            admin = s.org.admin
            h.emu.say(admin, "/report")
            await self._reply_check(admin, "уже отправлен")
            for label, expect in ((texts.REPORT_EDIT, "Проверьте ответы"), (texts.BTN_FIX, texts.FORM_PICK),
                                  ("2", "Сколько из них")):
                h.emu.press(admin, label) if label != "2" else h.emu.say(admin, label)
                await self._reply_check(admin, expect)
            h.emu.say(admin, str(s.corrected_active))
            await self._reply_check(admin, "Проверьте ответы")
            h.emu.say(admin, texts.BTN_SEND)
            await self._reply_check(admin, "Исправление принято")

    # -- what should have happened ---------------------------------------------------------

    def expected_form_reminders(self, org: Org, muni: Muni) -> list[date]:
        """The days the organization's admin is reminded of the weekly form: the working day before each due date
        (or the due date itself) where the form was not yet sent by the reminder's time."""
        days = []
        for period in PERIODS:
            s = self.submissions[(org.id, period)]
            sent_at = None
            if s.behaviour != "missing":
                _, before, at = BEHAVIOURS[s.behaviour]
                sent_at = datetime.combine(period - timedelta(days=before), at, muni.tz)
            # one reminder a day, at the form's first time; the 15:00 one goes with it
            if sent_at is None or sent_at > datetime.combine(prev_working(period), REMIND_AT[0], muni.tz):
                days.append(prev_working(period))
        return days

    @staticmethod
    def reminder_moment(day: date, tz: ZoneInfo) -> datetime:
        """When a day's one reminder goes: with the weekly form's first reminder on its days, else at the items'
        time."""
        form_days = {prev_working(p) for p in PERIODS}
        return datetime.combine(day, REMIND_AT[0] if day in form_days else ITEM_REMIND_AT, tz)

    def item_reminder_days(self, occ: date) -> list[date]:
        return sorted({prev_working(occ - timedelta(days=n)) for n in ITEM_DAYS_BEFORE})

    def expected_item_reminders(self, role: str, scope: str, muni: Muni, end: datetime) -> list[date]:
        """The days a unit is reminded of its items: each occurrence's reminder days until it confirms (after the
        first reminder, on the due day, or never)."""
        out: list[date] = []
        for item, (responsible, occurrences, _link) in ITEMS.items():
            if role not in responsible:
                continue
            for occ in occurrences:
                days = [d for d in self.item_reminder_days(occ) if self.reminder_moment(d, muni.tz) < end]
                choice = self.confirm_plan.get((role, scope, item, occ))
                if choice is None:
                    continue  # not this unit's item (item 2 and the authority-type organizations)
                out += days[:1] if choice == "first" else days
        return out

    def expected_overdue(self, muni: Muni, end: datetime) -> dict[tuple[int, str, date], list[frozenset[str]]]:
        """(peer, item, occurrence) -> one set per notice: the names of the units that had not confirmed
        (a region's coordinators get one notice per municipality)."""
        out: dict[tuple[int, str, date], list[frozenset[str]]] = {}
        for item, (responsible, occurrences, _link) in ITEMS.items():
            for occ in occurrences:
                if datetime.combine(next_working(occ + timedelta(days=1)), ITEM_REMIND_AT, muni.tz) >= end:
                    continue
                if "organization" in responsible:
                    late = {o.name for o in muni.orgs
                            if self.confirm_plan.get(("organization", o.id, item, occ)) == "never"}
                    if late:
                        out[(muni.chat, item, occ)] = [frozenset(late)]
                if "municipality" in responsible and \
                        self.confirm_plan[("municipality", str(muni.id), item, occ)] == "never":
                    out[(self.region_coordinator, item, occ)] = [frozenset({muni.name})]
        return out

    def expected_summary(self, muni: Muni, period: date) -> dict[str, str]:
        """Coverage and each target's percentage as of the 18:00 summary; a period without data for a target shows
        the last period's value that had data, with that period's date (bot/domain/judgment.py)."""
        reported, sums = self._summed(muni, period)
        out = {"coverage": f"Сдали: {reported} из {len(muni.orgs)} организаций ({pct(reported, len(muni.orgs))}\u00a0%)"}
        for title, (num, den) in sums.items():
            if den:
                out[title] = f"• {title}: {pct(num, den)}\u00a0% (цель 100\u00a0%)"
                continue
            summary = datetime.combine(period, SUMMARY_AT, muni.tz)
            earlier = [(p, self._summed(muni, p, as_of=summary)[1][title]) for p in PERIODS if p < period]
            last = next(((p, n, d) for p, (n, d) in reversed(earlier) if d), None)
            out[title] = (f"• {title}: {pct(last[1], last[2])}\u00a0% (цель 100\u00a0%) — на {last[0]:%d.%m.%Y}; "
                          f"за период до {period:%d.%m.%Y} данных нет") if last else f"• {title}: данных нет"
        return out

    def _summed(self, muni: Muni, period: date, as_of: datetime | None = None) -> tuple[int, dict[str, list[int]]]:
        """Coverage and sums of `period` as stored by `as_of` (by default its own summary): a late submission is not in
        its period's summary but is in the next one's, where a target without data this week shows last week's."""
        cutoff = as_of or datetime.combine(period, SUMMARY_AT, muni.tz)
        reported = 0
        sums: dict[str, list[int]] = {TEACHERS: [0, 0], AUTHORITY: [0, 0]}
        for org in muni.orgs:
            s = self.submissions[(org.id, period)]
            if s.behaviour == "missing":
                continue
            _, before, at = BEHAVIOURS[s.behaviour]
            if datetime.combine(period - timedelta(days=before), at, muni.tz) >= cutoff:
                assert s.behaviour == "late", s  # every other behaviour is in before its period's summary
                continue
            reported += 1
            target = AUTHORITY if org.type == "authority" else TEACHERS
            sums[target][0] += s.final()
            sums[target][1] += s.staff
        return reported, sums

    # -- the verdict -----------------------------------------------------------------------

    async def check(self, end: datetime = SEASON_END) -> list[str]:
        """Every mismatch between what the bot did and what the plan implies (empty: all right)."""
        h, totals = self.h, self.totals
        problems = list(totals.unanswered)
        expected: Counter = Counter()
        reminded: Counter = Counter()  # (peer, kind, day): what is asked on which day, not only how often
        overdue: dict[tuple[int, str, date], list[frozenset[str]]] = defaultdict(list)
        for muni in self.munis:
            for peer, kind, days in [
                    *((org.admin, "form_reminder", self.expected_form_reminders(org, muni)) for org in muni.orgs),
                    *((org.admin, "item_reminder", self.expected_item_reminders("organization", org.id, muni, end))
                      for org in muni.orgs),
                    (muni.coordinator, "item_reminder",
                     self.expected_item_reminders("municipality", str(muni.id), muni, end))]:
                expected[(peer, kind)] = len(days)
                reminded.update((peer, kind, day) for day in days)
            expected[(muni.chat, "summary")] = len(PERIODS)
            for key, notices in self.expected_overdue(muni, end).items():
                overdue[key] += notices
        # the notices of one morning reach a peer as one message
        mornings = {(peer, next_working(occ + timedelta(days=1))) for peer, _item, occ in overdue}
        for peer, _day in mornings:
            expected[(peer, "overdue")] += 1
        got = Counter({k: v for k, v in totals.pushed.items() if v})
        for key in sorted(set(got) | set(+expected)):
            if got[key] != expected[key]:
                problems.append(f"{key}: {got[key]} messages, expected {expected[key]}")
        for key in sorted(set(+totals.reminded) | set(reminded)):
            if totals.reminded[key] != reminded[key]:
                problems.append(f"{key}: reminded {totals.reminded[key]} times that day, expected {reminded[key]}")
        # the overdue notices name exactly the units that never confirmed
        for key in sorted(set(totals.overdue) ^ set(overdue)):
            problems.append(f"overdue notice {key}: {'unexpected' if key in totals.overdue else 'missing'}")
        for key, notices in overdue.items():
            listed = totals.overdue.get(key, [])
            if sorted(map(sorted, listed)) != sorted(map(sorted, notices)):
                problems.append(f"overdue notices {key} list {listed}, expected {notices}")
        # every weekly summary carries the coverage and percentages computed here
        for muni in self.munis:
            for period in PERIODS:
                text = totals.summaries.get((muni.chat, period), "")
                for line in self.expected_summary(muni, period).values():
                    if line not in text:
                        problems.append(f"summary {muni.name} {period}: no line {line!r}")
        # one reminder message a person a day
        problems += [f"{peer}: {n} reminders on {day}" for (peer, day), n in totals.daily.items() if n > 1]
        # nothing was sent twice: each delivery to a peer has its own random_id; no push repeats
        deliveries = [m for msgs in h.emu.record.values() for m in msgs]
        # (random_id is what VK deduplicates a peer's messages by; across peers a repeat is a coincidence)
        if len({(m.peer_id, m.random_id) for m in deliveries}) != len(deliveries):
            problems.append("a random_id was delivered twice to one peer")
        # (the same words on two days are two reminders: «срок в воскресенье, 31.03» from Thursday and from Friday)
        for (peer, day, text), n in totals.said.items():
            if n > 1 and category(text) != "other":
                problems.append(f"{peer} got {n} times on {day}: {text[:80]} … {text[80:200]}")
        # what is stored: one submission per organization and period, the last value, the late flag
        repo = h.app.repos.reports
        for (org_id, period), s in self.submissions.items():
            stored = await repo.submission(org_id, ROADMAP_ID, "weekly", period.isoformat())
            if stored is None:
                if s.behaviour != "missing":
                    problems.append(f"lost: {org_id} {period}")
                continue
            if s.behaviour == "missing":
                problems.append(f"unexpected submission {org_id} {period}")
            elif stored.late != (s.behaviour == "late"):
                problems.append(f"late flag {org_id} {period}: {stored.late}")
            elif await repo.figures(stored.id) != {"staff_total": s.staff, "staff_active": s.final()}:
                problems.append(f"figures {org_id} {period}: {await repo.figures(stored.id)}")
        for key, choice in self.confirm_plan.items():
            role, scope, item, occ = key
            conf = await h.app.repos.items.confirmation(ROADMAP_ID, item, occ.isoformat(), role, scope)
            if (conf is not None) != (choice != "never"):
                problems.append(f"confirmation {key}: planned {choice}, stored {conf is not None}")
        return problems
