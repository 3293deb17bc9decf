"""Numbers, dates and percentages written one way everywhere a person reads them."""

from __future__ import annotations

from datetime import date, datetime


def fmt_date(d: date | datetime) -> str:
    return d.strftime("%d.%m.%Y")


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def percent(numerator: float, denominator: float) -> str:
    return fmt_percent(numerator / denominator * 100 if denominator > 0 else None)


def fmt_number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def short(text: str, limit: int = 80) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:—-")
    return (cut or text[: limit - 1]) + "…"
