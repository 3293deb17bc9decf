"""/chart and the summary's picture: a territory's targets over the periods, with a note of what it draws. Part of
SummaryService (its figures and territories), kept apart for size; matplotlib loads only when a chart is drawn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.periods import Period, local_today
from bot.services.access import Actor
from bot.services.figures import Territory, headline, in_form
from bot.views.message import File, Reply
from bot.words import texts
from bot.words.format import fmt_date


class Charts:
    """SummaryService's pictures (mixed in: it reads SummaryService's figures)."""

    async def chart_for(self, actor: Actor, now: datetime, args: Mapping[str, object] | None = None,
                        peer: int | None = None) -> Reply:
        """/chart or «График» under a summary: the territory's targets over the periods, as a picture."""
        territory = await self.scope_for(actor, args or {}, peer)
        if territory is None:
            return Reply(texts.VIEW_SCOPE_GONE if args else texts.NOT_ALLOWED)
        picture = await self.chart(territory, now)
        if picture is None:
            return Reply(texts.STATUS_NOTHING)
        return Reply(" ".join(filter(None, [texts.CHART_CAPTION.format(scope=territory.name), picture.note])),
                     files=(File("chart.png", picture.png, "photo"),))

    async def chart(self, scope: Territory, now: datetime) -> Picture | None:
        """Each target's % over the periods so far (a municipality), or the main target by
        municipality (a region, the country), against the goal; with a note of the periods it draws."""
        today = local_today(now, scope.timezone)
        forms = await self.current_forms(scope, today)
        if not forms:
            return None
        rm, form, period, sub = forms[0]
        targets = headline([t for t in rm.target if in_form(t, form)], form)  # the summary's lines, not all 18
        if not targets:
            return None
        targets = [t for t in targets if t.kind == targets[0].kind]  # one axis: percents, or a ratio's number
        by_period = {key: totals for key, totals in (await self._history(rm, form, sub, period)).items()
                     if totals.sums[None]}  # the chart draws the periods someone reported in
        closed = {key: totals for key, totals in by_period.items() if key <= today.isoformat()}
        by_period = closed or by_period  # an open period half sent would draw a fall that is not there
        from bot.views.charts import line_chart, ranked_bars  # matplotlib loads only when a chart is drawn

        if sub.level == "municipality" or len(sub.municipalities) == 1:
            series = {t.title: [(date.fromisoformat(p), v) for p, f in sorted(by_period.items())
                                if (v := f.target(t)) is not None] for t in targets}
            dues = [date.fromisoformat(p) for p in sorted(by_period)]
            note = _drawn_through(dues, period, today)
            ratio = targets[0].kind == "ratio"
            return Picture(line_chart(f"{form.title} — {scope.name}", series, targets[0].goal_value, dues, note,
                                      ratio, targets[0].unit if len({t.unit for t in targets}) == 1 else None), note)
        # a region or the country: its municipalities ranked on the main target in the latest period with data
        main = targets[0]
        if not by_period:
            return None
        latest_key = max(by_period)
        latest = by_period[latest_key]
        values = [(m.name, v) for m in sub.municipalities if (v := latest.target(main, muni=m.id)) is not None]
        title = f"{main.title} — {scope.name}, период до {fmt_date(date.fromisoformat(latest_key))}"
        return Picture(ranked_bars(title, values, main.goal_value, main.kind == "ratio"),
                       _drawn_through([date.fromisoformat(latest_key)], period, today))


@dataclass(frozen=True)
class Picture:
    png: bytes
    note: str  # which periods it draws, and why the open one is not among them


def _drawn_through(drawn: list[date], current: Period | None, today: date) -> str:
    """What a chart's reader must know beside it: the last period drawn, and that the open one waits for its due
    date (a chart at 82,9 % on 27.11 beside a /status of 88,8 % for 04.12 had said nothing of it)."""
    if not drawn:
        return ""
    last = max(drawn)
    if current is not None and current.due > last and current.due >= today:
        return texts.CHART_THROUGH.format(last=fmt_date(last)) + " " + texts.CHART_OPEN.format(due=fmt_date(current.due))
    if current is not None and last == current.due and current.due >= today:
        return texts.CHART_ONLY_OPEN.format(due=fmt_date(current.due))
    return texts.CHART_THROUGH.format(last=fmt_date(last))
