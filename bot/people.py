"""People-facing decisions: registration, invites by coordinators, binding coordinators' chats."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from openpyxl import Workbook

from storage.chats import ChatRepo
from storage.directory import DirectoryRepo
from storage.people import PeopleRepo

from . import texts
from .access import AccessService, Actor, Scope
from .invites import InviteService, Outcome, Redemption, normalize_code

NameFetcher = Callable[[int], Awaitable[tuple[str, str]]]


@dataclass(frozen=True)
class RoleView:
    role: str
    label: str


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    role: str
    label: str
    expires: datetime


class IssueError(Enum):
    NO_RIGHT = "no_right"
    NO_QUERY = "no_query"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class IssueFailure:
    error: IssueError
    what: str
    candidates: tuple[str, ...] = ()


class BindOutcome(Enum):
    BOUND = "bound"
    REFUSED = "refused"
    CHOOSE = "choose"
    NOT_IN_CHAT = "not_in_chat"


@dataclass(frozen=True)
class BindResult:
    outcome: BindOutcome
    label: str = ""
    options: tuple[str, ...] = ()


class PeopleService:
    def __init__(self, access: AccessService, invites: InviteService, people: PeopleRepo,
                 directory: DirectoryRepo, chats: ChatRepo, fetch_name: NameFetcher) -> None:
        self.access = access
        self.invites = invites
        self.people = people
        self.directory = directory
        self.chats = chats
        self.fetch_name = fetch_name

    @staticmethod
    def looks_like_code(text: str) -> bool:
        return normalize_code(text) is not None

    async def redeem(self, vk_id: int, text: str, now: datetime) -> tuple[Redemption, str]:
        """Try an invite code; on success take the person's name from VK. Returns the label too."""
        result = await self.invites.redeem(vk_id, text, now)
        label = ""
        if result.outcome in (Outcome.OK, Outcome.ALREADY) and result.role and result.scope_id:
            label = await self.access.label(result.role, result.scope_id) or ""
        if result.outcome is Outcome.OK:
            first, last = await self.fetch_name(vk_id)
            await self.people.upsert_person(vk_id, first, last)
        return result, label

    async def display_name(self, vk_id: int) -> str:
        person = await self.people.person(vk_id)
        return person.full_name if person and person.full_name else f"id{vk_id}"

    async def role_views(self, actor: Actor) -> list[RoleView]:
        views = [RoleView("owner", texts.SCOPE_OWNER)] if actor.is_owner else []
        for role in actor.roles:
            label = await self.access.label(role.role, role.scope_id)
            views.append(RoleView(role.role, label or "—"))
        return views

    def _invite_hint(self, actor: Actor) -> str:
        if actor.scopes("municipality") or actor.is_owner:
            return texts.INVITE_WHAT_ORG
        return texts.INVITE_WHAT_MUNI

    async def issue_invite(self, actor: Actor, query: str, now: datetime) -> IssuedInvite | IssueFailure:
        hint = self._invite_hint(actor)
        if not (actor.is_owner or actor.scopes("municipality") or actor.scopes("region")):
            return IssueFailure(IssueError.NO_RIGHT, hint)
        if not query.strip():
            return IssueFailure(IssueError.NO_QUERY, hint)
        matches = await self.access.resolve_invite_target(actor, query)
        if not matches:
            return IssueFailure(IssueError.NOT_FOUND, hint)
        if len(matches) > 1:
            return IssueFailure(IssueError.AMBIGUOUS, hint, tuple(m.label for m in matches[:5]))
        scope = matches[0]
        # resolve_invite_target only offers permitted scopes; check again at the point of issue.
        if not await self.access.can_invite(actor, scope.role, scope.scope_id):
            return IssueFailure(IssueError.NO_RIGHT, hint)
        code, expires = await self.invites.create(scope.role, scope.scope_id, actor.vk_id, now)
        return IssuedInvite(code, scope.role, await self.access.label(scope.role, scope.scope_id) or scope.label,
                            expires)

    async def issue_all(self, actor: Actor, now: datetime) -> tuple[bytes, int, datetime] | None:
        """A fresh code for every scope the coordinator invites to, as an XLSX file."""
        scopes: list[Scope] = await self.access.invitable(actor)
        if not scopes:
            return None
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Коды приглашений"
        ws.append(["Кому", "id", "Название", "Код", "Действует до"])
        expires = now
        for scope in scopes:
            code, expires = await self.invites.create(scope.role, scope.scope_id, actor.vk_id, now)
            ws.append([texts.ROLE_TITLES[scope.role], scope.scope_id, scope.label, code,
                       expires.strftime("%d.%m.%Y")])
        for column, width in zip("ABCDE", (28, 14, 50, 14, 14), strict=True):
            ws.column_dimensions[column].width = width
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue(), len(scopes), expires

    async def bind_chat(self, actor: Actor, peer_id: int, argument: str) -> BindResult:
        if peer_id < 2_000_000_000:
            return BindResult(BindOutcome.NOT_IN_CHAT)
        options: list[tuple[str, str, str]] = []
        for role in actor.coordinator_roles:
            label = await self.access.label(role.role, role.scope_id)
            if label:
                options.append((role.role, role.scope_id, label))
        if actor.is_owner and argument.strip():
            for scope in await self.access.resolve_invite_target(actor, argument):
                if scope.role in ("region", "municipality"):
                    label = await self.access.label(scope.role, scope.scope_id) or scope.label
                    options.append((scope.role, scope.scope_id, label))
        if not options:
            return BindResult(BindOutcome.REFUSED)
        if len(options) > 1 and argument.strip():
            wanted = argument.strip().casefold()
            options = [o for o in options if wanted in o[2].casefold()] or options
        unique = {(r, s): label for r, s, label in options}
        if len(unique) > 1:
            return BindResult(BindOutcome.CHOOSE, options=tuple(f"/bind {lbl.split(': ', 1)[-1]}"
                                                                for lbl in unique.values()))
        (role, scope_id), label = next(iter(unique.items()))
        if not await self.access.can_bind(actor, role, scope_id):
            return BindResult(BindOutcome.REFUSED)
        await self.chats.bind(peer_id, role, scope_id, actor.vk_id)
        return BindResult(BindOutcome.BOUND, label)
