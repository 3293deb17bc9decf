"""Roadmap items: who is responsible, what is open, confirming one (with a link where asked)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.dialog import Dialog
from bot.domain.models import Conversation
from bot.domain.periods import local_today
from bot.domain.roadmap import Item, Roadmap
from bot.domain.schedule import at_rest, item_occurrences, item_state, report_date
from bot.domain.scope import Scope
from bot.services.access import Actor
from bot.services.roadmaps import RoadmapCache
from bot.views.message import Button, Reply, Screen
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import fmt_date, short
from storage.chats import ConversationRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo

ITEM, ITEMS_PAGE = CommandId.ITEM, CommandId.ITEMS_PAGE
PAGE = 8  # items a page lists: what a phone shows without scrolling (fewer where the messenger fits fewer buttons)
ITEMS_PER_ROW = 4
_URL = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z\u0430-\u044f\u0451]{2,}(/\S*)?$", re.IGNORECASE)


def looks_like_url(text: str) -> str | None:
    s = text.strip()
    if len(s) > 2000 or not _URL.match(s):
        return None
    return s if s.lower().startswith(("http://", "https://")) else "https://" + s


@dataclass(frozen=True)
class Responsible:
    """A scope that may confirm items, with what decides which items are its own."""

    scope: Scope
    region: str
    municipality: str | None
    org_type: str | None
    timezone: str


@dataclass(frozen=True)
class OpenItem:
    roadmap: Roadmap
    item: Item
    occurrence: date
    unit: Responsible
    state: str  # bot.domain.schedule.item_state: "open", "awaiting" its report, "overdue"

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


class ItemService:
    def __init__(self, roadmaps: RoadmapCache, item_repo: ItemRepo, directory_repo: DirectoryRepo,
                 conversation_repo: ConversationRepo, default_timezone: str, screen: Screen) -> None:
        # a page's «✓» buttons and its two arrows fit under one message
        self.page = min(PAGE, screen.buttons - 2, (screen.rows - 1) * ITEMS_PER_ROW)
        self.roadmaps = roadmaps
        self.item_repo = item_repo
        self.directory_repo = directory_repo
        self.conversation_repo = conversation_repo
        self.default_timezone = default_timezone

    async def responsible_for(self, actor: Actor) -> list[Responsible]:
        out: list[Responsible] = []
        for role in actor.roles:
            if role.role == "organization":
                org = await self.directory_repo.organization(role.scope_id)
                muni = await self.directory_repo.municipality(org.municipality_id) if org else None
                region = await self.directory_repo.region(muni.region_id) if muni else None
                if org and muni and region:
                    out.append(Responsible(Scope("organization", org.id, org.name), region.name, muni.name, org.type,
                                           muni.timezone))
            elif role.role == "municipality" and role.scope_id.isdigit():
                muni = await self.directory_repo.municipality(int(role.scope_id))
                region = await self.directory_repo.region(muni.region_id) if muni else None
                if muni and region:
                    out.append(Responsible(Scope("municipality", role.scope_id, muni.name), region.name, muni.name,
                                           None, muni.timezone))
            elif role.role == "region" and role.scope_id.isdigit():
                region = await self.directory_repo.region(int(role.scope_id))
                if region:
                    out.append(Responsible(Scope("region", role.scope_id, region.name), region.name, None, None,
                                           self.default_timezone))
        return out

    @staticmethod
    def is_responsible(item: Item, unit: Responsible, roadmap: Roadmap) -> bool:
        if not item.confirm or unit.scope.level not in item.responsible:
            return False
        if unit.scope.level == "organization" and item.org_types is not None and unit.org_type not in item.org_types:
            return False
        if unit.municipality is None:
            return roadmap.roadmap.region is None or roadmap.roadmap.region == unit.region
        return roadmap.roadmap.covers(unit.region, unit.municipality)

    async def open_items(self, actor: Actor, now: datetime, horizon_days: int = 31) -> list[OpenItem]:
        out: list[OpenItem] = []
        for unit in await self.responsible_for(actor):
            today = local_today(now, unit.timezone)
            for rm in await self.roadmaps.all():
                for item in rm.item:
                    if not self.is_responsible(item, unit, rm):
                        continue
                    for occ in item_occurrences(item, rm):
                        if (occ - today).days > horizon_days:
                            break
                        if at_rest(rm, occ, today):
                            continue
                        if await self.item_repo.confirmation(rm.id, item.id, occ.isoformat(), unit.scope.level, unit.scope.id):
                            continue
                        out.append(OpenItem(rm, item, occ, unit, item_state(item, occ, today)))
        # each roadmap's items together (the one with the earliest date first), under their sections in the file's
        # order (v3), by date inside each
        first = {}
        for o in sorted(out, key=lambda o: o.occurrence):
            first.setdefault(o.roadmap.id, o.occurrence)
        out.sort(key=lambda o: (first[o.roadmap.id], o.roadmap.id, o.roadmap.section_of(o.item)[0], o.occurrence))
        return out

    async def list_open(self, actor: Actor, now: datetime, page: int = 0) -> Reply:
        """The person's open items, a page at a time: each numbered line has its «✓ N» button (as many as fit under
        one message with the pages' arrows: eight on VK), so every item can be reached."""
        items = await self.open_items(actor, now)
        if not items:
            return Reply(texts.ITEMS_NONE)
        page_size = self.page
        pages = (len(items) + page_size - 1) // page_size
        page = min(max(page, 0), pages - 1)
        shown = list(enumerate(items, 1))[page * page_size:(page + 1) * page_size]
        head = texts.ITEMS_HEAD if pages == 1 else texts.ITEMS_HEAD_PAGED.format(
            page=page + 1, pages=pages, total=len(items))
        lines = [head]
        # each line and its button carry the roadmap's own item number («п. 2», «✓ п. 2»): a list counted 1, 2, 3
        # beside «Пункт 2», «Пункт 3» had not matched its buttons; an item shown twice (two units, two dates) gets
        # a letter
        marks = dict(zip((n for n, _ in shown), item_marks([o.item.number for _, o in shown]), strict=True))
        # a page of one roadmap's items still names it when the list holds several (page 2 had not said whose)
        several = len({o.roadmap.id for o in items}) > 1
        for (n, o), heading in zip(shown, headings([(o.roadmap, o.item) for _, o in shown], several),
                                   strict=True):
            if heading:
                lines.append(heading)
            lines.append(texts.ITEMS_LINE.format(id=marks[n], title=short(o.item.title, 80), unit=o.unit.scope.name,
                                                 due=fmt_date(o.occurrence),
                                                 overdue=texts.ITEMS_OVERDUE if o.overdue else texts.ITEMS_AWAITING.format(
                                                     date=fmt_date(report_date(o.item, o.occurrence)))
                                                 if o.state == "awaiting" else ""))
            about = item_about(o.item)
            if about:
                lines.append(f"   {about}")
        lines.append(texts.ITEMS_HOW)
        done = [Button(texts.ITEMS_DONE_N.format(id=marks[n]), ITEM,
                       item_args(o.roadmap, o.item, o.occurrence, o.unit.scope)) for n, o in shown]
        rows: list[list[Button]] = [done[i:i + ITEMS_PER_ROW] for i in range(0, len(done), ITEMS_PER_ROW)]
        nav = ([Button(texts.ITEMS_PREV, ITEMS_PAGE, {"p": page - 1})] if page > 0 else []) + \
            ([Button(texts.ITEMS_NEXT, ITEMS_PAGE, {"p": page + 1})] if page + 1 < pages else [])
        if nav:
            rows.append(nav)
        return Reply("\n".join(lines), rows, callback=True)

    async def confirm(self, actor: Actor, args: Mapping[str, Any], now: datetime) -> Reply:
        """A «Выполнено» press asks first (one tap had marked an item done); «Да, выполнено» marks it, and
        «Снять отметку» under the answer undoes it. Everything in the payload is re-checked against our database."""
        found = await self._resolve(actor, args)
        if found is None:
            return Reply(texts.ITEM_NOT_YOURS)
        rm, item, occ, unit = found
        ref = item_args(rm, item, occ, unit.scope)
        said = {"id": item.number, "title": short(item.title, 80), "unit": unit.scope.name, "due": fmt_date(occ)}
        existing = await self.item_repo.confirmation(rm.id, item.id, occ.isoformat(), unit.scope.level, unit.scope.id)
        if args.get("undo") == 1:
            if existing is None:
                return Reply(texts.ITEM_NOT_MARKED.format(**said))
            await self.item_repo.unconfirm(rm.id, item.id, occ.isoformat(), unit.scope.level, unit.scope.id)
            return Reply(texts.ITEM_UNMARKED.format(**said), [[Button(texts.ITEM_DONE_BUTTON, ITEM, ref)]],
                         callback=True)
        if existing is not None:
            return Reply(texts.ITEM_ALREADY.format(id=item.number),
                         undo(ref), callback=True)
        if args.get("no") == 1:
            return Reply(texts.ITEM_LEFT_OPEN.format(**said))
        if args.get("sure") != 1:
            return Reply(texts.ITEM_ASK_SURE.format(**said),
                         [[Button(texts.BTN_ITEM_YES, ITEM, {**ref, "sure": 1}),
                           Button(texts.BTN_ITEM_NO, ITEM, {**ref, "no": 1})]], callback=True)
        if item.evidence == "link":
            await self.conversation_repo.set(actor.person_id, Dialog.ITEM_EVIDENCE, item_args(rm, item, occ, unit.scope))
            return Reply(texts.ITEM_ASK_LINK.format(id=item.number, title=item.title),
                         buttons=[[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])
        await self.item_repo.confirm(rm.id, item.id, occ.isoformat(), unit.scope.level, unit.scope.id, actor.person_id, now, None)
        return Reply(texts.ITEM_CONFIRMED.format(id=item.number, title=item.title, unit=unit.scope.name),
                     undo(ref), callback=True)

    async def evidence(self, actor: Actor, text: str, now: datetime, conv: Conversation | None) -> Reply:
        """The link for an item pressed «Выполнено»; `conv` is the open dialog the router has read."""
        data = conv.data if conv else {}
        found = await self._resolve(actor, data)
        if found is None:
            await self.conversation_repo.clear(actor.person_id)
            return Reply(texts.ITEM_NOT_YOURS)
        url = looks_like_url(text)
        if url is None:
            return Reply(texts.ITEM_BAD_LINK, buttons=[[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])
        rm, item, occ, unit = found
        await self.item_repo.confirm(rm.id, item.id, occ.isoformat(), unit.scope.level, unit.scope.id, actor.person_id, now, url)
        await self.conversation_repo.clear(actor.person_id)
        return Reply(texts.ITEM_CONFIRMED.format(id=item.number, title=item.title, unit=unit.scope.name),
                     undo(item_args(rm, item, occ, unit.scope)),
                     callback=True)

    async def _resolve(self, actor: Actor, args: Mapping[str, Any]) -> tuple[Roadmap, Item, date, Responsible] | None:
        rm = await self.roadmaps.get(str(args.get("rm", "")))
        item = next((i for i in rm.item if i.id == str(args.get("item", ""))), None) if rm else None
        if rm is None or item is None:
            return None
        try:
            occ = date.fromisoformat(str(args.get("occ", "")))
        except ValueError:
            return None
        if occ not in item_occurrences(item, rm):
            return None
        unit = next((u for u in await self.responsible_for(actor)
                     if u.scope.level == args.get("role") and u.scope.id == args.get("scope")), None)
        if unit is None or not self.is_responsible(item, unit, rm):
            return None
        return rm, item, occ, unit


def headings(listed: list[tuple[Roadmap, Item]], several: bool | None = None) -> list[str | None]:
    """The heading each listed item starts, if any (items grouped by roadmap, then by `Roadmap.section_of`): the
    roadmap's name where several are listed (`several`: of the whole list, of which `listed` may be one page); a
    section's title where the section changes (v3); «Другие пункты:» where a roadmap's unsectioned items follow its
    sectioned ones."""
    if several is None:
        several = len({rm.id for rm, _ in listed}) > 1
    out: list[str | None] = []
    current: tuple[str, str | None] | None = None
    for rm, item in listed:
        section = rm.section_of(item)[1]
        here = (rm.id, section.title if section else None)
        lines = []
        if several and (current is None or current[0] != rm.id):
            lines.append(texts.ITEMS_ROADMAP.format(title=short(rm.roadmap.title, 60)))
        if here[1] is not None and here != current:
            lines.append(here[1])
        elif here[1] is None and current is not None and current[0] == rm.id and current[1] is not None:
            lines.append(texts.ITEMS_NO_SECTION)
        out.append("\n".join(lines) or None)
        current = here
    return out


def item_about(item: Item) -> str:
    """What the order says of an item beyond its title (v3): who is named responsible, since when it runs."""
    parts = []
    if item.responsible_person:
        parts.append(texts.ITEM_PEOPLE.format(people=item.responsible_person))
    if item.history_from is not None:
        parts.append(texts.ITEM_SINCE.format(since=f"{item.history_from:%m.%Y}"))
    return "; ".join(parts)


def undo(ref: Mapping[str, Any]) -> list[list[Button]]:
    """«Снять отметку» under an item just marked (declared here only)."""
    return [[Button(texts.BTN_ITEM_UNDO, ITEM, {**ref, "undo": 1})]]


def item_marks(ids: list[str]) -> list[str]:
    """Each item's number as its line and button show it: the roadmap's own («4»), with a letter where one item
    is listed twice (two organizations, two dates): «4а», «4б»."""
    out = []
    for n, item_id in enumerate(ids):
        out.append(item_id + (chr(ord("а") + ids[:n].count(item_id)) if ids.count(item_id) > 1 else ""))
    return out


def item_args(rm: Roadmap, item: Item, occurrence: date, scope: Scope) -> dict[str, str]:
    """Which item occurrence a «Выполнено» button confirms, and for whom; checked again when pressed."""
    return {"rm": rm.id, "item": item.id, "occ": occurrence.isoformat(), "role": scope.level, "scope": scope.id}
