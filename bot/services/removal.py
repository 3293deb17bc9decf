"""Taking an organization out of the directory (closed, merged): what becomes of its admins and figures,
said before it is done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.words import texts
from bot.words.format import fmt_number
from storage.directory import DirectoryRepo
from storage.people import PeopleRepo
from storage.reports import ReportRepo


@dataclass(frozen=True)
class Removal:
    found: bool
    done: bool
    text: str


class RemovalService:
    def __init__(self, directory_repo: DirectoryRepo, people_repo: PeopleRepo, report_repo: ReportRepo) -> None:
        self.directory_repo = directory_repo
        self.people_repo = people_repo
        self.report_repo = report_repo

    async def remove(self, org_id: str, confirmed: bool, now: datetime) -> Removal:
        """Without `confirmed`, only what would happen; with it, done."""
        org = await self.directory_repo.organization(org_id.strip())
        if org is None:
            return Removal(False, False, texts.REMOVE_NOT_FOUND.format(id=org_id.strip()[:40]))
        municipality = await self.directory_repo.municipality(org.municipality_id)
        admins = len(await self.people_repo.holders("organization", org.id))
        reports = await self.report_repo.count_for(org.id)
        what = texts.REMOVE_WHAT.format(name=org.name, id=org.id, municipality=municipality.name if municipality else "",
                                        admins=fmt_number(admins), reports=fmt_number(reports))
        if not confirmed:
            return Removal(True, False, what + "\n\n" + texts.REMOVE_CONFIRM.format(id=org.id))
        await self.directory_repo.remove_organization(org.id, now)
        return Removal(True, True, texts.REMOVE_DONE + "\n" + what)
