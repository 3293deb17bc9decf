"""Who is responsible for a roadmap's items in a territory and who has confirmed them: read once here for the
summaries' item lines (`SummaryService.item_states`) and for the Excel's «Пункты» sheet, so both count alike."""

from __future__ import annotations

from datetime import date

from bot.domain.roadmap import Item, Roadmap
from bot.domain.schedule import item_occurrences, item_state
from bot.services.figures import Territory
from bot.views.sheets import Sheet
from bot.words import texts
from bot.words.format import fmt_date, short
from storage.directory import DirectoryRepo
from storage.items import ItemRepo

Unit = tuple[str, str, str, str | None]  # role, scope id, name, organization type
AHEAD_DAYS = 14  # dates this far ahead are shown beside the passed ones


async def territory_units(directory_repo: DirectoryRepo, scope: Territory) -> list[Unit]:
    """Everyone who may be responsible for an item in `scope`: its region, municipalities and organizations."""
    units: list[Unit] = []
    if scope.level == "region":
        units.append(("region", str(scope.id), scope.name, None))
    for m in scope.municipalities:
        units.append(("municipality", str(m.id), m.name, None))
        units += [("organization", o.id, o.name, o.type)
                  for o in await directory_repo.organizations_of_municipality(m.id)]
    return units


def responsible_units(item: Item, units: list[Unit]) -> list[tuple[str, str, str]]:
    """(role, scope id, name) of those `item` asks to confirm."""
    return [(role, sid, name) for role, sid, name, kind in units if role in item.responsible
            and (role != "organization" or item.org_types is None or kind in item.org_types)]


async def items_sheet(covered: list[tuple[Roadmap, Territory]], directory_repo: DirectoryRepo, item_repo: ItemRepo,
                      today: date) -> Sheet | None:
    """The «Пункты» sheet: every item (a stage as its own row) under its section's title, with its due dates up to
    two weeks ahead, how many of those responsible confirmed each and who has not. None when no roadmap has items."""
    rows: list[list] = []
    headings: set[int] = set()
    for rm, scope in covered:
        if not rm.item or scope.level == "country":
            continue
        units = await territory_units(directory_repo, scope)
        ordered = sorted(enumerate(rm.item), key=lambda e: (rm.section_of(e[1])[0], e[0]))
        if not rm.section and len(covered) > 1:  # a plan without sections: its name, where there are several
            headings.add(len(rows))
            rows.append([rm.roadmap.title, "", "", "", "", "", ""])
        current: object = ()
        for _, item in ordered:
            section = rm.section_of(item)[1]
            if rm.section and section is not current:
                current = section
                headings.add(len(rows))
                title = section.title if section else texts.ITEMS_NO_SECTION.rstrip(":")
                rows.append([title if len(covered) == 1 else f"{rm.roadmap.title}: {title}", "", "", "", "", "", ""])
            mine = responsible_units(item, units)
            occurrences = item_occurrences(item, rm)
            due = [occ for occ in occurrences if (occ - today).days <= AHEAD_DAYS]
            base = [item.number, item.title, item.responsible_person or ""]
            if not occurrences:
                rows.append([*base, texts.EXPORT_ITEM_NO_DATE, "", "", ""])
                continue
            if not item.confirm or not due:  # nothing to confirm yet (or ever): its next date
                ahead = [occ for occ in occurrences if occ >= today]
                rows.append([*base, fmt_date(ahead[0] if ahead else occurrences[-1]), "", "", ""])
                continue
            for occ in due:
                done = await item_repo.confirmed_units(rm.id, item.id, occ.isoformat())
                waiting = [name for role, sid, name in mine if (role, sid) not in done]
                state = texts.EXPORT_ITEM_STATES[item_state(item, occ, today)] if waiting else texts.EXPORT_ITEM_DONE
                rows.append([*base, fmt_date(occ), f"{len(mine) - len(waiting)} из {len(mine)}", state,
                             short("; ".join(waiting), 1000)])
    if not rows:
        return None
    return Sheet(texts.EXPORT_ITEMS_SHEET, texts.EXPORT_ITEMS_HEADER, rows, frozenset(headings), {},
                 frozenset({1, 2, 6}))
