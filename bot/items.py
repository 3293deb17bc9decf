"""Roadmap items: who is responsible, what is open, confirming one (with a link where asked)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.chats import ConversationRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo

from . import keyboards, texts
from .access import Actor
from .periods import local_today
from .reporting import Reply, RoadmapCache, fmt_date
from .roadmap import Item, Roadmap
from .schedule import item_occurrences

EVIDENCE_STATE = "item_evidence"
_URL = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z\u0430-\u044f\u0451]{2,}(/\S*)?$", re.IGNORECASE)


def looks_like_url(text: str) -> str | None:
    s = text.strip()
    if len(s) > 2000 or not _URL.match(s):
        return None
    return s if s.lower().startswith(("http://", "https://")) else "https://" + s


@dataclass(frozen=True)
class Unit:
    role: str
    scope: str
    name: str
    region: str
    municipality: str | None
    org_type: str | None
    timezone: str


@dataclass(frozen=True)
class OpenItem:
    roadmap: Roadmap
    item: Item
    occurrence: date
    unit: Unit
    overdue: bool


class ItemService:
    def __init__(self, roadmaps: RoadmapCache, items: ItemRepo, directory: DirectoryRepo,
                 conversations: ConversationRepo, default_timezone: str) -> None:
        self.roadmaps = roadmaps
        self.items = items
        self.directory = directory
        self.conversations = conversations
        self.default_timezone = default_timezone

    async def units_of(self, actor: Actor) -> list[Unit]:
        out: list[Unit] = []
        for role in actor.roles:
            if role.role == "organization":
                org = await self.directory.organization(role.scope_id)
                muni = await self.directory.municipality(org.municipality_id) if org else None
                region = await self.directory.region(muni.region_id) if muni else None
                if org and muni and region:
                    out.append(Unit("organization", org.id, org.name, region.name, muni.name, org.type, muni.timezone))
            elif role.role == "municipality" and role.scope_id.isdigit():
                muni = await self.directory.municipality(int(role.scope_id))
                region = await self.directory.region(muni.region_id) if muni else None
                if muni and region:
                    out.append(Unit("municipality", role.scope_id, muni.name, region.name, muni.name, None,
                                    muni.timezone))
            elif role.role == "region" and role.scope_id.isdigit():
                region = await self.directory.region(int(role.scope_id))
                if region:
                    out.append(Unit("region", role.scope_id, region.name, region.name, None, None,
                                    self.default_timezone))
        return out

    @staticmethod
    def responsible(item: Item, unit: Unit, roadmap: Roadmap) -> bool:
        if not item.confirm or unit.role not in item.responsible:
            return False
        if unit.role == "organization" and item.org_types is not None and unit.org_type not in item.org_types:
            return False
        if unit.municipality is None:
            return roadmap.roadmap.region is None or roadmap.roadmap.region == unit.region
        return roadmap.roadmap.covers(unit.region, unit.municipality)

    async def open_items(self, actor: Actor, now: datetime, horizon_days: int = 31) -> list[OpenItem]:
        out: list[OpenItem] = []
        for unit in await self.units_of(actor):
            today = local_today(now, unit.timezone)
            for rm in await self.roadmaps.all():
                for item in rm.item:
                    if not self.responsible(item, unit, rm):
                        continue
                    for occ in item_occurrences(item, rm):
                        if (occ - today).days > horizon_days:
                            break
                        if await self.items.confirmation(rm.id, item.id, occ.isoformat(), unit.role, unit.scope):
                            continue
                        out.append(OpenItem(rm, item, occ, unit, occ < today))
        out.sort(key=lambda o: o.occurrence)
        return out

    async def list_open(self, actor: Actor, now: datetime) -> Reply:
        items = await self.open_items(actor, now)
        if not items:
            return Reply(texts.ITEMS_NONE)
        lines = [texts.ITEMS_HEAD]
        for n, o in enumerate(items[:15], 1):
            lines.append(texts.ITEMS_LINE.format(n=n, id=o.item.id, title=o.item.title[:80], unit=o.unit.name,
                                                 due=fmt_date(o.occurrence),
                                                 overdue=texts.ITEMS_OVERDUE if o.overdue else ""))
        if len(items) > 15:
            lines.append(texts.ITEMS_MORE.format(n=len(items) - 15))
        rows = [[(f"{texts.ITEM_DONE_BUTTON}: п. {o.item.id}"[:40], _payload(o))] for o in items[:6]]
        return Reply("\n".join(lines), keyboard=keyboards.callback_keyboard(rows))

    async def confirm(self, actor: Actor, payload: dict[str, Any], now: datetime) -> Reply:
        """A "Выполнено" press. Everything in the payload is re-checked against our database."""
        found = await self._resolve(actor, payload)
        if found is None:
            return Reply(texts.ITEM_NOT_YOURS)
        rm, item, occ, unit = found
        if await self.items.confirmation(rm.id, item.id, occ.isoformat(), unit.role, unit.scope):
            return Reply(texts.ITEM_ALREADY.format(id=item.id))
        if item.evidence == "link":
            await self.conversations.set(actor.vk_id, EVIDENCE_STATE, _payload_of(rm, item, occ, unit))
            return Reply(texts.ITEM_ASK_LINK.format(id=item.id, title=item.title),
                         buttons=[[(texts.BTN_CANCEL, {"cmd": "cancel"})]])
        await self.items.confirm(rm.id, item.id, occ.isoformat(), unit.role, unit.scope, actor.vk_id, now, None)
        return Reply(texts.ITEM_CONFIRMED.format(id=item.id, title=item.title, unit=unit.name))

    async def evidence(self, actor: Actor, text: str, now: datetime) -> Reply:
        conv = await self.conversations.get(actor.vk_id)
        data = conv.data if conv else {}
        found = await self._resolve(actor, data)
        if found is None:
            await self.conversations.clear(actor.vk_id)
            return Reply(texts.ITEM_NOT_YOURS)
        url = looks_like_url(text)
        if url is None:
            return Reply(texts.ITEM_BAD_LINK, buttons=[[(texts.BTN_CANCEL, {"cmd": "cancel"})]])
        rm, item, occ, unit = found
        await self.items.confirm(rm.id, item.id, occ.isoformat(), unit.role, unit.scope, actor.vk_id, now, url)
        await self.conversations.clear(actor.vk_id)
        return Reply(texts.ITEM_CONFIRMED.format(id=item.id, title=item.title, unit=unit.name))

    async def _resolve(self, actor: Actor, payload: dict[str, Any]) -> tuple[Roadmap, Item, date, Unit] | None:
        rm = await self.roadmaps.get(str(payload.get("rm", "")))
        item = next((i for i in rm.item if i.id == str(payload.get("item", ""))), None) if rm else None
        if rm is None or item is None:
            return None
        try:
            occ = date.fromisoformat(str(payload.get("occ", "")))
        except ValueError:
            return None
        if occ not in item_occurrences(item, rm):
            return None
        unit = next((u for u in await self.units_of(actor)
                     if u.role == payload.get("role") and u.scope == payload.get("scope")), None)
        if unit is None or not self.responsible(item, unit, rm):
            return None
        return rm, item, occ, unit


def _payload_of(rm: Roadmap, item: Item, occ: date, unit: Unit) -> dict[str, Any]:
    return {"cmd": "item", "rm": rm.id, "item": item.id, "occ": occ.isoformat(), "role": unit.role,
            "scope": unit.scope}


def _payload(o: OpenItem) -> dict[str, Any]:
    return _payload_of(o.roadmap, o.item, o.occurrence, o.unit)
