"""The chart as a coordinator puts it on a slide: every line visible, the legend whole, dates that say the year,
and a note of which periods are drawn."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.periods import Period
from bot.services.charts import _drawn_through
from bot.views.charts import line_figure


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_equal_series_stay_two_lines_and_the_legend_is_whole() -> None:
    long_title = ("Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений, от всех работников по статистике "
                  "управления образования")
    weeks = [date(2025, 12, 19) + timedelta(days=7 * n) for n in range(4)]  # over the new year
    same = [(d, 50.0 + n) for n, d in enumerate(weeks)]
    fig = line_figure("Мониторинг", {"Педагоги": same, long_title: same}, 100, weeks, note="На графике — …")
    try:
        ax = fig.axes[0]
        lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 4]
        assert len(lines) == 2
        first, second = lines
        # equal values, yet told apart: another marker, another dash, the thinner drawn over the wider
        assert first.get_marker() != second.get_marker() and first.get_linestyle() != second.get_linestyle()
        assert first.get_linewidth() > second.get_linewidth() and second.get_zorder() > first.get_zorder()
        legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
        assert legend == ["Педагоги", long_title]  # whole, wrapped onto a second line, not cut
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == "19.12.2025" and ticks[-1] == "09.01.2026"  # two years on the axis: the year is said
        assert any("На графике" in t.get_text() for t in ax.texts)
        # the last values are drawn over the lines, on white: moved up to the goal's dashed line, a label had been
        # struck through by it
        values = [t for t in ax.texts if t.get_text().endswith("%") and not t.get_text().startswith("цель")]
        assert len(values) == 2
        assert all(t.get_zorder() > max(line.get_zorder() for line in ax.get_lines()) for t in values)
        assert all(t.get_bbox_patch() is not None and t.get_bbox_patch().get_facecolor()[:3] == (1, 1, 1)
                   for t in values)
    finally:
        _close(fig)


def test_one_season_needs_no_year() -> None:
    weeks = [date(2023, 10, 6) + timedelta(days=7 * n) for n in range(3)]
    fig = line_figure("Мониторинг", {"Педагоги": [(d, 10.0 * n) for n, d in enumerate(weeks)]}, 100, weeks)
    try:
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["06.10", "13.10", "20.10"]
    finally:
        _close(fig)


def test_the_note_says_which_periods_are_drawn_and_why_the_open_one_is_not() -> None:
    closed = [date(2026, 11, 20), date(2026, 11, 27)]
    open_period = Period(date(2026, 12, 4), date(2026, 11, 28))
    today = date(2026, 12, 2)
    assert _drawn_through(closed, open_period, today) == (
        "На графике — периоды по 27.11.2026 включительно. Текущий период (до 04.12.2026) появится после его срока: "
        "пока сдали не все, и незакрытый период показал бы спад, которого нет.")
    # only the open period has reports yet: it is drawn, and said to be open
    assert _drawn_through([date(2026, 12, 4)], open_period, today).startswith("На графике — текущий период (до 04.12")
    # after the plan: the last period, nothing open
    assert _drawn_through(closed, None, date(2027, 1, 10)) == "На графике — периоды по 27.11.2026 включительно."


def test_the_same_figures_are_drawn_once_and_other_figures_anew() -> None:
    """A chart costs ~0.2 s of CPU: «График» pressed again with nothing changed takes the picture already drawn,
    while any change of what it shows (a value, the goal, the note) draws a new one."""
    import io

    from PIL import Image

    from bot.views.charts import _line_chart, line_chart

    weeks = [date(2024, 2, 2) + timedelta(days=7 * n) for n in range(5)]
    series = {"Педагоги": [(d, 30.0 + 5 * n) for n, d in enumerate(weeks)]}
    first = line_chart("Мониторинг — кеш", series, 90, weeks, "до 01.03")
    drawn = _line_chart.cache_info().misses
    again = line_chart("Мониторинг — кеш", {k: list(v) for k, v in series.items()}, 90, list(weeks), "до 01.03")
    assert again == first and _line_chart.cache_info().misses == drawn
    changed = [line_chart("Мониторинг — кеш", {"Педагоги": series["Педагоги"][:-1] + [(weeks[-1], 51.0)]}, 90,
                          weeks, "до 01.03"),
               line_chart("Мониторинг — кеш", series, 80, weeks, "до 01.03"),
               line_chart("Мониторинг — кеш", series, 90, weeks, "до 08.03")]
    assert _line_chart.cache_info().misses == drawn + 3
    assert len({first, *changed}) == 4 and all(Image.open(io.BytesIO(png)).format == "PNG" for png in changed)


def test_a_picture_is_cut_as_savefigs_own_tight_box_would_cut_it() -> None:
    """`_png` measures the tight box on the layout already made instead of letting savefig lay the figure out once
    more: the PNG must stay byte for byte what `bbox_inches="tight"` gives — the legend and the note under the
    plot whole — for every shape of chart (a matplotlib upgrade that broke this would show here)."""
    import io

    import matplotlib.pyplot as plt

    from bot.views.charts import PAD_INCHES, _png, bars_figure

    weeks = [date(2024, 11, 1) + timedelta(days=7 * n) for n in range(14)]  # over the new year
    long = "Доля педагогов, написавших не менее 10 сообщений за неделю, от всех педагогических работников"
    figures = [
        lambda: line_figure("Мониторинг", {f"{long} {n}": [(d, 10.0 * n + k) for k, d in enumerate(weeks)]
                                           for n in range(8)}, 90, weeks, note="На графике — " + "период " * 40),
        lambda: line_figure("Отношение " * 30, {"Чатов на класс": [(weeks[0], 1.5)]}, 2.0, None, "", True, "чатов"),
        lambda: line_figure("Пусто", {}, None, weeks),
        lambda: bars_figure("Доля педагогов в Сферуме — область", [(f"Округ № {n}", 30.0 + n * 7 % 70)
                                                                     for n in range(30)], 90),
        lambda: bars_figure("Чатов на класс", [("Один округ с длинным названием " * 3, 0.5)], None, True),
    ]
    for make in figures:
        ours, theirs = make(), make()
        try:
            buf = io.BytesIO()
            theirs.savefig(buf, format="png", bbox_inches="tight", pad_inches=PAD_INCHES)
            assert _png(ours) == buf.getvalue()
        finally:
            plt.close(ours)
            plt.close(theirs)
