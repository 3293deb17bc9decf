"""People-facing decisions: registration by invite code, who one is, invites by coordinators,
binding coordinators' chats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain.invite_codes import normalize_code
from bot.domain.scope import COORDINATOR_LEVELS, Scope
from bot.services.access import AccessService, Actor
from bot.services.invites import InviteService, Outcome
from bot.services.names import person_label
from bot.views.message import File, Outgoing, Reply
from bot.views.sheets import workbook
from bot.words import texts
from bot.words.format import file_name, fmt_date
from storage.chats import ChatRepo
from storage.people import PeopleRepo

NameFetcher = Callable[[int], Awaitable[tuple[str, str]]]
InviteLinks = Callable[[str], list[tuple[str, str]]]  # code -> (column, link) per messenger that has links

_CODE_REFUSED = {Outcome.WRONG: texts.CODE_WRONG, Outcome.EXPIRED: texts.CODE_EXPIRED, Outcome.USED: texts.CODE_USED}


class PeopleService:
    def __init__(self, access: AccessService, invites: InviteService, people_repo: PeopleRepo,
                 chat_repo: ChatRepo, fetch_name: NameFetcher, invite_links: InviteLinks = lambda code: []) -> None:
        self.access = access
        self.invites = invites
        self.invite_links = invite_links
        self.people_repo = people_repo
        self.chat_repo = chat_repo
        self.fetch_name = fetch_name

    @staticmethod
    def looks_like_code(text: str) -> bool:
        return normalize_code(text) is not None

    async def redeem(self, actor: Actor, text: str, now: datetime) -> tuple[Reply, Actor]:
        """Try an invite code; on success take the person's name from their messenger. Returns the answer and
        the person as they are now (their menu changes with a new role)."""
        result = await self.invites.redeem(actor.person_id, text, now)
        if result.outcome is Outcome.LOCKED:
            return Reply(texts.TOO_MANY_ATTEMPTS.format(minutes=result.wait_minutes)), actor
        if result.outcome in _CODE_REFUSED or not result.role or not result.scope_id:
            return Reply(_CODE_REFUSED.get(result.outcome, texts.CODE_WRONG)), actor
        label = await self.access.label(result.role, result.scope_id) or ""
        if result.outcome is Outcome.ALREADY:
            return Reply(texts.ALREADY_HAS_ROLE.format(role=f"{texts.ROLE_TITLES[result.role]}, {label}")), actor
        first, last = await self.fetch_name(actor.person_id)
        await self.people_repo.upsert_person(actor.person_id, _printable(first), _printable(last))
        actor = await self.access.actor(actor.person_id)
        scope = label[:1].upper() + label[1:] if label else texts.CODE_SCOPE_GONE
        return Reply(texts.REGISTERED.format(name=await self.display_name(actor.person_id),
                                             role=texts.ROLE_TITLES[result.role], scope=scope)), actor

    async def display_name(self, person_id: int) -> str:
        person = await self.people_repo.person(person_id)
        return person_label(person.full_name if person else None, person_id)

    async def whoami(self, actor: Actor) -> Reply:
        lines = [f"• {texts.ROLE_TITLES['owner']} — {texts.SCOPE_OWNER}"] if actor.is_owner else []
        for role in actor.roles:
            label = await self.access.label(role.role, role.scope_id)
            lines.append(f"• {texts.ROLE_TITLES[role.role]} — {label or '—'}")
        return Reply(texts.WHOAMI.format(name=await self.display_name(actor.person_id),
                                         account=await self.access.account(actor.person_id), roles="\n".join(lines)))

    async def issue_invite(self, actor: Actor, query: str, now: datetime) -> Reply:
        hint = texts.INVITE_WHAT_ORG if actor.scopes("municipality") or actor.is_owner else texts.INVITE_WHAT_MUNI
        if not (actor.is_owner or actor.scopes("municipality") or actor.scopes("region")):
            return Reply(texts.NOT_ALLOWED)
        if not query.strip():
            return Reply(texts.INVITE_USAGE.format(what=hint))
        matches = await self.access.resolve_invite_target(actor, query)
        if not matches:
            elsewhere = await self.access.directory_name(query)
            if elsewhere is not None:  # it exists, only not for this coordinator: say so, not «Не нашёл»
                return Reply(texts.INVITE_NOT_YOURS.format(name=elsewhere, what=hint))
            return Reply(texts.INVITE_NOT_FOUND.format(query=query[:100], what=hint))
        if len(matches) > 1:
            return Reply(texts.INVITE_AMBIGUOUS.format(query=query[:100],
                                                       names="; ".join(m.name for m in matches[:5])))
        scope = matches[0]
        # resolve_invite_target only offers permitted scopes; check again at the point of issue.
        if not await self.access.can_invite(actor, scope.level, scope.id):
            return Reply(texts.NOT_ALLOWED)
        code, expires = await self.invites.create(scope.level, scope.id, actor.person_id, now)
        label = await self.access.label(scope.level, scope.id) or scope.name
        return Reply(texts.INVITE_CREATED.format(role=texts.ROLE_TITLES[scope.level], scope=label, code=code,
                                                 expires=fmt_date(expires)), secret=True)

    async def issue_all(self, actor: Actor, now: datetime, argument: str = "") -> Reply:
        """Codes for the scopes the coordinator invites to, as a spreadsheet: only where nobody has registered and
        no code is waiting (a code cannot be shown twice: only its hash is kept); «/invites все» mints for all."""
        if not (actor.scopes("municipality") or actor.scopes("region")):
            return Reply(texts.NOT_ALLOWED)
        scopes: list[Scope] = await self.access.invitable(actor)
        if not scopes:
            return Reply(texts.INVITES_NONE)
        everyone = argument.strip().casefold() in ("все", "всем", "all")
        live = {level: await self.invites.waiting(level, now) for level in {s.level for s in scopes}}
        rows = []
        expires = now
        minted = 0
        link_columns: list[str] = []
        for scope in scopes:
            holders = await self.people_repo.holders(scope.level, scope.id)
            waiting = live[scope.level].get(scope.id)
            if not everyone and (holders or waiting):
                note = texts.INVITES_HAS_ADMIN.format(n=len(holders)) if holders else \
                    texts.INVITES_WAITING.format(expires=fmt_date(waiting))
                rows.append([texts.ROLE_TITLES[scope.level], scope.id, scope.name, "", "", note])
                continue
            code, expires = await self.invites.create(scope.level, scope.id, actor.person_id, now)
            minted += 1
            links = self.invite_links(code)  # a link opens the bot with the code: one tap registers
            link_columns = link_columns or [column for column, _ in links]
            rows.append([texts.ROLE_TITLES[scope.level], scope.id, scope.name, code, fmt_date(expires), "",
                         *(link for _, link in links)])
        data = workbook([(texts.INVITES_SHEET, (*texts.INVITES_HEADER, *link_columns), rows,
                          (28, 14, 50, 14, 14, 40, *(60 for _ in link_columns)))])
        text = texts.INVITES_FILE.format(count=minted, expires=fmt_date(expires)) if minted else texts.INVITES_NO_NEW
        if 0 < minted < len(scopes) and not everyone:  # (none minted: INVITES_NO_NEW says it all)
            text += " " + texts.INVITES_SKIPPED.format(n=len(scopes) - minted)
        if link_columns:
            text += " " + texts.INVITES_LINKS
        return Reply(text, files=(File(file_name([texts.INVITES_FILE_NAME, fmt_date(now.date())], "xlsx"), data),),
                     secret=True)

    async def bind_chat(self, actor: Actor, peer: int, argument: str) -> Reply:
        """Make a group chat the coordinators' chat of one of the caller's territories."""
        options: list[tuple[str, str, str]] = []
        for role in actor.coordinator_roles:
            label = await self.access.label(role.role, role.scope_id)
            if label:
                options.append((role.role, role.scope_id, label))
        if actor.is_owner and argument.strip():
            for scope in await self.access.resolve_invite_target(actor, argument):
                if scope.level in COORDINATOR_LEVELS:
                    label = await self.access.label(scope.level, scope.id) or scope.name
                    options.append((scope.level, scope.id, label))
        if not options:
            return Reply(texts.BIND_REFUSED)
        if len(options) > 1 and argument.strip():
            wanted = argument.strip().casefold()
            options = [o for o in options if wanted in o[2].casefold()] or options
        unique = {(r, s): label for r, s, label in options}
        if len(unique) > 1:
            return Reply(texts.BIND_CHOOSE.format(
                options="; ".join(f"/bind {lbl.split(': ', 1)[-1]}" for lbl in unique.values())))
        (role, scope_id), label = next(iter(unique.items()))
        if not await self.access.can_bind(actor, role, scope_id):
            return Reply(texts.BIND_REFUSED)
        bound = await self.chat_repo.get(peer)
        if bound is not None and (bound.role, bound.scope_id) != (role, scope_id) and not actor.is_owner \
                and not actor.has(bound.role, bound.scope_id):
            # another territory's chat: its summaries must not be taken over by someone added to it
            return Reply(texts.BIND_TAKEN.format(scope=await self.access.label(bound.role, bound.scope_id) or "—"))
        await self.chat_repo.bind(peer, role, scope_id, actor.person_id)
        return Reply(texts.BIND_DONE.format(scope=label))


    async def chat_left(self, peer: int, in_max: bool, event_id: str) -> list[Outgoing]:
        """The bot was removed from a chat: its territory's coordinators hear it privately (the binding stays)."""
        bound = await self.chat_repo.get(peer)
        if bound is None:
            return []
        scope = await self.access.label(bound.role, bound.scope_id) or "—"
        how = texts.CHAT_LEFT_MAX if in_max else ""
        text = texts.CHAT_LEFT.format(scope=scope, how=how)
        return [Outgoing(person.person_id, Reply(text), f"left:{event_id}:{person.person_id}")
                for person in await self.people_repo.holders(bound.role, bound.scope_id)]


def _printable(name: str) -> str:
    """A name as the messenger gives it, without control characters (a NUL would cut it short in some readers)."""
    return "".join(ch for ch in name if ch.isprintable()).strip()
