"""Who may do what. Roles and scopes come from our database keyed by person_id (either messenger), never from a payload."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Organization, Role
from bot.domain.scope import COORDINATOR_LEVELS, Scope
from bot.domain.search import find
from bot.words import texts
from storage.accounts import MaxAccountRepo
from storage.directory import DirectoryRepo
from storage.people import PeopleRepo


@dataclass(frozen=True)
class Actor:
    person_id: int
    is_owner: bool
    roles: tuple[Role, ...]

    @property
    def registered(self) -> bool:
        return self.is_owner or bool(self.roles)

    def has(self, role: str, scope_id: str) -> bool:
        return any(r.role == role and r.scope_id == scope_id for r in self.roles)

    def scopes(self, role: str) -> list[str]:
        return [r.scope_id for r in self.roles if r.role == role]

    @property
    def coordinator_roles(self) -> list[Role]:
        return [r for r in self.roles if r.role in COORDINATOR_LEVELS]

    @property
    def is_coordinator(self) -> bool:
        return self.is_owner or bool(self.coordinator_roles)


class AccessService:
    def __init__(self, people_repo: PeopleRepo, directory_repo: DirectoryRepo, owners: set[int],
                 accounts: MaxAccountRepo | None = None, max_owners: set[int] | None = None) -> None:
        self.people_repo = people_repo
        self.directory_repo = directory_repo
        self.owners = owners
        self.accounts = accounts
        self.max_owners = max_owners or set()

    async def actor(self, person_id: int) -> Actor:
        return Actor(person_id, await self._owner(person_id), tuple(await self.people_repo.roles(person_id)))

    async def _owner(self, person: int) -> bool:
        if person >= 0:
            return person in self.owners
        if not self.max_owners or self.accounts is None:
            return False
        address = await self.accounts.address(person)
        return address is not None and address.kind == "user" and address.max_id in self.max_owners

    async def account(self, person: int) -> str:
        """The person's id in their messenger, as they would tell it to the operator: «VK id 123», «MAX id 456»."""
        address = await self.accounts.address(person) if person < 0 and self.accounts is not None else None
        return texts.ACCOUNT_MAX.format(id=address.max_id) if address else texts.ACCOUNT_VK.format(id=person)

    async def can_invite(self, actor: Actor, role: str, scope_id: str) -> bool:
        """Owners invite anyone; a regional coordinator its municipal coordinators;
        a municipal coordinator the admins of its organizations."""
        if actor.is_owner:
            return True
        if role == "organization":
            org = await self.directory_repo.organization(scope_id)
            return org is not None and actor.has("municipality", str(org.municipality_id))
        if role == "municipality" and scope_id.isdigit():
            muni = await self.directory_repo.municipality(int(scope_id))
            return muni is not None and actor.has("region", str(muni.region_id))
        return False

    async def can_bind(self, actor: Actor, role: str, scope_id: str) -> bool:
        return role in COORDINATOR_LEVELS and (actor.is_owner or actor.has(role, scope_id))

    async def can_see(self, actor: Actor, role: str, scope_id: str) -> bool:
        """A coordinator's territory: their own scope, a municipality of their region, or all (owner)."""
        if actor.is_owner or (role in COORDINATOR_LEVELS and actor.has(role, scope_id)):
            return True
        if role == "municipality" and scope_id.isdigit() and actor.scopes("region"):
            muni = await self.directory_repo.municipality(int(scope_id))
            return muni is not None and actor.has("region", str(muni.region_id))
        return False

    async def label(self, role: str, scope_id: str) -> str | None:
        """The scope in words, or None when it no longer exists in the directory."""
        if role == "organization":
            org = await self.directory_repo.organization(scope_id)
            return texts.SCOPE_ORGANIZATION.format(name=org.name) if org else None
        if not scope_id.isdigit():
            return None
        if role == "municipality":
            muni = await self.directory_repo.municipality(int(scope_id))
            return texts.SCOPE_MUNICIPALITY.format(name=muni.name) if muni else None
        region = await self.directory_repo.region(int(scope_id))
        return texts.SCOPE_REGION.format(name=region.name) if region else None

    async def invitable(self, actor: Actor) -> list[Scope]:
        """Every scope this actor may issue invites for (owners: resolved by name instead)."""
        out: list[Scope] = []
        for mid in actor.scopes("municipality"):
            for org in await self.directory_repo.organizations_of_municipality(int(mid)):
                out.append(Scope("organization", org.id, org.name))
        for rid in actor.scopes("region"):
            for muni in await self.directory_repo.municipalities_of_region(int(rid)):
                out.append(Scope("municipality", str(muni.id), muni.name))
        return out

    async def directory_name(self, query: str) -> str | None:
        """The name of the municipality or organization (by id or exact name) the query names anywhere in the
        directory, whoever may invite there; None when it names none."""
        text = query.strip()
        munis = await self.directory_repo.municipalities_by_name(text)
        if munis:
            return munis[0].name
        org = await self.directory_repo.organization(text)
        return org.name if org is not None else None

    async def resolve_invite_target(self, actor: Actor, query: str) -> list[Scope]:
        """Scopes matching `query` (an organization id, or a name) that `actor` may invite to."""
        query = query.strip()
        if not query:
            return []
        if actor.is_owner:
            candidates = await self._all_named(query)
        else:
            candidates = await self.invitable(actor)
        return _match(candidates, query)

    async def overseen_municipalities(self, actor: Actor) -> set[int] | None:
        """The municipalities a coordinator oversees (its own and its regions'); None: every one (owners)."""
        return None if actor.is_owner else await self._scoped_municipalities(actor)

    async def _scoped_municipalities(self, actor: Actor) -> set[int]:
        """The municipalities of the actor's own coordinator roles (a region's: all of its municipalities)."""
        municipality_ids = {int(m) for m in actor.scopes("municipality")}
        for rid in actor.scopes("region"):
            municipality_ids |= {m.id for m in await self.directory_repo.municipalities_of_region(int(rid))}
        return municipality_ids

    async def oversees(self, actor: Actor, org: Organization) -> bool:
        """A coordinator's territory holds the organization (owners oversee every one)."""
        overseen = await self.overseen_municipalities(actor)
        return overseen is None or org.municipality_id in overseen

    async def visible_organizations(self, actor: Actor) -> list[Scope]:
        """Organizations a coordinator oversees: of its municipalities and of its regions' municipalities."""
        out: list[Scope] = []
        for mid in sorted(await self._scoped_municipalities(actor)):
            for org in await self.directory_repo.organizations_of_municipality(mid):
                out.append(Scope("organization", org.id, org.name))
        return out

    async def resolve_organization(self, actor: Actor, query: str) -> list[Scope]:
        """Organizations matching an id or a name among those the actor oversees (owners: any id)."""
        query = query.strip()
        if not query:
            return []
        if actor.is_owner:
            org = await self.directory_repo.organization(query)
            if org:
                return [Scope("organization", org.id, org.name)]
        return _match(await self.visible_organizations(actor), query)

    async def _all_named(self, query: str) -> list[Scope]:
        out: list[Scope] = []
        org = await self.directory_repo.organization(query)
        if org:
            out.append(Scope("organization", org.id, org.name))
        region = await self.directory_repo.region_by_name(query)
        if region:
            out.append(Scope("region", str(region.id), region.name))
        for muni in await self.directory_repo.municipalities_by_name(query):
            out.append(Scope("municipality", str(muni.id), muni.name))
        return out


def _match(candidates: list[Scope], query: str) -> list[Scope]:
    """An exact id, or the names the query means as people type them (bot.domain.search)."""
    return find(candidates, query, name=lambda s: s.name, key=lambda s: s.id)
