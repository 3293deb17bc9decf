"""Numbers, dates and percentages written one way everywhere a person reads them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.words import texts

# A no-break space: a phone wraps a line between words, never inside «71,4 %», «↑ +6,4 п.п.» or «1 234».
NBSP = "\u00a0"


def fmt_date(d: date | datetime) -> str:
    return d.strftime("%d.%m.%Y")


def fmt_time(at: datetime, timezone: str, zone: bool = False, year: bool = True) -> str:
    """An instant as the clock on the wall where it happened reads it: «24.11.2026 20:14»; `zone` names
    the zone the Russian way («20:14 МСК+2») where a reader could be elsewhere."""
    local = at.astimezone(ZoneInfo(timezone))
    text = local.strftime("%d.%m.%Y %H:%M" if year else "%d.%m %H:%M")
    return f"{text} {zone_name(local)}" if zone else text


def zone_name(local: datetime) -> str:
    """«МСК», «МСК+2», «МСК−1»: how Russian timetables name a zone (Moscow is UTC+3 all year)."""
    hours = ((local.utcoffset() or timedelta()) - timedelta(hours=3)).total_seconds() / 3600
    if hours == 0:
        return "МСК"
    sign = "+" if hours > 0 else "−"
    return f"МСК{sign}{fmt_number(abs(hours))}"


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + NBSP + "%"


def fmt_measure(value: float | None, ratio: bool = False, unit: str | None = None) -> str:
    """A target's value: a percent «71,4 %», or a ratio with one decimal and its unit «3,7 книги на читателя»."""
    if not ratio:
        return fmt_percent(value)
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",") + (NBSP + unit if unit else "")


def fmt_delta(points: float, ratio: bool = False) -> str:
    """A change in percentage points with its arrow and a real minus: «↑ +6,4 п.п.», «↓ −22,7 п.п.», «= 0 п.п.»;
    a ratio's change is a plain number («↑ +0,3»)."""
    shown = round(points, 1)
    points_word = "" if ratio else f"{NBSP}п.п."
    if shown == 0:
        return f"={NBSP}0{points_word}"
    number = f"{abs(shown):.1f}".replace(".", ",")
    return f"↑{NBSP}+{number}{points_word}" if shown > 0 else f"↓{NBSP}−{number}{points_word}"


def percent(numerator: float, denominator: float) -> str:
    return fmt_percent(numerator / denominator * 100 if denominator > 0 else None)


def fmt_number(value: float) -> str:
    """1 234 and 12,5: thousands apart, a decimal comma, at most three decimals."""
    if isinstance(value, float) and not value.is_integer():
        whole, _, fraction = f"{value:,.3f}".rstrip("0").partition(".")
        return whole.replace(",", NBSP) + ("," + fraction if fraction else "")
    return f"{int(value):,}".replace(",", NBSP)


def fmt_answer(kind: str, value: float | str | None, limit: int = 80) -> str:
    """One answer as a person reads it (a skipped question, a yes, a percent, a shortened text)."""
    if value is None:
        return texts.ANSWER_SKIPPED
    if isinstance(value, str):
        return short(value, limit)
    if kind == "yesno":
        return texts.BTN_YES if value else texts.BTN_NO
    if kind == "percent":
        return fmt_number(value) + NBSP + "%"
    return fmt_number(value)


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 организация», «3 организации», «5 организаций»: the noun after a number, the Russian way."""
    tail = n % 100
    word = many if 11 <= tail <= 14 else one if tail % 10 == 1 else few if 2 <= tail % 10 <= 4 else many
    return f"{fmt_number(n)}{NBSP}{word}"


def short(text: str, limit: int = 80) -> str:
    """At most `limit` characters, cut between words with an ellipsis, never after a dangling preposition or
    conjunction («…специалистов УО с…» reads as a mistake)."""
    if len(text) <= limit:
        return text
    words = text[: limit - 1].split(" ")
    if len(words) > 1:
        words.pop()  # the last one may be cut
    while len(words) > 1 and (len(words[-1].strip(",.;:—-«(")) <= 2 or words[-1].lower() in DANGLING):
        words.pop()
    cut = " ".join(words).rstrip(" ,.;:—-«(")
    return (cut or text[: limit - 1]) + "…"


DANGLING = {"для", "при", "без", "под", "над", "про", "через", "или", "как", "что", "это", "его", "их"}


FILE_NAME_LIMIT = 120  # characters before the extension: long territory names stay readable in a download list


def file_name(parts: list[str], extension: str) -> str:
    """A file's name as a person keeps it: Russian words joined by « — », no character a file system refuses
    (/\\:*?"<>|), cut between words. «Дорожная карта — Нижнетуринский ГО — 20.10.2023.xlsx»."""
    text = " — ".join(p.strip() for p in parts if p and p.strip())
    text = "".join(" " if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text)
    text = " ".join(text.split()).strip(" .")
    if len(text) > FILE_NAME_LIMIT:
        text = short(text, FILE_NAME_LIMIT).rstrip("…").strip(" —.")
    return f"{text or 'file'}.{extension}"


# «в пятницу»: the day of the week a deadline falls on, as one says it (the accusative after «в»/«во»)
ON_WEEKDAY = ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье")


def due_words(due: date, today: date) -> str:
    """When a deadline is, said from `today` on the reader's own calendar: «сегодня, 13.06», «завтра, 13.06»,
    «в пятницу, 13.06»
    within the week, «до 20.10.2023» further off (a reminder sent on 30.12 for the 31st had said «сегодня»)."""
    days = (due - today).days
    if days == 0:
        return f"сегодня, {due:%d.%m}"  # the date too: two occurrences of a monthly item read apart
    if days == 1:
        return f"завтра, {due:%d.%m}"
    if 1 < days < 7:
        return f"{ON_WEEKDAY[due.weekday()]}, {due:%d.%m}"
    return f"до {fmt_date(due)}"
