"""One form, one state machine: questions one at a time, back, cancel, summary, fix, send.

The machine is pure: `advance(ctx, draft, answer)` returns the next draft and what to show.
The draft is a plain dict-able object persisted in SQLite after every step, so a restart
continues where the person stopped. Nothing it accepts can break the form's rules: every
stored value is re-checked by `validate_figures` before a submission is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.domain.roadmap import NUMERIC_KINDS, TEXT_LIMIT, Indicator, Value
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import fmt_number, short

_SEPARATORS = re.compile(r"[\s\u00a0\u2007\u2009\u202f'’_]")
MAX_DIGITS = 9
_THOUSANDS = re.compile(r"[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})+")
_ONE_GROUP = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
YES = {"да", "д", "yes", "y", "1", "+", "ага", "есть", "конечно"}
NO = {"нет", "н", "no", "n", "0", "-", "не"}
ACTS = {"back", "cancel", "send", "fix", "confirm", "redo", "carry", "yes", "no", "pick", "opt", "skip"}
OPTION_SHOWN = 20  # the longest option label every messenger shows whole on a button of its own
MAX_NUMBER = 10**9
COMMAND = CommandId.FORM


@dataclass
class Draft:
    roadmap_id: str
    form_id: str
    organization_id: str
    period: str
    keys: list[str]
    started_at: str
    figures: dict[str, Value | None] = field(default_factory=dict)  # None: skipped
    step: int = 0
    mode: str = "ask"  # ask | confirm | summary | pick
    pending: Value | None = None
    editing: bool = False
    correcting: bool = False
    behalf: bool = False  # a coordinator fills it for the organization

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        if "answers" in data and "figures" not in data:  # drafts saved before the rename
            data = {**data, "figures": data["answers"]}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class FormContext:
    """What the machine needs to know beyond the draft: the questions and last period's values."""

    title: str
    organization: str
    period_label: str
    indicators: dict[str, Indicator]
    previous: dict[str, Value | None]  # the organization's figures of the previous period
    # an answer that is the numerator of a share of everyone: the organization's known total (its baseline);
    # more than that is a share above 100 % in the ministry's figures, worth a second look
    ceilings: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """Where the form is now: its draft (None: over, cancelled or to be sent) and what to say before its next
    question or summary (an answer refused, a hint). What the screen looks like is bot/views/form_screens.py's."""

    draft: Draft | None
    note: str = ""
    submit: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Answer:
    text: str
    act: str | None = None  # from a button payload; untrusted, only chooses among valid moves
    arg: int | None = None


def answer_from(text: str, command: str | None, args: Mapping[str, Any]) -> Answer:
    """A typed answer, or a form button's move (its arguments are untrusted: only known moves count)."""
    if command == COMMAND and args.get("act") in ACTS:
        arg = args.get("n")
        return Answer(text, args["act"], arg if isinstance(arg, int) and not isinstance(arg, bool) else None)
    return Answer(text)


# ---------------------------------------------------------------------------- parsing


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_count(text: str) -> int:
    s = _SEPARATORS.sub("", text.strip())
    s = s.rstrip(".,")
    if s.startswith("+"):
        s = s[1:]
    grouped = _THOUSANDS.fullmatch(s)
    if grouped:  # "1,000,000": groups of three under one mark can only be thousands
        s = re.sub(r"[.,]", "", s)
    elif _ONE_GROUP.fullmatch(s):
        # "1,000" or "12.500": a thousand or a fraction, by country; asked, never guessed
        whole, rest = re.split(r"[.,]", s, maxsplit=1)
        small = f"{whole},{rest.rstrip('0')}" if rest.strip("0") else whole
        raise Invalid(texts.FORM_AMBIGUOUS.format(typed=text.strip(), small=small, big=fmt_number(int(whole + rest))))
    m = re.fullmatch(r"(-?)(\d+)(?:[.,](\d+))?", s)
    if not m:
        raise Invalid(texts.FORM_NOT_NUMBER)
    sign, whole, fraction = m.groups()
    if fraction is not None and fraction.strip("0"):
        raise Invalid(texts.FORM_NOT_WHOLE)
    if sign and whole.strip("0"):
        raise Invalid(texts.FORM_NEGATIVE)
    if len(whole.lstrip("0")) > MAX_DIGITS:
        raise Invalid(texts.FORM_TOO_BIG_NUMBER)
    return int(whole)


_UNIT = re.compile(r"(?i)(.*\d)\s*[a-zа-яё][a-zа-яё/.]+")  # «95,5 Мбит/с»: the unit the question names


def parse_number(text: str) -> int | float:
    """A decimal >= 0 the Russian way (12,5) or with a dot; thousands apart by spaces (1 234,5); a unit
    word after it is allowed."""
    unit = _UNIT.fullmatch(text.strip())
    s = _SEPARATORS.sub("", unit[1] if unit else text.strip()).rstrip(".")
    if s.startswith("+"):
        s = s[1:]
    if _THOUSANDS.fullmatch(s):  # "1,000,000": several groups under one mark are thousands
        s = re.sub(r"[.,]", "", s)
    m = re.fullmatch(r"(-?)(\d+)(?:[.,](\d+))?|(-?)[.,](\d+)", s)
    if not m:
        raise Invalid(texts.FORM_NOT_DECIMAL)
    sign = m.group(1) or m.group(4) or ""
    whole, fraction = m.group(2) or "0", m.group(3) or m.group(5) or ""
    value = float(f"{whole}.{fraction or 0}")
    if sign and value:
        raise Invalid(texts.FORM_NEGATIVE)
    if value >= MAX_NUMBER:
        raise Invalid(texts.FORM_TOO_BIG_NUMBER)
    value = round(value, 6)
    return int(value) if value.is_integer() else value


def parse_percent(text: str) -> int | float:
    s = text.strip()
    s = s[:-1].rstrip() if s.endswith("%") else s
    value = parse_number(s)
    if value > 100:
        raise Invalid(texts.FORM_PERCENT_RANGE)
    return value


def parse_choice(text: str, options: list[str]) -> str:
    """An option typed instead of pressed: its label (any case), its number, a clear beginning, or
    a yes/no word when the options are «да»/«нет»."""
    s = " ".join(text.strip().rstrip(".!").casefold().split())
    folded = [o.casefold() for o in options]
    if s in folded:
        return options[folded.index(s)]
    if s.isascii() and s.isdigit() and len(s) <= 3 and 1 <= int(s) <= len(options):  # int() refuses 4300+ digits
        return options[int(s) - 1]
    for words, label in ((YES, "да"), (NO, "нет")):
        if s in words and label in folded:
            return options[folded.index(label)]
    starting = [o for o, f in zip(options, folded, strict=True) if s and f.startswith(s)]
    if len(starting) == 1:
        return starting[0]
    raise Invalid(texts.FORM_CHOICE.format(options=", ".join(f"«{o}»" for o in options)))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # cannot be kept in a spreadsheet or shown


def parse_text(text: str, limit: int) -> str:
    s = _CONTROL.sub("", text).strip()
    if not s:
        raise Invalid(texts.FORM_TEXT_EMPTY)
    if len(s) > limit:
        raise Invalid(texts.FORM_TEXT_TOO_LONG.format(length=len(s), limit=limit))
    return s


def parse_link(text: str) -> str:
    """An http(s) address; «sferum.ru/…» typed without its scheme is taken as https."""
    s = text.strip().rstrip(".,;")
    if not re.match(r"(?i)https?://", s):
        s = "https://" + s
    try:
        parts = urlsplit(s)
        host = parts.hostname or ""
    except ValueError:
        raise Invalid(texts.FORM_NOT_LINK) from None
    if re.search(r"\s", s) or len(s) > TEXT_LIMIT or "." not in host.strip(".") or \
            not re.fullmatch(r"[\w.-]+", host):
        raise Invalid(texts.FORM_NOT_LINK)
    return s


def parse_answer(ind: Indicator, text: str) -> Value:
    """A typed answer to `ind`, or Invalid with what to type instead."""
    if ind.kind == "yesno":
        return parse_yesno(text)
    if ind.kind == "number":
        return parse_number(text)
    if ind.kind == "percent":
        return parse_percent(text)
    if ind.kind == "choice":
        return parse_choice(text, ind.options or [])
    if ind.kind == "text":
        return parse_text(text, ind.max_length or TEXT_LIMIT)
    if ind.kind == "link":
        return parse_link(text)
    return parse_count(text)


def parse_yesno(text: str) -> int:
    s = text.strip().lower().rstrip(".!")
    if s in YES:
        return 1
    if s in NO:
        return 0
    raise Invalid(texts.FORM_YESNO)


def _plain(value: float) -> str:
    """A figure inside an error message, as the person typed it: 1204, 12,5."""
    return str(value) if isinstance(value, int) else fmt_number(value)


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_value(ind: Indicator, value: Value | None, figures: Mapping[str, Value | None],
                indicators: dict[str, Indicator]) -> None:
    """Raise Invalid when `value` is not an answer `ind` accepts (its kind, max, options, length) or
    breaks an at_most pairing with an answered partner. None is a skipped question."""
    if value is None:
        if ind.required:
            raise Invalid(texts.FORM_REQUIRED)
        return
    kind = ind.kind
    if kind == "yesno":
        if value not in (0, 1) or isinstance(value, str | float):
            raise Invalid(texts.FORM_YESNO)
        return
    if kind == "choice":
        if value not in (ind.options or []):
            raise Invalid(texts.FORM_CHOICE.format(options=", ".join(f"«{o}»" for o in ind.options or [])))
        return
    if kind == "text":
        if not isinstance(value, str):
            raise Invalid(texts.FORM_TEXT_EMPTY)
        parse_text(value, ind.max_length or TEXT_LIMIT)
        return
    if kind == "link":
        if not isinstance(value, str) or parse_link(value) != value:
            raise Invalid(texts.FORM_NOT_LINK)
        return
    if not _numeric(value) or (kind == "count" and not isinstance(value, int)):
        raise Invalid(texts.FORM_NOT_NUMBER if kind == "count" else texts.FORM_NOT_DECIMAL)
    assert isinstance(value, int | float)
    if value < 0:
        raise Invalid(texts.FORM_NEGATIVE)
    if kind == "percent":
        if value > 100:
            raise Invalid(texts.FORM_PERCENT_RANGE)
        return
    if value >= MAX_NUMBER:
        raise Invalid(texts.FORM_TOO_BIG_NUMBER)
    if ind.max is not None and value > ind.max:
        raise Invalid(texts.FORM_ABOVE_MAX.format(max=_plain(ind.max)))
    partner_value = figures.get(ind.at_most) if ind.at_most else None
    if _numeric(partner_value) and value > partner_value:
        partner = indicators.get(ind.at_most or "")
        raise Invalid(texts.FORM_ABOVE_PARTNER.format(
            question=short(partner.header if partner else str(ind.at_most)), value=_plain(partner_value)))
    for other in indicators.values():
        other_value = figures.get(other.key)
        if other.at_most == ind.key and _numeric(other_value) and other_value > value:
            raise Invalid(texts.FORM_BELOW_PARTNER.format(question=short(other.header),
                                                          value=_plain(other_value)))


def validate_figures(keys: list[str], figures: Mapping[str, Value | None],
                     indicators: dict[str, Indicator]) -> list[str]:
    """Every rule a complete submission must satisfy; empty when it may be stored."""
    problems = []
    if any(k not in indicators for k in keys) or set(figures) != set(asked_keys(keys, figures, indicators)):
        problems.append("answers do not match the questions")
    for key in keys:
        ind = indicators.get(key)
        if ind is None:
            problems.append(f"unknown indicator {key}")
        elif key in figures:
            try:
                check_value(ind, figures[key], {k: v for k, v in figures.items() if k != key}, indicators)
            except Invalid as e:
                problems.append(f"{key}: {e.message}")
    return problems


def above_baseline(value: Value | None, baseline: int | None) -> bool:
    """An answer above the organization's known total: its share of everyone would pass 100 %."""
    return baseline is not None and _numeric(value) and value > baseline


def above_ceiling(ctx: FormContext, key: str, value: Value | None) -> bool:
    return above_baseline(value, ctx.ceilings.get(key))


def implausible(ind: Indicator, value: Value | None, previous: Value | None) -> bool:
    """More than 50 % down or 3x up from the last period: worth a second look."""
    if ind.kind not in NUMERIC_KINDS or not _numeric(value) or not _numeric(previous) or previous <= 0:
        return False
    return value < previous * 0.5 or value > previous * 3


# ---------------------------------------------------------------------------- answers offered


def carry_value(ctx: FormContext, ind: Indicator) -> Value | None:
    """Last period's answer, offered as a button, for numeric questions that may repeat."""
    value = ctx.previous.get(ind.key)
    return value if ind.carry_over and ind.kind in NUMERIC_KINDS and _numeric(value) else None


def carry_label(value: Value) -> str:
    return texts.BTN_CARRY.format(value=fmt_number(value) if _numeric(value) else value)


def _same_label(typed: str, label: str) -> bool:
    """A button's label typed by hand: case and digit grouping aside («Как раньше: 1204»)."""
    return _SEPARATORS.sub("", typed).lower() == _SEPARATORS.sub("", label).lower()


# ---------------------------------------------------------------------------- transitions


def asked_keys(keys: list[str], figures: Mapping[str, Value | None], indicators: Mapping[str, Indicator]) -> list[str]:
    """The questions asked given these answers (v3 `when`; without it, all)."""
    return [k for k in keys if indicators[k].asked(figures)]


def _drop_moot(ctx: FormContext, draft: Draft) -> None:
    """An answer to a question no longer asked (an earlier answer changed) is dropped, not kept unseen."""
    for key in draft.keys:
        if key in draft.figures and not ctx.indicators[key].asked(draft.figures):
            del draft.figures[key]


def _next_asked(ctx: FormContext, draft: Draft, start: int) -> int | None:
    return next((i for i in range(start, len(draft.keys)) if ctx.indicators[draft.keys[i]].asked(draft.figures)),
                None)


def _label_act(text: str) -> str | None:
    """Buttons also arrive as typed text (old clients, copy-paste): map labels to moves."""
    s = text.strip().lower()
    return {texts.BTN_BACK.lower(): "back", texts.BTN_CANCEL.lower(): "cancel", "/cancel": "cancel",
            texts.BTN_SEND.lower(): "send", texts.BTN_FIX.lower(): "fix",
            texts.BTN_CONFIRM.lower(): "confirm", texts.BTN_SKIP.lower(): "skip"}.get(s)


def advance(ctx: FormContext, draft: Draft, answer: Answer) -> Step:
    act = answer.act or _label_act(answer.text)
    if act == "cancel":
        return Step(None, cancelled=True)
    if draft.mode == "summary":
        return _on_summary(ctx, draft, act)
    if draft.mode == "pick":
        return _on_pick(ctx, draft, act, answer)
    if draft.mode == "confirm":
        if act == "confirm" and draft.pending is not None:
            return _accept(ctx, draft, draft.pending)
        if act in ("redo", "fix", "back"):
            draft.mode, draft.pending = "ask", None
            return Step(draft, texts.FORM_REDO)
        draft.mode, draft.pending = "ask", None  # a new number typed instead of a button
    return _on_ask(ctx, draft, act, answer)


def _on_summary(ctx: FormContext, draft: Draft, act: str | None) -> Step:
    if act == "send":
        return Step(draft, submit=True)
    if act == "fix":
        draft.mode = "pick"
        return Step(draft)
    if act == "back":
        asked = [i for i, k in enumerate(draft.keys) if ctx.indicators[k].asked(draft.figures)]
        draft.mode, draft.step = "ask", asked[-1]
        draft.editing = True
        return Step(draft)
    return Step(draft, texts.FORM_SUMMARY_HINT)


def _on_pick(ctx: FormContext, draft: Draft, act: str | None, answer: Answer) -> Step:
    if act == "back":
        draft.mode = "summary"
        return Step(draft)
    n = answer.arg if act == "pick" else None
    if n is None:
        s = answer.text.strip().rstrip(".")
        n = int(s) if s.isascii() and s.isdigit() and len(s) <= 3 else None
    if n is None or not 1 <= n <= len(draft.keys) or not ctx.indicators[draft.keys[n - 1]].asked(draft.figures):
        return Step(draft, texts.FORM_PICK_WRONG.format(total=len(draft.keys)))
    draft.mode, draft.step, draft.editing = "ask", n - 1, True
    return Step(draft)


def _on_ask(ctx: FormContext, draft: Draft, act: str | None, answer: Answer) -> Step:
    key = draft.keys[draft.step]
    ind = ctx.indicators[key]
    if act == "back":
        if draft.editing:
            draft.mode, draft.editing = "summary", False
            return Step(draft)
        earlier = [i for i in range(draft.step) if ctx.indicators[draft.keys[i]].asked(draft.figures)]
        draft.step = earlier[-1] if earlier else 0
        return Step(draft)
    try:
        carry = carry_value(ctx, ind)
        value: Value | None
        if act == "skip" and not ind.required:
            value = None
        elif carry is not None and (act == "carry" or _same_label(answer.text, carry_label(carry))):
            value, act = carry, "carry"
        elif act in ("yes", "no") and ind.kind == "yesno":
            value = 1 if act == "yes" else 0
        elif act == "opt" and ind.kind == "choice" and answer.arg is not None and \
                0 <= answer.arg < len(ind.options or []):
            value = (ind.options or [])[answer.arg]
        elif act == "skip":
            raise Invalid(texts.FORM_REQUIRED)
        else:
            value = parse_answer(ind, answer.text)
        others = {k: v for k, v in draft.figures.items() if k != key}
        check_value(ind, value, others, ctx.indicators)
    except Invalid as e:
        return Step(draft, e.message)
    if implausible(ind, value, ctx.previous.get(key)) and act != "carry":
        draft.mode, draft.pending = "confirm", value
        return Step(draft)
    return _accept(ctx, draft, value)


def _accept(ctx: FormContext, draft: Draft, value: Value | None) -> Step:
    key = draft.keys[draft.step]
    draft.figures[key] = value
    draft.pending = None
    _drop_moot(ctx, draft)
    following = _next_asked(ctx, draft, draft.step + 1)
    if draft.editing or following is None:
        # A correction may come from a draft restored after the form changed, or open a question a changed answer
        # now asks (v3 `when`): ask what is missing.
        for i, k in enumerate(draft.keys):
            if k not in draft.figures and ctx.indicators[k].asked(draft.figures):
                draft.mode, draft.step, draft.editing = "ask", i, False
                return Step(draft)
        draft.mode, draft.editing = "summary", False
        return Step(draft)
    draft.step = following
    draft.mode = "ask"
    return Step(draft)
