"""Every repository over one database, built together."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import MaxAccountRepo
from .chats import ChatRepo, ConversationRepo, EventRepo
from .db import Database
from .directory import DirectoryRepo
from .items import ItemRepo, JobRepo
from .outbox import OutboxRepo
from .people import InviteRepo, PeopleRepo
from .reports import ReportRepo
from .retention import RetentionRepo
from .roadmaps import RoadmapRepo


@dataclass(frozen=True)
class Repositories:
    db: Database
    directory: DirectoryRepo
    roadmaps: RoadmapRepo
    people: PeopleRepo
    invites: InviteRepo
    chats: ChatRepo
    conversations: ConversationRepo
    events: EventRepo
    reports: ReportRepo
    items: ItemRepo
    jobs: JobRepo
    outbox: OutboxRepo
    retention: RetentionRepo
    max_accounts: MaxAccountRepo

    @classmethod
    def of(cls, db: Database) -> Repositories:
        return cls(db, DirectoryRepo(db), RoadmapRepo(db), PeopleRepo(db), InviteRepo(db), ChatRepo(db),
                   ConversationRepo(db), EventRepo(db), ReportRepo(db), ItemRepo(db), JobRepo(db), OutboxRepo(db),
                   RetentionRepo(db), MaxAccountRepo(db))
