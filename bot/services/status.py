"""/status and the scheduled summary: where a territory stands against its roadmap.

Sums are computed in SQL per (municipality, organization type, indicator), so a region or the
whole country costs one grouped query per period, not a row per organization. Values exactly
as the contract defines them: sum(numerator) / sum(denominator) over the period's latest
figures; `@organizations` counts the organizations of those types in the directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.models import Municipality, Organization
from bot.domain.periods import Period, current_period, local_today, period_by_key, previous_period
from bot.domain.periods import periods as periods_of
from bot.domain.roadmap import ORG_TYPE_NAMES, Form, Roadmap, Target, Value
from bot.domain.schedule import item_occurrences
from bot.domain.search import find
from bot.domain.verdicts import Verdict, judge
from bot.services.access import AccessService, Actor
from bot.services.reports import BEHALF, RETURN
from bot.services.roadmaps import RoadmapCache
from bot.views import texts
from bot.views.format import fmt_answer, fmt_date, fmt_delta, fmt_percent, short
from bot.views.message import Button, File, Reply
from storage.chats import ChatRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo
from storage.people import PeopleRepo
from storage.reports import ReportRepo

LOWEST = 5
MAX_ROWS = 6  # VK's limit of rows in an inline keyboard
STATUS = "status"  # the command table's /status: a choice among several matches is pressed as it


class Totals:
    """One form's period over a set of municipalities, summed in SQL and indexed by municipality,
    so totals and per-municipality values are dictionary look-ups (2,000 municipalities x 8,000
    entries would otherwise be a scan each)."""

    def __init__(self, sums: dict[tuple[int, str, str], int], reported: dict[tuple[int, str], int],
                 in_directory: dict[tuple[int, str], int],
                 baselines: dict[tuple[int, str, str], int] | None = None, form: Form | None = None) -> None:
        self.form = form
        # v2: sums of the directory's baselines over every organization counted, reported or not
        self.baselines: dict[int | None, dict[tuple[str, str], int]] = {None: {}}
        for (m, t, k), v in (baselines or {}).items():
            self.baselines.setdefault(m, {})[(t, k)] = v
            self.baselines[None][(t, k)] = self.baselines[None].get((t, k), 0) + v
        self.sums: dict[int | None, dict[tuple[str, str], int]] = {None: {}}
        for (m, t, k), v in sums.items():
            self.sums.setdefault(m, {})[(t, k)] = v
            self.sums[None][(t, k)] = self.sums[None].get((t, k), 0) + v
        self.reported: dict[int | None, dict[str, int]] = {None: {}}
        for (m, t), n in reported.items():
            self.reported.setdefault(m, {})[t] = n
            self.reported[None][t] = self.reported[None].get(t, 0) + n
        self.in_directory: dict[int | None, dict[str, int]] = {None: {}}
        for (m, t), n in in_directory.items():
            self.in_directory.setdefault(m, {})[t] = n
            self.in_directory[None][t] = self.in_directory[None].get(t, 0) + n

    def expected(self, form: Form, muni: int | None = None, org_type: str | None = None) -> int:
        return sum(n for t, n in self.in_directory.get(muni, {}).items()
                   if t in form.org_types and form.indicators_for(t) and (org_type is None or t == org_type))

    def reported_count(self, muni: int | None = None, org_type: str | None = None) -> int:
        return sum(n for t, n in self.reported.get(muni, {}).items() if org_type is None or t == org_type)

    def target(self, target: Target, muni: int | None = None, org_type: str | None = None) -> float | None:
        counted = counted_types(target, self.form) if self.form is not None else None

        def ok(t: str) -> bool:
            return (org_type is None or t == org_type) and (target.org_types is None or t in target.org_types) \
                and (counted is None or t in counted)

        sums = self.sums.get(muni, {})
        num = sum(v for (t, k), v in sums.items() if k == target.numerator and ok(t))
        if target.denominator == "@organizations":
            den = sum(n for t, n in self.in_directory.get(muni, {}).items() if ok(t))
        elif target.denominator.startswith("@baseline."):
            # a share of everyone: those who have not reported add nothing above and their baseline below;
            # an organization the directory has no baseline for is left out of both (nothing to compare with)
            key = target.denominator.removeprefix("@baseline.")
            num = sum(v for (t, k), v in sums.items() if k == f"{target.numerator}@{key}" and ok(t))
            den = sum(v for (t, k), v in self.baselines.get(muni, {}).items() if k == key and ok(t))
        else:
            den = sum(v for (t, k), v in sums.items() if k == target.denominator and ok(t))
        return num / den * 100 if den > 0 else None

    def add(self, muni: int, org_type: str, key: str, value: int) -> None:
        self.sums.setdefault(muni, {})[(org_type, key)] = value
        self.sums[None][(org_type, key)] = self.sums[None].get((org_type, key), 0) + value


@dataclass(frozen=True)
class Territory:
    """What a summary covers: a municipality, a region or the country, with its municipalities."""

    level: str  # 'municipality' | 'region' | 'country'
    id: int
    name: str
    municipalities: list[Municipality]
    timezone: str


class StatusService:
    def __init__(self, roadmaps: RoadmapCache, directory_repo: DirectoryRepo, report_repo: ReportRepo,
                 item_repo: ItemRepo, people_repo: PeopleRepo, chat_repo: ChatRepo, access: AccessService,
                 default_timezone: str) -> None:
        self.people_repo = people_repo
        self.roadmaps = roadmaps
        self.directory_repo = directory_repo
        self.report_repo = report_repo
        self.item_repo = item_repo
        self.chat_repo = chat_repo
        self.access = access
        self.default_timezone = default_timezone

    # -- territories ----------------------------------------------------------------------------

    async def territory(self, level: str, territory_id: int) -> Territory | None:
        if level == "municipality":
            muni = await self.directory_repo.municipality(territory_id)
            return Territory(level, territory_id, muni.name, [muni], muni.timezone) if muni else None
        if level == "region":
            region = await self.directory_repo.region(territory_id)
            munis = await self.directory_repo.municipalities_of_region(territory_id)
            tz = munis[0].timezone if munis else self.default_timezone
            return Territory(level, territory_id, region.name, munis, tz) if region else None
        return Territory("country", 0, texts.STATUS_COUNTRY, await self.directory_repo.all_municipalities(),
                         self.default_timezone)

    async def default_territory(self, actor: Actor) -> Territory | None:
        """A coordinator's own territory (the widest, when several); the country for an owner."""
        if actor.scopes("region"):
            return await self.territory("region", int(actor.scopes("region")[0]))
        if actor.scopes("municipality"):
            return await self.territory("municipality", int(actor.scopes("municipality")[0]))
        if actor.is_owner:
            return await self.territory("country", 0)
        return None

    async def for_actor(self, actor: Actor, query: str, now: datetime) -> Reply:
        query = query.strip()
        if not query:
            scope = await self.default_territory(actor)
            if scope is None and actor.scopes("organization"):
                org = await self.directory_repo.organization(actor.scopes("organization")[0])
                return await self.organization_view(actor, org, now) if org else Reply(texts.NOT_ALLOWED)
            return Reply(await self.territory_text(scope, now, private=True) if scope else texts.NOT_ALLOWED)
        # Drill-down: only inside the caller's own territory.
        munis = await self._visible_municipalities(actor)
        hits = find(munis, query, name=lambda m: m.name)
        if len(hits) == 1:
            scope = await self.territory("municipality", hits[0].id)
            return Reply(await self.territory_text(scope, now, private=True) if scope else texts.NOT_ALLOWED)
        orgs = await self.access.resolve_organization(actor, query)
        if not actor.is_owner:
            allowed = {m.id for m in munis}
            orgs = [o for o in orgs if (org := await self.directory_repo.organization(o.id)) is not None
                    and org.municipality_id in allowed]
        if len(orgs) == 1:
            org = await self.directory_repo.organization(orgs[0].id)
            return await self.organization_view(actor, org, now) if org else Reply(texts.STATUS_NOT_FOUND)
        if len(hits) + len(orgs) > 1:
            # the choices as buttons: a tap opens the one meant (its id or its name goes back as the query)
            options = [(m.name, m.name) for m in hits] + [(o.name, o.id) for o in orgs]
            buttons = [[Button(short(name, 40), STATUS, {"q": q})] for name, q in options[:MAX_ROWS]]
            more = texts.STATUS_MORE_CHOICES.format(n=len(options) - MAX_ROWS) if len(options) > MAX_ROWS else ""
            return Reply(texts.STATUS_CHOOSE.format(query=short(query, 100)) + more, buttons, inline=True)
        return Reply(texts.STATUS_NOT_FOUND.format(query=query[:100]))

    async def _visible_municipalities(self, actor: Actor) -> list[Municipality]:
        if actor.is_owner:
            return await self.directory_repo.all_municipalities()
        out = {}
        for rid in actor.scopes("region"):
            for m in await self.directory_repo.municipalities_of_region(int(rid)):
                out[m.id] = m
        for mid in actor.scopes("municipality"):
            m = await self.directory_repo.municipality(int(mid))
            if m:
                out[m.id] = m
        return list(out.values())

    # -- figures ---------------------------------------------------------------------------

    async def figures(self, roadmap: Roadmap, form: Form, period: str, scope: Territory) -> Totals:
        ids = None if scope.level == "country" else [m.id for m in scope.municipalities]
        rows = await self.report_repo.aggregate(roadmap.id, form.id, period, ids, baseline_keys(roadmap, form))
        sums = {(m, t, k): v for m, t, k, v in rows if v is not None}  # choices, texts and links have no sum
        reported = {(m, t): n for m, t, n in await self.report_repo.reported(roadmap.id, form.id, period, ids)}
        in_dir = {(m, t): n for m, t, n in await self.directory_repo.type_counts(ids)}
        base = {(m, t, k): v for m, t, k, v in await self.directory_repo.baseline_sums(ids)}
        return Totals(sums, reported, in_dir, base, form)

    def _covered(self, roadmap: Roadmap, scope: Territory, region_names: dict[int, str]) -> list[Municipality]:
        return [m for m in scope.municipalities if roadmap.roadmap.covers(region_names.get(m.region_id, ""), m.name)]

    async def territory_text(self, scope: Territory, now: datetime, private: bool = False) -> str:
        """`private`: for a coordinator's own chat with the bot, which may name people (the admins VK
        does not deliver to); a group chat's members need not be registered, so they are not named there."""
        parts = []
        today = local_today(now, scope.timezone)
        for rm in await self.roadmaps.all():
            shown = 0
            for form in rm.form:
                period = current_period(form, rm, today)
                if period is None:
                    continue
                # the roadmap's items and unreachable admins once, after its forms, not under each form
                text = await self.summary(rm, form, period, scope, today, private, once=False)
                if text:
                    parts.append(text)
                    shown += 1
            if shown and scope.level == "municipality":
                tail = await self._municipality_once(rm, scope, today, private)
                if tail:
                    parts.append("\n".join(tail))
        return "\n\n".join(parts) or texts.STATUS_NOTHING

    async def summary(self, rm: Roadmap, form: Form, period: Period, scope: Territory, today: date,
                      private: bool = False, once: bool = True) -> str | None:
        """One form's summary; `once`: with the roadmap's items and unreachable admins (a form's own scheduled
        summary); /status shows those once for all its forms."""
        regions = {m.region_id for m in scope.municipalities}
        names = {rid: (r.name if (r := await self.directory_repo.region(rid)) else "") for rid in regions}
        covered = self._covered(rm, scope, names)
        if not covered:
            return None
        sub = Territory(scope.level, scope.id, scope.name, covered, scope.timezone) \
            if len(covered) != len(scope.municipalities) else scope
        figs = await self.figures(rm, form, period.key, sub)
        before = previous_period(form, rm, period)
        prev = await self.figures(rm, form, before.key, sub) if before else None
        lines = [texts.SUMMARY_HEAD.format(title=form.title, period=fmt_date(period.due), scope=scope.name)]
        expected = figs.expected(form)
        reported = figs.reported_count()
        lines.append(texts.SUMMARY_COVERAGE.format(reported=reported, expected=expected,
                                                   percent=fmt_percent(reported / expected * 100 if expected else None)))
        targets = [t for t in rm.target if in_form(t, form)]
        verdicts = await self.verdicts(rm, form, period, sub, targets, today)
        for t in targets:
            value = figs.target(t)
            if value is None:
                lines.append(texts.SUMMARY_NO_DATA.format(title=t.title))
                continue
            trend = ""
            old = prev.target(t) if prev else None
            if old is not None:
                trend = ", " + fmt_delta(value - old)
            verdict = verdicts.get(t.key)
            if verdict is not None:
                trend += "; " + texts.VERDICTS[verdict.kind].format(deadline=fmt_date(verdict.deadline),
                                                                    value=fmt_percent(verdict.value))
            lines.append(texts.SUMMARY_TARGET.format(title=t.title, percent=fmt_percent(value),
                                                     goal=t.goal_label, trend=trend))
            by_type = [(ot, figs.target(t, org_type=ot)) for ot in form.org_types
                       if (t.org_types is None or ot in t.org_types) and ot in counted_types(t, form)
                       and figs.expected(form, org_type=ot)]
            if len(by_type) > 1:
                lines += [f"   – {ORG_TYPE_NAMES[ot]}: {fmt_percent(v)}" for ot, v in by_type]
        lines += await self._answers(rm, form, period, sub)
        if sub.level == "municipality":
            lines += await self._municipality_details(rm, form, period, sub, targets, today, private)
            if once:
                lines += await self._municipality_once(rm, sub, today, private)
        else:
            lines += self._ranking(form, sub, figs, targets)
        return "\n".join(lines)

    async def _history(self, rm: Roadmap, form: Form, scope: Territory, upto: Period) -> dict[str, Totals]:
        """The form's Totals for every period up to `upto` (one grouped query), periods without reports
        included (a share of everyone is then 0, not unknown)."""
        ids = None if scope.level == "country" else [m.id for m in scope.municipalities]
        rows = await self.report_repo.aggregate_periods(rm.id, form.id, ids, baseline_keys(rm, form))
        in_dir = {(m, t): n for m, t, n in await self.directory_repo.type_counts(ids)}
        base = {(m, t, k): v for m, t, k, v in await self.directory_repo.baseline_sums(ids)}
        by_period = {p.key: Totals({}, {}, in_dir, base, form) for p in periods_of(form, rm) if p.due <= upto.due}
        for p, m, t, k, v in rows:
            if p in by_period and v is not None:
                by_period[p].add(m, t, k, v)
        return by_period

    async def verdicts(self, rm: Roadmap, form: Form, period: Period, scope: Territory, targets: list[Target],
                        today: date) -> dict[str, Verdict]:
        judged = [t for t in targets if t.goal_percent is not None and t.by is not None]
        if not judged:
            return {}
        history = await self._history(rm, form, scope, period)
        dues = [p.due for p in periods_of(form, rm)]
        out = {}
        for t in judged:
            values = {date.fromisoformat(key): totals.target(t) for key, totals in history.items()}
            verdict = judge(t, dues, values, today)
            if verdict is not None:
                out[t.key] = verdict
        return out

    async def _answers(self, rm: Roadmap, form: Form, period: Period, scope: Territory) -> list[str]:
        """Percent questions as their (weighted) average, choices as counts per option (format v2)."""
        ids = None if scope.level == "country" else [m.id for m in scope.municipalities]
        lines = []
        for ind in form.indicator:
            if ind.kind == "percent":
                total, weight, answered = await self.report_repo.average(rm.id, form.id, period.key, ids, ind.key,
                                                                         ind.weight)
                if weight > 0:
                    lines.append(texts.SUMMARY_AVERAGE.format(question=short(ind.question, 60),
                                                              value=fmt_percent(total / weight), n=answered))
            elif ind.kind == "choice":
                counts = await self.report_repo.choices(rm.id, form.id, period.key, ids, ind.key)
                if counts:
                    shown = [f"{o} — {counts[o]}" for o in ind.options or [] if counts.get(o)]
                    shown += [f"{o} — {n}" for o, n in counts.items() if o not in (ind.options or [])]
                    lines.append(texts.SUMMARY_CHOICES.format(question=short(ind.question, 60), counts=", ".join(shown)))
        return lines

    async def _municipality_details(self, rm: Roadmap, form: Form, period: Period, scope: Territory,
                                    targets: list[Target], today: date, private: bool) -> list[str]:
        lines: list[str] = []
        orgs = await self.directory_repo.organizations_of_municipality(scope.id)
        expected = [o for o in orgs if o.type in form.org_types and form.indicators_for(o.type)]
        per_org = await self.report_repo.period_figures(rm.id, form.id, period.key, [o.id for o in expected])
        returned = await self.report_repo.returned(rm.id, form.id, period.key, [o.id for o in expected])
        missing = [o.name + (texts.SUMMARY_RETURNED if o.id in returned else "") for o in expected
                   if o.id not in per_org]
        if missing:
            # One name a line: a long list then splits between names, never inside one.
            lines.append(texts.SUMMARY_MISSING.format(n=len(missing)))
            lines += [f"   – {name}" for name in missing]
        main = next((t for t in targets if t.denominator != "@organizations"), None)
        if main is not None:
            ranked = sorted((organization_percent(main, o, per_org[o.id]), o.name) for o in expected
                             if o.id in per_org and organization_percent(main, o, per_org[o.id]) is not None)
            if ranked:
                lines.append(texts.STATUS_LOWEST.format(title=main.title))
                lines += [f"   {n}. {name} — {fmt_percent(p)}" for n, (p, name) in enumerate(ranked[:LOWEST], 1)]
        return lines

    async def _municipality_once(self, rm: Roadmap, scope: Territory, today: date, private: bool) -> list[str]:
        """What a municipality's summary shows once, whatever the number of forms: items, unreachable admins."""
        orgs = await self.directory_repo.organizations_of_municipality(scope.id)
        lines = await self._items(rm, scope, orgs, today)
        unreachable = await self.people_repo.unreachable_admins(scope.id) if private else []
        if unreachable:
            lines.append(texts.STATUS_UNREACHABLE)
            lines += [f"   – {person or '—'} ({org})" for person, org, _ in unreachable]
        return lines

    def _ranking(self, form: Form, scope: Territory, figs: Totals, targets: list[Target]) -> list[str]:
        main = next(iter(targets), None)
        rows = []
        for m in scope.municipalities:
            expected = figs.expected(form, muni=m.id)
            if not expected:
                continue
            value = figs.target(main, muni=m.id) if main else None
            rows.append((value if value is not None else -1.0, m.name, figs.reported_count(muni=m.id), expected, value))
        if not rows:
            return []
        rows.sort()
        lines = [texts.STATUS_RANKING.format(title=main.title if main else "")]
        shown = rows[:30]
        lines += [f"   {n}. {name} — {fmt_percent(value)}, сдали {rep}/{exp}"
                  for n, (_, name, rep, exp, value) in enumerate(shown, 1)]
        if len(rows) > len(shown):
            lines.append(texts.ITEMS_MORE.format(n=len(rows) - len(shown)))
        return lines

    async def _items(self, rm: Roadmap, scope: Territory, orgs: list[Organization], today: date) -> list[str]:
        """Items not confirmed by everyone responsible, due up to two weeks ahead; a recurring item is one line
        (how many of its due dates are still open), not a line per month."""
        lines = []
        for item in rm.item:
            if not item.confirm:
                continue
            units: list[tuple[str, str, str]] = []
            if "municipality" in item.responsible:
                units.append(("municipality", str(scope.id), scope.name))
            if "organization" in item.responsible:
                units += [("organization", o.id, o.name) for o in orgs
                          if item.org_types is None or o.type in item.org_types]
            dates = [occ for occ in item_occurrences(item, rm) if (occ - today).days <= 14]
            pending: list[tuple[date, list[str]]] = []
            for occ in dates:
                done = await self.item_repo.confirmed_units(rm.id, item.id, occ.isoformat())
                open_units = [name for role, sid, name in units if (role, sid) not in done]
                if open_units:
                    pending.append((occ, open_units))
            if not pending:
                continue
            occ, open_units = pending[-1]
            state = texts.STATUS_OVERDUE if occ < today else texts.STATUS_OPEN
            names = "; ".join(open_units[:10]) + (f" и ещё {len(open_units) - 10}" if len(open_units) > 10 else "")
            if len(pending) == 1:
                lines.append(texts.STATUS_ITEM.format(id=item.id, title=short(item.title, 60), due=fmt_date(occ),
                                                      state=state, names=names))
            else:
                lines.append(texts.STATUS_ITEM_RECURRING.format(
                    id=item.id, title=short(item.title, 60), open=len(pending), total=len(dates), due=fmt_date(occ),
                    state=state, names=names))
        return ([texts.STATUS_ITEMS] + lines) if lines else []

    async def organization_view(self, actor: Actor, org: Organization, now: datetime) -> Reply:
        """One organization: each open form's state and figures, its targets with verdicts; for a coordinator
        of its territory, buttons to fill or correct the report for it and to return it for revision."""
        muni = await self.directory_repo.municipality(org.municipality_id)
        tz = muni.timezone if muni else self.default_timezone
        today = local_today(now, tz)
        coordinator = actor.is_coordinator and await self.access.oversees(actor, org)
        lines = [texts.STATUS_ORG_HEAD.format(name=org.name)]
        buttons: list[list[Button]] = []
        forms = [(rm, form, period) for rm in await self.roadmaps.all() for form in rm.form
                 if org.type in form.org_types and form.indicators_for(org.type)
                 and (period := current_period(form, rm, today)) is not None]
        for n, (rm, form, period) in enumerate(forms, 1):
            sub = await self.report_repo.submission(org.id, rm.id, form.id, period.key)
            history = await self.report_repo.organization_periods(org.id, rm.id, form.id)
            before = previous_period(form, rm, period)
            if sub is None:
                state = texts.STATUS_ORG_NOT_SENT
            elif sub.returned:
                state = texts.STATUS_ORG_RETURNED.format(comment=sub.return_comment or "—")
            else:
                state = texts.STATUS_ORG_SENT
            lines.append(texts.STATUS_ORG_FORM.format(title=form.title, period=fmt_date(period.due), state=state))
            # a returned report's figures are shown (they are what is to be corrected), though they do not count
            figures = (await self.report_repo.figures(sub.id) if sub else None) or \
                (history.get(before.key) if before else None) or {}
            base = await self.directory_repo.baselines_of(org.id) \
                if any(t.denominator.startswith("@baseline.") for t in rm.target) else {}
            dues = [p.due for p in periods_of(form, rm)]
            for t in rm.target:
                if not in_form(t, form) or (t.org_types is not None and org.type not in t.org_types):
                    continue
                p = organization_percent(t, org, figures, base) if figures else None
                verdict = judge(t, dues, {date.fromisoformat(k): organization_percent(t, org, f, base)
                                          for k, f in history.items()}, today)
                trend = "; " + texts.VERDICTS[verdict.kind].format(deadline=fmt_date(verdict.deadline),
                                                                   value=fmt_percent(verdict.value)) if verdict else ""
                lines.append(texts.SUMMARY_TARGET.format(title=t.title, percent=fmt_percent(p),
                                                         goal=t.goal_label, trend=trend))
            for ind in form.indicators_for(org.type):
                if not ind.summed and ind.key in figures:  # no target shows them: the answer itself
                    lines.append(texts.STATUS_ORG_ANSWER.format(question=short(ind.question, 60),
                                                                answer=fmt_answer(ind.kind, figures[ind.key])))
            if coordinator and len(buttons) < MAX_ROWS:
                ref = {"org": org.id, "rm": rm.id, "form": form.id}
                mark = f" ({n})" if len(forms) > 1 else ""
                row = [Button(texts.BTN_BEHALF + mark, BEHALF, ref)] if sub is None else \
                    [Button(texts.BTN_BEHALF_FIX + mark, BEHALF, {**ref, "fix": 1})]
                if sub is not None and not sub.returned:
                    row.append(Button(texts.BTN_RETURN + mark, RETURN, ref))
                buttons.append(row)
        return Reply("\n".join(lines), buttons or None, inline=bool(buttons))

    # -- chart and export --------------------------------------------------------------------

    async def current_forms(self, scope: Territory, today: date) -> list[tuple[Roadmap, Form, Period, Territory]]:
        regions = {m.region_id for m in scope.municipalities}
        names = {rid: (r.name if (r := await self.directory_repo.region(rid)) else "") for rid in regions}
        out = []
        for rm in await self.roadmaps.all():
            covered = self._covered(rm, scope, names)
            if not covered:
                continue
            sub = Territory(scope.level, scope.id, scope.name, covered, scope.timezone)
            for form in rm.form:
                period = current_period(form, rm, today)
                if period is not None:
                    out.append((rm, form, period, sub))
        return out

    async def chart_for(self, actor: Actor, now: datetime) -> Reply:
        """/chart: the caller's territory's targets over the periods, as a picture."""
        territory = await self.default_territory(actor)
        if territory is None:
            return Reply(texts.NOT_ALLOWED)
        png = await self.chart(territory, now)
        if png is None:
            return Reply(texts.STATUS_NOTHING)
        return Reply(texts.CHART_CAPTION.format(scope=territory.name), files=(File("chart.png", png, "photo"),))

    async def for_chat(self, actor: Actor, peer: int, now: datetime) -> Reply | None:
        """/status in a group chat: the bound territory's summary for those who may see it; an unbound chat is
        told how to bind it, someone else is told who sees it."""
        bound = await self.chat_repo.get(peer)
        if bound is None:
            return Reply(texts.CHAT_NOT_BOUND)
        if not await self.access.can_see(actor, bound.role, bound.scope_id):
            return Reply(texts.CHAT_STATUS_NOT_YOURS)
        territory = await self.territory(bound.role, int(bound.scope_id))
        return Reply(await self.territory_text(territory, now)) if territory is not None else None

    async def chat_help(self, peer: int) -> Reply:
        """/help in a group chat: what the chat is for now (bound or not)."""
        bound = await self.chat_repo.get(peer)
        label = await self.access.label(bound.role, bound.scope_id) if bound else None
        return Reply(texts.CHAT_HELP_BOUND.format(scope=label) if bound and label else texts.CHAT_HELP)

    async def chart(self, scope: Territory, now: datetime) -> bytes | None:
        """Each target's % over the periods so far (a municipality), or the main target by
        municipality (a region, the country), against the goal."""
        forms = await self.current_forms(scope, local_today(now, scope.timezone))
        if not forms:
            return None
        rm, form, period, sub = forms[0]
        targets = [t for t in rm.target if in_form(t, form)]
        if not targets:
            return None
        by_period = {key: totals for key, totals in (await self._history(rm, form, sub, period)).items()
                     if totals.sums[None]}  # the chart draws the periods someone reported in
        from bot.views.charts import line_chart, ranked_bars  # matplotlib loads only when a chart is drawn

        if sub.level == "municipality" or len(sub.municipalities) == 1:
            series = {t.title: [(date.fromisoformat(p), v) for p, f in sorted(by_period.items())
                                if (v := f.target(t)) is not None] for t in targets}
            dues = [date.fromisoformat(p) for p in sorted(by_period)]
            return line_chart(f"{form.title} — {scope.name}", series, targets[0].goal_percent, dues)
        # a region or the country: its municipalities ranked on the main target in the latest period with data
        main = targets[0]
        if not by_period:
            return None
        latest_key = max(by_period)
        latest = by_period[latest_key]
        values = [(m.name, v) for m in sub.municipalities if (v := latest.target(main, muni=m.id)) is not None]
        title = f"{main.title} — {scope.name}, период до {fmt_date(date.fromisoformat(latest_key))}"
        return ranked_bars(title, values, main.goal_percent)

    async def summary_for_event(self, roadmap: Roadmap, form_id: str, period_key: str, role: str,
                                scope_id: int) -> str | None:
        """The scheduled summary: the same text /status shows for that form and period."""
        form = next((f for f in roadmap.form if f.id == form_id), None)
        period = period_by_key(form, roadmap, period_key) if form else None
        scope = await self.territory(role, scope_id)
        if form is None or period is None or scope is None:
            return None
        return await self.summary(roadmap, form, period, scope, period.due)


def counted_types(target: Target, form: Form) -> set[str]:
    """The organization types a target counts in a form: those the form asks its numerator (an organization
    never asked can add nothing above, so its count or baseline is not put below either)."""
    return {t for t in form.org_types if any(i.key == target.numerator for i in form.indicators_for(t))}


def baseline_keys(roadmap: Roadmap, form: Form) -> list[str]:
    return sorted({t.denominator.removeprefix("@baseline.") for t in roadmap.target
                   if t.denominator.startswith("@baseline.") and in_form(t, form)})


def in_form(target: Target, form: Form) -> bool:
    keys = {i.key for i in form.indicator}
    return target.numerator in keys and (target.denominator == "@organizations" or target.denominator in keys
                                         or target.denominator.startswith("@baseline."))


def organization_percent(target: Target, org: Organization, figures: Mapping[str, Value | None],
                 baselines: Mapping[str, int] | None = None) -> float | None:
    fraction = target.fraction(org.type, figures, baselines or {})
    return fraction[0] / fraction[1] * 100 if fraction else None
