"""An organization's card (/status for its admin, or a coordinator's look at one school): each near form's state,
its targets judged on the organization's own reports, its answers; fitted to one phone screen. Part of
SummaryService (its repositories and judgments), kept apart for size."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain.judgment import PeriodFigures, read
from bot.domain.models import Organization
from bot.domain.periods import Period, local_today, open_forms, previous_period
from bot.domain.periods import periods as periods_of
from bot.domain.roadmap import Form, Roadmap
from bot.services.access import Actor
from bot.services.figures import in_form, needs_baselines, organization_percent, own_norm
from bot.services.names import person_label
from bot.services.reports import BEHALF, RETURN
from bot.services.summary_views import own_norm_line, target_line
from bot.views.message import Button, Reply, Screen
from bot.views.summary import LINE_BUDGET, Line, fit
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import fmt_answer, fmt_date, fmt_time, plural
from storage.reports import Submission

NEAR_DAYS = 14  # /status shows a form in full when its period is due within this, or someone has reported in it
STATUS = CommandId.STATUS


class OrganizationCard:
    """SummaryService's organization card (mixed in: it reads SummaryService's repositories)."""

    screen: Screen  # what fits under one message (SummaryService's)

    async def organization_view(self, actor: Actor, org: Organization, now: datetime, chat: bool = False,
                                full: bool = False, budget: int = LINE_BUDGET) -> Reply:
        """One organization: each open form's state and figures, its targets with verdicts; for a coordinator
        of its territory, buttons to fill or correct the report for it and to return it for revision. Fitted to
        one phone screen (`budget`); what did not fit is behind «Все цели» (`full`: everything)."""
        muni = await self.directory_repo.municipality(org.municipality_id)
        tz = muni.timezone if muni else self.default_timezone
        today = local_today(now, tz)
        # (in a group chat no buttons to fill or return a report: those are the coordinator's own, in private)
        coordinator = not chat and actor.is_coordinator and await self.access.oversees(actor, org)
        blocks: list[list[Line]] = [[Line(texts.STATUS_ORG_HEAD.format(name=org.name))]]
        buttons: list[list[Button]] = []
        region = await self.directory_repo.region(muni.region_id) if muni else None
        # only roadmaps that cover the organization (a multi-region install had shown another region's forms)
        forms = open_forms(await self.roadmaps.all(), org.type, region.name if region else "",
                           muni.name if muni else "", today)
        if not forms:
            blocks[0].append(Line(texts.STATUS_ORG_NO_FORMS))
        later = []
        for n, (rm, form, period) in enumerate(forms, 1):
            sub = await self.report_repo.submission(org.id, rm.id, form.id, period.key)
            if sub is None and form.filled_by == "import":
                continue  # loaded from a file by the coordinators (v3): nothing the school is to send, until loaded
            if sub is None and period.due > today + timedelta(days=NEAR_DAYS):
                later.append((form, period))  # only what is near, as the territory's /status: the rest one line
                continue
            lines = await self._organization_form(org, rm, form, period, sub, today, tz, coordinator)
            blocks.append(lines)
            if coordinator and len(buttons) < self.screen.rows:
                ref = {"org": org.id, "rm": rm.id, "form": form.id}
                mark = f" ({n})" if len(forms) > 1 else ""
                row = [Button(texts.BTN_BEHALF + mark, BEHALF, ref)] if sub is None else \
                    [Button(texts.BTN_BEHALF_FIX + mark, BEHALF, {**ref, "fix": 1})]
                if sub is not None and not sub.returned:
                    row.append(Button(texts.BTN_RETURN + mark, RETURN, ref))
                buttons.append(row)
        if later:
            form, period = min(later, key=lambda e: e[1].due)
            blocks.append([Line(texts.SUMMARY_LATER.format(forms=plural(len(later), *texts.LATER_FORMS),
                                                           due=fmt_date(period.due), title=form.title), rank=2)])
        if full:
            return Reply("\n\n".join("\n".join(line.text for line in block) for block in blocks), buttons or None,
                         inline=bool(buttons))
        text = fit(blocks, budget, more=texts.STATUS_ORG_MORE)
        if text.endswith(texts.STATUS_ORG_MORE):
            # an admin's own card comes back by /status itself; a coordinator's by the organization's code
            args: dict[str, str | int] = {"all": 1} if not coordinator and not chat else {"q": org.id, "all": 1}
            buttons = [[Button(texts.BTN_ALL_TARGETS, STATUS, args)]] + buttons[:self.screen.rows - 1]
        return Reply(text, buttons or None, inline=bool(buttons))

    async def _organization_form(self, org: Organization, rm: Roadmap, form: Form, period: Period,
                                 sub: Submission | None, today: date, tz: str, coordinator: bool) -> list[Line]:
        """One form on an organization's card: its state, its targets judged on its own reports (those with a goal
        first), and the answers no target shows (a coordinator: every answer). Ranked to fit one phone screen."""
        history = await self.report_repo.organization_periods(org.id, rm.id, form.id)
        before = previous_period(form, rm, period)
        if sub is None:
            state = texts.STATUS_ORG_NOT_SENT
        elif sub.returned:
            state = texts.STATUS_ORG_RETURNED.format(comment=sub.return_comment or "—")
        else:
            state = texts.STATUS_ORG_SENT
        lines = [Line(texts.STATUS_ORG_FORM.format(title=form.title, period=fmt_date(period.due), state=state))]
        if coordinator and sub is not None:
            # who sent it and when: what a coordinator asks the school about (shown in private only)
            who = await self.people_repo.person(sub.updated_by)
            lines.append(Line(texts.STATUS_ORG_SENT_BY.format(
                name=person_label(who.full_name if who else None, sub.updated_by),
                when=fmt_time(sub.updated_at, tz, year=False))))
        # a returned report's figures are shown (they are what is to be corrected), though they do not count
        figures = (await self.report_repo.figures(sub.id) if sub else None) or \
            (history.get(before.key) if before else None) or {}
        base = await self.directory_repo.baselines_of(org.id) \
            if any(needs_baselines(t) for t in rm.target) else {}
        dues = [p.due for p in periods_of(form, rm)]
        goals = 0
        for t in rm.target:
            if not in_form(t, form) or (t.org_types is not None and org.type not in t.org_types):
                continue
            if t.each is not None:  # v3: the organization's own norm, met or not (one line, never dropped)
                own_norm_of = own_norm(t, org, figures, base)
                if own_norm_of is not None and figures:
                    lines.append(Line(own_norm_line(t, own_norm_of), rank=1 if goals == 0 else 3))
                    goals += 1
                continue
            # the same judgment as the territory's (bot/domain/judgment.py), over the organization's own
            # counted reports: a period it did not report in is no data, the last real value keeps its date
            own = {date.fromisoformat(k): PeriodFigures(organization_percent(t, org, f, base), 1, 0)
                   for k, f in history.items()}
            if sub is not None:  # a returned report is shown and judged here: it is what is to be corrected
                own[period.due] = PeriodFigures(organization_percent(t, org, figures, base), 1, 0)
            # a target with a goal before one without (a monitored one): the first of them is never dropped
            rank = 4 if t.goal_value is None else (1 if goals == 0 else 3)
            goals += t.goal_value is not None
            lines.append(Line(target_line(t, read(t, dues, own, period.due, today), period.due), rank=rank))
        for ind in form.indicators_for(org.type):
            # no target shows these: the answer itself; a coordinator sees every answer the report holds
            if (coordinator or not ind.summed) and ind.key in figures:
                lines.append(Line(texts.STATUS_ORG_ANSWER.format(question=ind.header,
                                                                 answer=fmt_answer(ind.kind, figures[ind.key])),
                                  rank=2 if coordinator else 4))
        return lines
