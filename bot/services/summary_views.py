"""The screens one tap under a summary — «Кто не сдал», «Пункты», «По типам», «По муниципалитетам»/«По
организациям»: each reads the same figures and verdicts the summary read (bot/services/figures.py, the status
service's `verdicts`) and only lays them out differently."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain.judgment import Reading
from bot.domain.periods import Period, local_today, period_by_key
from bot.domain.roadmap import ORG_TYPE_NAMES, Form, Roadmap, Target
from bot.domain.schedule import item_state, report_date
from bot.services.access import Actor
from bot.services.figures import ItemState, OwnNorm, Territory, counted_types, headline, in_form, ranking
from bot.services.items import headings
from bot.views.message import Reply
from bot.words import texts
from bot.words.format import fmt_date, fmt_number, fmt_percent, plural, short

if TYPE_CHECKING:
    from bot.services.summary import SummaryService


ITEM_NAMES = 5  # names listed under an item in «Пункты»; the rest counted


# a form's line in a summary: an import form's figures are loaded, not sent (v3)
FORM_LINE = {"organizations": texts.SUMMARY_FORM, "import": texts.SUMMARY_FORM_IMPORT}

class SummaryViews:
    def __init__(self, summary: SummaryService) -> None:
        self.summary = summary

    async def detail(self, actor: Actor, args: Mapping[str, object], now: datetime, peer: int | None = None) -> Reply:
        """«Кто не сдал», «Пункты», «По типам», «По муниципалитетам» under a summary."""
        scope = await self.summary.scope_for(actor, args, peer)
        if scope is None:
            return Reply(texts.VIEW_SCOPE_GONE if peer is None else texts.CHAT_STATUS_NOT_YOURS)
        today = local_today(now, scope.timezone)
        forms = await self.summary.current_forms(scope, today)
        if args.get("f") is not None:
            # under a scheduled summary: that summary's form and period, not whatever is open today
            forms = await self._summary_form(scope, args) or forms
            today = min(today, forms[0][2].due) if forms else today  # judged as the summary judged them
        if not forms:
            return Reply(texts.STATUS_NOTHING)
        view = args.get("v")
        private = peer is None
        if view == "items":
            lines = await self._items_view(scope, forms, today)
        elif view == "types":
            lines = await self._types_view(scope, forms, today)
        elif view == "ranking":
            lines = await self._ranking_view(scope, forms)
        else:
            lines = await self._missing_view(scope, forms, private)
        return Reply("\n".join(lines), self.summary.summary_buttons(scope, private, chat=not private, of=args), inline=True)

    async def _summary_form(self, scope: Territory, args: Mapping[str, object]
                            ) -> list[tuple[Roadmap, Form, Period, Territory]]:
        rm = await self.summary.roadmaps.get(str(args.get("r")))
        form = next((f for f in rm.form if f.id == args.get("f")), None) if rm else None
        period = period_by_key(form, rm, str(args.get("p"))) if rm and form else None
        sub = await self.summary._covering(rm, scope) if rm and period else None
        return [(rm, form, period, sub)] if rm and form and period and sub else []

    async def _missing_view(self, scope: Territory, forms: list[tuple[Roadmap, Form, Period, Territory]],
                            private: bool) -> list[str]:
        lines = [texts.VIEW_MISSING_HEAD.format(scope=scope.name)]
        for rm, form, period, sub in forms:
            head = {"title": form.title, "period": fmt_date(period.due)}
            if sub.level == "municipality":
                missing, _ = await self.summary._organizations(rm, form, period, sub, None)
                figs = await self.summary.figures(rm, form, period.key, sub)
                expected = figs.expected(form)
                lines.append(texts.VIEW_MISSING_FORM.format(n=len(missing), expected=expected, **head) if missing
                             else texts.VIEW_MISSING_NONE.format(expected=expected, **head))
                # one name a line: a long list then splits between names, never inside one
                lines += [f"   – {o.name}{texts.SUMMARY_RETURNED if returned else ''}" for o, returned in missing]
            else:
                figs = await self.summary.figures(rm, form, period.key, sub)
                expected, reported = figs.expected(form), figs.reported_count()
                lines.append(texts.VIEW_MISSING_FORM.format(n=expected - reported, expected=expected, **head)
                             if expected > reported else texts.VIEW_MISSING_NONE.format(expected=expected, **head))
                behind = sorted(((exp - rep, m.name, exp) for m in sub.municipalities
                                 if (exp := figs.expected(form, muni=m.id)) > (rep := figs.reported_count(muni=m.id))),
                                key=lambda r: (-r[0], r[1]))
                lines += [texts.VIEW_MISSING_MUNI.format(name=name, n=n, expected=exp) for n, name, exp in behind]
        if private and scope.level == "municipality":
            unreachable = await self.summary.people_repo.unreachable_admins(scope.id)
            if unreachable:
                lines.append(texts.STATUS_UNREACHABLE)
                lines += [f"   – {person or '—'} ({org})" for person, org, _ in unreachable]
        return lines

    async def _items_view(self, scope: Territory, forms: list[tuple[Roadmap, Form, Period, Territory]],
                          today: date) -> list[str]:
        lines = [texts.VIEW_ITEMS_HEAD.format(scope=scope.name)]
        seen: set[str] = set()
        for rm, _, _, sub in forms:
            if rm.id in seen or sub.level == "country":
                continue
            seen.add(rm.id)
            states = sorted(await self.summary.item_states(rm, sub, today), key=lambda s: rm.section_of(s.item)[0])
            for s, heading in zip(states, headings([(rm, s.item) for s in states]), strict=True):
                if heading:
                    lines.append(heading)  # the order's own headings (v3), in its order
                occ, names = s.pending[-1]
                judged = item_state(s.item, occ, today)
                state = texts.STATUS_OVERDUE if judged == "overdue" else texts.STATUS_AWAITING.format(
                    date=fmt_date(report_date(s.item, occ))) if judged == "awaiting" else texts.STATUS_OPEN
                if len(s.pending) > 1:
                    lines.append(texts.STATUS_ITEM_RECURRING.format(
                        id=s.item.number, title=short(s.item.title, 80), open=len(s.pending),
                        total=len(s.passed) + sum(1 for d, _ in s.pending if d >= today), due=fmt_date(occ),
                        state=state, n=len(names)))
                else:
                    lines.append(texts.STATUS_ITEM.format(id=s.item.number, title=short(s.item.title, 80),
                                                          due=fmt_date(occ), state=state, n=len(names)))
                # who has not confirmed: a name a line, as «Кто не сдал» lists them (ten names joined by «;» in one
                # line had made «Пункты» a wall)
                lines += [f"   – {name}" for name in names[:ITEM_NAMES]]
                if len(names) > ITEM_NAMES:
                    lines.append("   – " + texts.SUMMARY_AND_MORE.format(n=len(names) - ITEM_NAMES).strip())
        return lines if len(lines) > 1 else [*lines, texts.VIEW_ITEMS_NONE]

    async def _answers(self, rm: Roadmap, form: Form, period: Period, scope: Territory) -> list[str]:
        """Percent questions as their (weighted) average, choices as counts per option (format v2)."""
        ids = None if scope.level == "country" else [m.id for m in scope.municipalities]
        lines = []
        for ind in form.indicator:
            if ind.kind == "percent":
                total, weight, answered = await self.summary.report_repo.average(rm.id, form.id, period.key, ids, ind.key,
                                                                         ind.weight)
                if weight > 0:
                    lines.append(texts.SUMMARY_AVERAGE.format(question=ind.header,
                                                              value=fmt_percent(total / weight), n=answered))
            elif ind.kind == "choice":
                counts = await self.summary.report_repo.choices(rm.id, form.id, period.key, ids, ind.key)
                if counts:
                    shown = [f"{o} — {counts[o]}" for o in ind.options or [] if counts.get(o)]
                    shown += [f"{o} — {n}" for o, n in counts.items() if o not in (ind.options or [])]
                    lines.append(texts.SUMMARY_CHOICES.format(question=ind.header, counts=", ".join(shown)))
        return lines

    async def _types_view(self, scope: Territory, forms: list[tuple[Roadmap, Form, Period, Territory]],
                          today: date) -> list[str]:
        """Every target of every open form, split by organization type, and the averaged and counted answers."""
        lines = [texts.VIEW_TYPES_HEAD.format(scope=scope.name)]
        for rm, form, period, sub in forms:
            figs = await self.summary.figures(rm, form, period.key, sub)
            targets = [t for t in rm.target if in_form(t, form)]
            readings = await self.summary.readings(rm, form, period, sub, targets, today)
            lines.append(FORM_LINE[form.filled_by].format(
                title=form.title, period=fmt_date(period.due), reported=figs.reported_count(),
                expected=figs.expected(form),
                percent=fmt_percent(figs.reported_count() / figs.expected(form) * 100 if figs.expected(form) else None)))
            for t in targets:
                lines.append(target_line(t, readings[t.key], period.due))
                by_type = [(ot, figs.target(t, org_type=ot)) for ot in form.org_types
                           if (t.org_types is None or ot in t.org_types) and ot in counted_types(t, form)
                           and figs.expected(form, org_type=ot)]
                if len(by_type) > 1:
                    lines += [f"   – {ORG_TYPE_NAMES[ot]}: {t.shown(v)}" for ot, v in by_type]
            lines += await self._answers(rm, form, period, sub)
        return lines

    async def _ranking_view(self, scope: Territory, forms: list[tuple[Roadmap, Form, Period, Territory]]
                            ) -> list[str]:
        """Each form's main target by municipality (a region) or by organization (a municipality), lowest first."""
        lines = [texts.VIEW_RANKING_HEAD.format(scope=scope.name)]
        for rm, form, period, sub in forms:
            targets = headline([t for t in rm.target if in_form(t, form)], form)
            if not targets:
                continue
            lines.append(texts.VIEW_RANKING.format(form=form.title, period=fmt_date(period.due),
                                                   title=targets[0].title))
            if sub.level == "municipality":
                _, ranked = await self.summary._organizations(rm, form, period, sub, targets[0])
                rows = [f"{name} — {organization_value(targets[0], p)}" for p, name in ranked]
            else:
                figs = await self.summary.figures(rm, form, period.key, sub)
                rows = [f"{name} — {targets[0].shown(value)}, сдали {rep}/{exp}"
                        for value, name, rep, exp in ranking(form, sub, figs, targets[0])]
            lines += [f"   {n}. {row}" for n, row in enumerate(rows[:40], 1)]
            if len(rows) > 40:
                lines.append(texts.ITEMS_MORE.format(n=len(rows) - 40))
            if not rows:
                lines.append(texts.VIEW_RANKING_EMPTY)
        return lines


def target_line(t: Target, reading: Reading, due: date) -> str:
    """A target's line as every summary writes it, from its one judgment (bot/domain/judgment.py)."""
    verdict = reading.verdict
    said = ("; " + texts.VERDICTS[verdict.kind].format(deadline=fmt_date(verdict.deadline),
                                                        value=t.shown(verdict.value))) if verdict else ""
    if reading.no_norm:
        said = ", " + texts.SUMMARY_NO_NORM.format(organizations=plural(reading.no_norm,
                                                                         *texts.NO_NORM_ORGANIZATIONS)) + said
    if reading.first_due is not None:
        return texts.SUMMARY_FIRST_DUE.format(title=t.title, due=fmt_date(reading.first_due))
    if reading.value is None or reading.at is None:
        if reading.no_norm:  # nobody's norm is known: the directory's column is empty, not the figures
            return texts.SUMMARY_NO_NORM_ANYWHERE.format(title=t.title, organizations=plural(
                reading.no_norm, *texts.NO_NORM_ORGANIZATIONS))
        return texts.SUMMARY_NO_DATA.format(title=t.title) + said
    if reading.stale:
        return texts.SUMMARY_TARGET_STALE.format(title=t.title, percent=t.shown(reading.value), goal=t.goal_label,
                                                 at=fmt_date(reading.at), period=fmt_date(due)) + said
    trend = ""
    if reading.without:
        # a share of everyone grows with every report still to come: while one is missing the value is not final,
        # and a delta would read as a rise or a fall that is not there («↑ +7,9 п.п.» with one school to come)
        trend = ", " + texts.SUMMARY_WITHOUT.format(organizations=plural(reading.without, *texts.WITHOUT_ORGANIZATIONS))
    elif reading.delta is not None and reading.against is not None:
        trend = ", " + t.shown_change(reading.delta) + (texts.SUMMARY_DELTA_AGAINST.format(date=f"{reading.against:%d.%m}")
                                                   if reading.named else "")
    return texts.SUMMARY_TARGET.format(title=t.title, percent=t.shown(reading.value), goal=t.goal_label,
                                       trend=trend + said)


def organization_value(t: Target, value: float | None) -> str:
    """One organization's value of a target: an `each` target's is met or not («выполнено»), not 100 % or 0 %."""
    if t.each is not None and value is not None:
        return texts.OWN_NORM_MET_SHORT if value > 0 else texts.OWN_NORM_NOT_MET_SHORT
    return t.shown(value)


def own_norm_state(own: OwnNorm) -> str:
    """«выполнено (норма 5)», «не выполнено (норма 5)», «норма не задана» (v3 `each`)."""
    if own.norm is None:
        return texts.OWN_NORM_NONE
    return (texts.OWN_NORM_MET if own.met else texts.OWN_NORM_NOT_MET).format(norm=fmt_number(own.norm))


def own_norm_line(t: Target, own: OwnNorm) -> str:
    """An `each` target where one organization is shown: «• …: выполнено (норма 5)» (v3)."""
    return texts.OWN_NORM_LINE.format(title=t.title, state=own_norm_state(own))


def item_line(s: ItemState, today: date) -> str:
    title = short(s.item.title, 50)
    if len(s.passed) > 1:
        every = texts.ITEM_EVERY.get(s.item.every or "", texts.ITEM_EVERY_DATES) if not s.item.months else \
            texts.ITEM_EVERY_MONTHS.format(months=" и ".join(
                filter(None, [", ".join(texts.IN_MONTH[m - 1] for m in s.item.months[:-1]),
                              texts.IN_MONTH[s.item.months[-1] - 1]])))
        return texts.SUMMARY_ITEM_RECURRING.format(id=s.item.number, title=title, every=every, missed=s.missed(today),
                                                   passed=len(s.passed))
    occ, names = s.pending[0]
    judged = item_state(s.item, occ, today)
    if judged == "awaiting":
        return texts.SUMMARY_ITEM_AWAITING.format(id=s.item.number, title=title, due=fmt_date(report_date(s.item, occ)),
                                                  n=len(names))
    template = texts.SUMMARY_ITEM_OVERDUE if judged == "overdue" else texts.SUMMARY_ITEM_SOON
    return template.format(id=s.item.number, title=title, due=fmt_date(occ), n=len(names))
