"""/status and the scheduled summary: where a territory stands against its roadmap.

Sums are computed in SQL per (municipality, organization type, indicator), so a region or the
whole country costs one grouped query per period, not a row per organization. Values exactly
as the contract defines them: sum(numerator) / sum(denominator) over the period's latest
figures; `@organizations` counts the organizations of those types in the directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.domain.dialog import Dialog
from bot.domain.judgment import PeriodFigures, Reading, read
from bot.domain.models import Municipality, Organization
from bot.domain.periods import Period, current_period, local_today, period_by_key, previous_period
from bot.domain.periods import periods as periods_of
from bot.domain.roadmap import Form, Roadmap, Target
from bot.domain.schedule import REST_DAYS, item_occurrences
from bot.domain.search import find, suggest
from bot.domain.verdicts import Verdict
from bot.services.access import AccessService, Actor
from bot.services.charts import Charts
from bot.services.figures import (
    ItemState,
    Territory,
    Totals,
    badness,
    baseline_keys,
    headline,
    in_form,
    meets,
    needs_baselines,
    norm_columns,
    norm_queries,
    organization_percent,
    ranking,
)
from bot.services.item_progress import AHEAD_DAYS, responsible_units, territory_units
from bot.services.organization_card import NEAR_DAYS, OrganizationCard
from bot.services.roadmaps import RoadmapCache
from bot.services.summary_views import FORM_LINE, SummaryViews, item_line, organization_value, target_line
from bot.views.message import Button, Buttons, Reply, Screen
from bot.views.summary import LINE_BUDGET, Line, fit, names_line
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import fmt_date, fmt_number, fmt_percent, plural, short
from storage.chats import ChatRepo, ConversationRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo
from storage.people import PeopleRepo
from storage.reports import ReportRepo

FINAL_DAYS = REST_DAYS  # how long after a form's last period /status and the Excel show its final results
HEADLINE = 3  # targets a form leads with in a summary
CHOICES = 6  # matches offered as buttons for a name typed: read at a glance (fewer where fewer buttons fit)
# commands of the command table the summary's buttons press
STATUS, VIEW, ASK_ORGANIZATION = CommandId.STATUS, CommandId.STATUS_VIEW, CommandId.STATUS_ORG
EXPORT, CHART = CommandId.EXPORT, CommandId.CHART
# a form's coverage: «сдали» by the organizations, «загружено» from import files (v3 `filled_by = "import"`)
COVERAGE = {"organizations": texts.SUMMARY_COVERAGE, "import": texts.SUMMARY_COVERAGE_IMPORT}


class SummaryService(OrganizationCard, Charts):
    def __init__(self, roadmaps: RoadmapCache, directory_repo: DirectoryRepo, report_repo: ReportRepo,
                 item_repo: ItemRepo, people_repo: PeopleRepo, chat_repo: ChatRepo, access: AccessService,
                 conversation_repo: ConversationRepo, default_timezone: str, screen: Screen) -> None:
        self.screen = screen  # what fits under one message (the messengers' adapters say)
        self.conversation_repo = conversation_repo
        self.people_repo = people_repo
        self.roadmaps = roadmaps
        self.directory_repo = directory_repo
        self.report_repo = report_repo
        self.item_repo = item_repo
        self.chat_repo = chat_repo
        self.access = access
        self.default_timezone = default_timezone
        self.views = SummaryViews(self)

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

    async def for_actor(self, actor: Actor, query: str, now: datetime, full: bool = False) -> Reply:
        """/status [запрос]; `full`: an organization's card whole («Все цели»), not fitted to one screen."""
        query = query.strip()
        if not query:
            scope = await self.default_territory(actor)
            if scope is None and actor.scopes("organization"):
                # every organization the admin answers for, one after another (the second had not been shown)
                orgs = [org for org_id in actor.scopes("organization")
                        if (org := await self.directory_repo.organization(org_id)) is not None]
                # one phone screen for all of them together; «Все цели» shows everything
                views = [await self.organization_view(actor, org, now, full=full, budget=LINE_BUDGET // len(orgs))
                         for org in orgs]
                if not views:
                    return Reply(texts.NOT_ALLOWED)
                if len(views) == 1:
                    return views[0]
                more = [[Button(texts.BTN_ALL_TARGETS, STATUS, {"all": 1})]] \
                    if any(v.text.endswith(texts.STATUS_ORG_MORE) for v in views) else None
                return Reply("\n\n".join(v.text for v in views), more, inline=bool(more))
            return await self.territory_reply(scope, now, private=True) if scope else Reply(texts.NOT_ALLOWED)
        # Drill-down: only inside the caller's own territory.
        munis = await self._visible_municipalities(actor)
        hits = find(munis, query, name=lambda m: m.name)
        if len(hits) == 1:
            scope = await self.territory("municipality", hits[0].id)
            return await self.territory_reply(scope, now, private=True) if scope else Reply(texts.NOT_ALLOWED)
        orgs = await self.access.resolve_organization(actor, query)
        if not actor.is_owner:
            allowed = {m.id for m in munis}
            orgs = [o for o in orgs if (org := await self.directory_repo.organization(o.id)) is not None
                    and org.municipality_id in allowed]
        if len(orgs) == 1:
            org = await self.directory_repo.organization(orgs[0].id)
            return await self.organization_view(actor, org, now, full=full) if org else Reply(texts.STATUS_NOT_FOUND)
        if len(hits) + len(orgs) > 1:
            # the choices as buttons: a tap opens the one meant (its id or its name goes back as the query)
            options = [(m.name, m.name) for m in hits] + [(o.name, o.id) for o in orgs]
            rows = min(CHOICES, self.screen.rows)
            buttons = [[Button(short(name, 40), STATUS, {"q": q})] for name, q in options[:rows]]
            more = texts.STATUS_MORE_CHOICES.format(n=len(options) - rows) if len(options) > rows else ""
            return Reply(texts.STATUS_CHOOSE.format(query=short(query, 100)) + more, buttons, inline=True)
        # nothing: what it may have meant, as buttons («сщш 3» — «МАОУ СОШ № 3»), rather than a bare «Не нашёл»
        everything = [(m.name, m.name) for m in munis]
        for m in munis:
            everything += [(o.name, o.id) for o in await self.directory_repo.organizations_of_municipality(m.id)]
        maybe = suggest(everything, query, name=lambda c: c[0])
        if maybe:
            return Reply(texts.STATUS_MAYBE.format(query=query[:100]),
                         [[Button(short(n, 40), STATUS, {"q": q})] for n, q in maybe], inline=True)
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
        rows = await self.report_repo.aggregate(roadmap.id, form.id, period, ids, baseline_keys(roadmap, form),
                                                norm_queries(roadmap, form))
        sums = {(m, t, k): v for m, t, k, v in rows if v is not None}  # choices, texts and links have no sum
        reported = {(m, t): n for m, t, n in await self.report_repo.reported(roadmap.id, form.id, period, ids)}
        in_dir, base, norms = await self._directory(roadmap, form, ids)
        return Totals(sums, reported, in_dir, base, form, norms)

    async def _directory(self, rm: Roadmap, form: Form, ids: list[int] | None
                         ) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str, str], int],
                                    dict[tuple[int, str, str], int]]:
        """What the directory says of a territory for a form's targets: organizations per type, the sums of
        their baselines, and how many have each norm column (v3 `each`)."""
        in_dir = {(m, t): n for m, t, n in await self.directory_repo.type_counts(ids)}
        base = {(m, t, k): v for m, t, k, v in await self.directory_repo.baseline_sums(ids)}
        norms = {(m, t, k): n for m, t, k, n in
                 await self.directory_repo.baseline_counts(ids, norm_columns(rm, form))}
        return in_dir, base, norms

    async def _covering(self, rm: Roadmap, scope: Territory) -> Territory | None:
        """The part of `scope` a roadmap covers (a regional roadmap in a country view), None when no part."""
        regions = {m.region_id for m in scope.municipalities}
        names = {rid: (r.name if (r := await self.directory_repo.region(rid)) else "") for rid in regions}
        covered = [m for m in scope.municipalities
                   if rm.roadmap.covers(names.get(m.region_id, ""), m.name)]
        if not covered:
            return None
        return scope if len(covered) == len(scope.municipalities) else \
            Territory(scope.level, scope.id, scope.name, covered, scope.timezone)

    async def current_forms(self, scope: Territory, today: date) -> list[tuple[Roadmap, Form, Period, Territory]]:
        """Each roadmap's forms with an open period today, with the part of `scope` the roadmap covers; a form
        whose last period has passed within FINAL_DAYS gives that last period — its final results, which is when a
        coordinator must send them up (the bot had gone silent the day the plan ended)."""
        out = []
        for rm, form, sub in await self.all_forms(scope):
            period = current_period(form, rm, today)
            if period is None:
                last = periods_of(form, rm)[-1:] if form.from_ is None or today >= form.from_ else []
                period = last[0] if last and 0 <= (today - last[0].due).days <= FINAL_DAYS else None
            if period is not None:
                out.append((rm, form, period, sub))
        return out

    async def all_forms(self, scope: Territory) -> list[tuple[Roadmap, Form, Territory]]:
        """Every form of every roadmap covering part of `scope`, ended or not (an export of any past period)."""
        out = []
        for rm in await self.roadmaps.all():
            sub = await self._covering(rm, scope)
            if sub is not None:
                out += [(rm, form, sub) for form in rm.form]
        return out

    # -- the one-screen summary ------------------------------------------------------------------

    async def territory_reply(self, scope: Territory, now: datetime, private: bool = False,
                              chat: bool = False) -> Reply:
        """/status: every open form of the territory on one screen, items once, the rest behind buttons.
        `private`: the coordinator's own chat with the bot, which may name people (the admins the bot cannot
        reach); a group chat's members need not be registered, so they are not named there."""
        today = local_today(now, scope.timezone)
        every = await self.current_forms(scope, today)
        if not every:
            # a plan of items only (or between its forms' periods): its items, rather than «nothing»
            # (a plan long over rests, as its forms do: FINAL_DAYS after its end)
            covered = [(rm, sub) for rm in await self.roadmaps.all()
                       if today <= rm.roadmap.ends + timedelta(days=FINAL_DAYS) and (sub := await self._covering(rm, scope))]
            items = await self._items_of(covered, today)
            if not items:
                return Reply(texts.STATUS_NOTHING)
            head = [Line(texts.SUMMARY_ALL_HEAD.format(scope=scope.name, today=fmt_date(today)))]
            return Reply(fit([head, items]), self.summary_buttons(scope, private, chat), inline=True)
        # only what is near: a quarterly form due in two months took three lines of «сдали 0 из 7» and «данных нет»
        forms, later = [], []
        for entry in every:
            rm, form, period, sub = entry
            near = period.due <= today + timedelta(days=NEAR_DAYS) or \
                (await self.figures(rm, form, period.key, sub)).reported_count() > 0
            (forms if near else later).append(entry)
        single = len(forms) == 1 and not later
        blocks: list[list[Line]] = []
        if not single:
            blocks.append([Line(texts.SUMMARY_ALL_HEAD.format(scope=scope.name, today=fmt_date(today)))])
        for rm, form, period, sub in forms:
            blocks.append(await self._section(rm, form, period, sub, today, single))
        if later:
            first = min(later, key=lambda e: e[2].due)
            blocks.append([Line(texts.SUMMARY_LATER.format(
                forms=plural(len(later), *texts.LATER_FORMS), due=fmt_date(first[2].due), title=first[1].title),
                rank=2)])
        tail = await self._items_of([(rm, sub) for rm, _, _, sub in every], today)
        if private and scope.level == "municipality":
            unreachable = await self.people_repo.unreachable_admins(scope.id)
            if unreachable:
                # people the bot cannot reach: the coordinator must call them, so it stays before the item lines
                tail.append(Line(texts.SUMMARY_UNREACHABLE.format(n=len(unreachable)), rank=2))
        blocks.append(tail)
        return Reply(fit(blocks), self.summary_buttons(scope, private, chat), inline=True)

    async def territory_text(self, scope: Territory, now: datetime, private: bool = False) -> str:
        return (await self.territory_reply(scope, now, private)).text

    def summary_buttons(self, scope: Territory, private: bool, chat: bool,
                        of: Mapping[str, object] | None = None) -> Buttons:
        """What is one tap away from a summary; the territory goes with each press and is checked again. `of`:
        a scheduled summary's roadmap, form and period, which its views then show."""
        ref: dict[str, str | int] = {"l": scope.level, "id": scope.id}
        ref |= {k: str(v) for k, v in (of or {}).items() if k in ("r", "f", "p")}

        def view(label: str, name: str) -> Button:
            return Button(label, VIEW, {"v": name, **ref})

        second = [view(texts.BTN_VIEW_TYPES, "types"),
                  view(texts.BTN_VIEW_ORGS, "ranking") if scope.level == "municipality"
                  else view(texts.BTN_VIEW_MUNIS, "ranking")]
        third = [Button(texts.BTN_VIEW_ORG, ASK_ORGANIZATION)] if private and not chat else []
        third += [Button(texts.BTN_VIEW_EXCEL, EXPORT, ref), Button(texts.BTN_VIEW_CHART, CHART, ref)]
        return [[view(texts.BTN_VIEW_MISSING, "missing"), view(texts.BTN_VIEW_ITEMS, "items")], second, third]

    async def summary(self, rm: Roadmap, form: Form, period: Period, scope: Territory, today: date) -> str | None:
        """One form's scheduled summary: the same section /status shows, with the roadmap's items."""
        sub = await self._covering(rm, scope)
        if sub is None:
            return None
        section = await self._section(rm, form, period, sub, today, single=True)
        return fit([section, await self._items_lines(rm, sub, today)])

    async def _section(self, rm: Roadmap, form: Form, period: Period, sub: Territory, today: date,
                       single: bool, keep_period: bool = False) -> list[Line]:
        """A form's lines: coverage, its headline targets with verdicts, who has not reported (a municipality)
        or the lowest municipalities (a region). `keep_period`: a scheduled summary speaks of its own period even
        when nobody sent it (/status then shows the last period that has reports)."""
        figs = await self.figures(rm, form, period.key, sub)
        before = previous_period(form, rm, period)
        prev = await self.figures(rm, form, before.key, sub) if before else None
        current = None
        if not single and not keep_period and before is not None and prev is not None and not figs.reported_count():
            # nobody has sent the open period yet: its zeros say nothing; the last period does
            current, period, figs = period, before, prev
            before = previous_period(form, rm, period)
            prev = await self.figures(rm, form, before.key, sub) if before else None
        expected, reported = figs.expected(form), figs.reported_count()
        share = fmt_percent(reported / expected * 100 if expected else None)
        final = periods_of(form, rm)[-1:] == [period]  # the form's last period: these are its final results
        if single:
            lines = [Line(texts.SUMMARY_HEAD.format(title=form.title, period=fmt_date(period.due), scope=sub.name)
                          + (texts.SUMMARY_FINAL if final else "")),
                     Line(COVERAGE[form.filled_by].format(reported=reported, expected=expected, percent=share))]
        else:
            lines = [Line(FORM_LINE[form.filled_by].format(title=form.title, period=fmt_date(period.due), reported=reported,
                                          expected=expected, percent=share)
                          + (texts.SUMMARY_NOT_STARTED.format(period=fmt_date(current.due)) if current else "")
                          + (texts.SUMMARY_FINAL if final else ""))]
        targets = [t for t in rm.target if in_form(t, form)]
        shown = headline(targets, form)[:HEADLINE]
        readings = await self.readings(rm, form, period, sub, shown, today)
        for n, t in enumerate(shown):
            lines.append(Line(target_line(t, readings[t.key], period.due), rank=(1, 3, 4)[n]))
        if sub.level == "municipality" and current is None:  # (the open period: nobody has sent it, it says so)
            missing, ranked_orgs = await self._organizations(rm, form, period, sub, shown[0] if shown else None)
            if missing:
                # a returned report first: the school was told what to fix, the coordinator waits for it
                names = [o.name + (texts.SUMMARY_RETURNED_SHORT if returned else "")
                         for o, returned in sorted(missing, key=lambda m: not m[1])]
                lines.append(Line(names_line(texts.SUMMARY_MISSING_LINE, names), rank=2))
            behind_goal = [(p, name) for p, name in ranked_orgs if not meets(shown[0], p)]
            if behind_goal:
                lines.append(Line(names_line(texts.SUMMARY_LOWEST_LINE,
                                             [f"{name} — {organization_value(shown[0], p)}" for p, name in behind_goal]), rank=3))
        elif sub.level != "municipality" and shown:
            ranked = ranking(form, sub, figs, shown[0])
            behind_goal = [(value, name) for value, name, _, _ in ranked if not meets(shown[0], value)]
            if behind_goal:
                names = [f"{name} — {shown[0].shown(value) if value is not None else texts.SUMMARY_NO_VALUE}"
                         for value, name in behind_goal]
                lines.append(Line(names_line(texts.SUMMARY_LOWEST_LINE, names), rank=2))
            behind = [(exp - rep) for _, _, rep, exp in ranked if exp > rep]
            if behind and current is None:
                lines.append(Line(texts.SUMMARY_MISSING_COUNT.format(
                    orgs=plural(sum(behind), "организация", "организации", "организаций"),
                    munis=plural(len(behind), "муниципалитете", "муниципалитетах", "муниципалитетах"),
                    total=fmt_number(len(ranked))), rank=3))
        return lines

    async def _history(self, rm: Roadmap, form: Form, scope: Territory, upto: Period) -> dict[str, Totals]:
        """The form's Totals for every period up to `upto` (one grouped query), periods without reports
        included (a share of everyone is then 0, not unknown)."""
        ids = None if scope.level == "country" else [m.id for m in scope.municipalities]
        rows = await self.report_repo.aggregate_periods(rm.id, form.id, ids, baseline_keys(rm, form),
                                                        norm_queries(rm, form))
        in_dir, base, norms = await self._directory(rm, form, ids)
        by_period = {p.key: Totals({}, {}, in_dir, base, form, norms) for p in periods_of(form, rm)
                     if p.due <= upto.due}
        for p, m, t, k, v in rows:
            if p in by_period and v is not None:
                by_period[p].add(m, t, k, v)
        # who reported in each period: a period nobody reported in is no data, and a share of everyone is judged
        # only where nobody it counts was missing (bot/domain/judgment.py)
        for p, m, t, n in await self.report_repo.reported_periods(rm.id, form.id, ids):
            if p in by_period:
                by_period[p].add_reported(m, t, n)
        return by_period

    async def readings(self, rm: Roadmap, form: Form, period: Period, scope: Territory, targets: list[Target],
                       today: date) -> dict[str, Reading]:
        """Each target's one judgment for the period at `today` (bot/domain/judgment.py): every view shows it."""
        if not targets:
            return {}
        history = await self._history(rm, form, scope, period)
        dues = [p.due for p in periods_of(form, rm)]
        return {t.key: read(t, dues, {date.fromisoformat(key): PeriodFigures(totals.target(t), totals.reported_count(),
                                                                             totals.not_reported(t), totals.no_norm(t))
                                      for key, totals in history.items()}, period.due, today)
                for t in targets}

    async def verdicts(self, rm: Roadmap, form: Form, period: Period, scope: Territory, targets: list[Target],
                        today: date) -> dict[str, Verdict]:
        judged = [t for t in targets if t.goal_value is not None and t.by is not None]
        return {k: r.verdict for k, r in (await self.readings(rm, form, period, scope, judged, today)).items()
                if r.verdict is not None}

    async def _organizations(self, rm: Roadmap, form: Form, period: Period, scope: Territory, main: Target | None
                             ) -> tuple[list[tuple[Organization, bool]], list[tuple[float, str]]]:
        """A municipality's organizations the form asks: those that have not reported (returned: True), and
        those that have, by the main target, the lowest first."""
        orgs = await self.directory_repo.organizations_of_municipality(scope.id)
        expected = [o for o in orgs if o.type in form.org_types and form.indicators_for(o.type)]
        ids = [o.id for o in expected]
        per_org = await self.report_repo.period_figures(rm.id, form.id, period.key, ids)
        returned = await self.report_repo.returned(rm.id, form.id, period.key, ids)
        missing = [(o, o.id in returned) for o in expected if o.id not in per_org]
        ranked = []
        if main is not None and (main.org_types is None or any(o.type in main.org_types for o in expected)):
            base = {o.id: await self.directory_repo.baselines_of(o.id) for o in expected if o.id in per_org} \
                if needs_baselines(main) else {}
            ranked = sorted((p, o.name) for o in expected if o.id in per_org
                            and (main.org_types is None or o.type in main.org_types)
                            and (p := organization_percent(main, o, per_org[o.id], base.get(o.id))) is not None)
            ranked.sort(key=lambda r: (badness(main, r[0]), r[1]))
        return missing, ranked

    async def _items_of(self, covered: list[tuple[Roadmap, Territory]], today: date) -> list[Line]:
        """Each roadmap's items block once; where two roadmaps have items, each block names its roadmap (two
        blocks of «Пункты дорожной карты» had not said which was which)."""
        blocks: list[tuple[Roadmap, list[Line]]] = []
        seen: set[str] = set()
        for rm, sub in covered:
            if rm.id not in seen:
                seen.add(rm.id)
                lines = await self._items_lines(rm, sub, today)
                if lines:
                    blocks.append((rm, lines))
        out: list[Line] = []
        for rm, lines in blocks:
            if len(blocks) > 1:
                lines[0] = replace(lines[0], text=lines[0].text.replace(
                    texts.ITEMS_BLOCK_WORD, texts.ITEMS_BLOCK_OF.format(title=short(rm.roadmap.title, 60)), 1))
            out += lines
        return out

    async def _items_lines(self, rm: Roadmap, scope: Territory, today: date) -> list[Line]:
        """Items as counts (overdue, due within two weeks) and the worst few; a recurring item is one line."""
        if scope.level == "country":
            return []  # thousands of municipalities: items are looked at region by region
        states = await self.item_states(rm, scope, today)
        overdue = [s for s in states if s.overdue(today)]
        soon = [s for s in states if not s.overdue(today)]
        if not states:
            return []
        lines = [Line(texts.SUMMARY_ITEMS_COUNTS.format(overdue=len(overdue), soon=len(soon)), rank=1)]
        worst = sorted(overdue, key=lambda s: s.pending[0][0]) + sorted(soon, key=lambda s: s.pending[0][0])
        for s in worst[:3]:
            lines.append(Line(item_line(s, today), rank=4))
        return lines

    async def item_states(self, rm: Roadmap, scope: Territory, today: date) -> list[ItemState]:
        """Each item not confirmed by everyone responsible in `scope`, its due dates up to two weeks ahead."""
        units = await territory_units(self.directory_repo, scope)
        out = []
        for item in rm.item:
            if not item.confirm:
                continue
            mine = responsible_units(item, units)
            occurrences = item_occurrences(item, rm)
            dates = [occ for occ in occurrences if (occ - today).days <= AHEAD_DAYS]
            pending: list[tuple[date, list[str]]] = []
            for occ in dates:
                done = await self.item_repo.confirmed_units(rm.id, item.id, occ.isoformat())
                open_units = [name for role, sid, name in mine if (role, sid) not in done]
                if open_units:
                    pending.append((occ, open_units))
            if pending:
                out.append(ItemState(item, [d for d in occurrences if d < today], pending))
        return out

    # -- chats ------------------------------------------------------------------------------

    async def for_chat(self, actor: Actor, peer: int, now: datetime, query: str = "") -> Reply | None:
        """/status in a group chat: the bound territory's summary for those who may see it; an unbound chat is
        told how to bind it, someone else is told who sees it. `query`: a municipality or an organization inside
        the bound territory (`@бот /status дс 15` had shown the whole territory)."""
        bound = await self.chat_repo.get(peer)
        if bound is None:
            return Reply(texts.CHAT_NOT_BOUND)
        if not await self.access.can_see(actor, bound.role, bound.scope_id):
            return Reply(texts.CHAT_STATUS_NOT_YOURS)
        territory = await self.territory(bound.role, int(bound.scope_id))
        if territory is None:
            return None
        query = query.strip()[:200]
        if not query:
            return await self.territory_reply(territory, now, chat=True)
        hits = find(territory.municipalities, query, name=lambda m: m.name)
        if len(hits) == 1 and territory.level != "municipality":
            sub = await self.territory("municipality", hits[0].id)
            return await self.territory_reply(sub, now, chat=True) if sub else None
        inside = {m.id for m in territory.municipalities}
        orgs = [o for o in await self.access.resolve_organization(actor, query)
                if (org := await self.directory_repo.organization(o.id)) is not None and org.municipality_id in inside]
        if len(orgs) == 1:
            org = await self.directory_repo.organization(orgs[0].id)
            return await self.organization_view(actor, org, now, chat=True) if org else None
        if orgs:
            names = "; ".join(o.name for o in orgs[:CHOICES])
            return Reply(texts.CHAT_STATUS_CHOOSE.format(query=short(query, 100), names=names))
        return Reply(texts.STATUS_NOT_FOUND.format(query=query[:100]))

    async def chat_items(self, actor: Actor, peer: int, now: datetime) -> Reply:
        """/items in a group chat: the bound territory's items, as «Пункты» under its summary shows them."""
        bound = await self.chat_repo.get(peer)
        if bound is None:
            return Reply(texts.CHAT_NOT_BOUND)
        return await self.views.detail(actor, {"v": "items", "l": bound.role, "id": int(bound.scope_id)}, now, peer)

    async def chat_help(self, peer: int, messenger: str = "vk") -> Reply:
        """/help in a group chat: what the chat is for now (bound or not), in the words of the chat's own messenger
        (a MAX chat had been told about ВКонтакте's mentions)."""
        bound = await self.chat_repo.get(peer)
        label = await self.access.label(bound.role, bound.scope_id) if bound else None
        max_chat = messenger == "max"
        if bound and label:
            return Reply(texts.CHAT_HELP_BOUND.format(scope=label, how="" if max_chat else texts.CHAT_HELP_BOUND_VK))
        return Reply(texts.CHAT_HELP.format(how=texts.CHAT_HELP_MAX if max_chat else texts.CHAT_HELP_VK))

    async def summary_for_event(self, roadmap: Roadmap, form_id: str, period_key: str, role: str,
                                scope_id: int) -> Reply | None:
        """The scheduled summary for a bound chat: the same section /status shows for that form and period, with
        the buttons of /status (pressed by the chat's coordinators, checked each time)."""
        form = next((f for f in roadmap.form if f.id == form_id), None)
        period = period_by_key(form, roadmap, period_key) if form else None
        scope = await self.territory(role, scope_id)
        if form is None or period is None or scope is None:
            return None
        text = await self.summary(roadmap, form, period, scope, period.due)
        of = {"r": roadmap.id, "f": form.id, "p": period.key}
        return Reply(text, self.summary_buttons(scope, private=False, chat=True, of=of), inline=True) if text else None

    async def summary_for_events(self, due: list[tuple[Roadmap, str, str]], role: str, scope_id: int,
                                 day: date) -> Reply | None:
        """Summaries falling due together for one territory as one message: a section per form, the roadmap's items
        once, the buttons once (five separate summaries, each with the same items block, had reached a chat on one
        day). One summary alone is `summary_for_event`'s."""
        if len(due) == 1:
            return await self.summary_for_event(due[0][0], due[0][1], due[0][2], role, scope_id)
        scope = await self.territory(role, scope_id)
        if scope is None:
            return None
        blocks: list[list[Line]] = [[Line(texts.SUMMARY_ALL_HEAD.format(scope=scope.name, today=fmt_date(day)))]]
        covered: list[tuple[Roadmap, Territory]] = []
        for rm, form_id, key in due:
            form = next((f for f in rm.form if f.id == form_id), None)
            period = period_by_key(form, rm, key) if form else None
            sub = await self._covering(rm, scope) if period else None
            if form is None or period is None or sub is None:
                continue
            blocks.append(await self._section(rm, form, period, sub, period.due, single=False, keep_period=True))
            covered.append((rm, sub))
        if len(blocks) == 1:
            return None
        return Reply(fit([*blocks, await self._items_of(covered, day)]),
                     self.summary_buttons(scope, private=False, chat=True), inline=True)

    # -- one tap away from a summary ---------------------------------------------------------------

    async def scope_for(self, actor: Actor, args: Mapping[str, object], peer: int | None = None) -> Territory | None:
        """The territory a summary's button names (checked against the presser's roles, never trusted), else
        the group chat's bound territory, else the person's own."""
        level, ident = args.get("l"), args.get("id")
        if level in ("municipality", "region") and isinstance(ident, int):
            if not await self.access.can_see(actor, str(level), str(ident)):
                return None
            return await self.territory(str(level), ident)
        if level == "country":
            return await self.territory("country", 0) if actor.is_owner else None
        if args:
            return None  # a forged or an old button
        if peer is not None:
            bound = await self.chat_repo.get(peer)
            if bound is None or not await self.access.can_see(actor, bound.role, bound.scope_id):
                return None
            return await self.territory(bound.role, int(bound.scope_id))
        return await self.default_territory(actor)

    async def detail(self, actor: Actor, args: Mapping[str, object], now: datetime, peer: int | None = None) -> Reply:
        """«Кто не сдал», «Пункты», «По типам», «По муниципалитетам» under a summary (bot/services/summary_views.py)."""
        return await self.views.detail(actor, args, now, peer)

    async def ask_organization(self, actor: Actor) -> Reply:
        """«Организация…»: the next message is a name to look up in the coordinator's territory."""
        if not actor.is_coordinator:
            return Reply(texts.NOT_ALLOWED)
        await self.conversation_repo.set(actor.person_id, Dialog.STATUS_QUERY, {})
        return Reply(texts.STATUS_ASK_ORG, [[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])

    async def organization_query(self, actor: Actor, text: str, now: datetime) -> Reply:
        """The name typed after «Организация…»: its view, or choices, as `/status <name>` gives."""
        query = " ".join(text.split())[:200]
        if not query:
            return Reply(texts.STATUS_ASK_ORG_AGAIN, [[Button(texts.BTN_CANCEL, CommandId.CANCEL)]])
        await self.conversation_repo.clear(actor.person_id)
        return await self.for_actor(actor, query, now)
