"""Roadmap files (`docs/roadmap-format.md`): parsing, validation with file/line/key, the model.

A roadmap is validated whole before anything is stored: every mistake is collected and
reported as `file:line: key: message` (in Russian, for the operator), and a file with any
mistake loads nothing.
"""

from __future__ import annotations

import calendar
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.tomlpos import key_lines, line_of, toml_problem
from bot.words import texts
from bot.words.format import fmt_number

# Dates a roadmap may name: every period and reminder up to `ends` is computed, so 9999 would stall the bot.
YEARS = (2000, 2100)
MAX_DAYS = 15 * 366  # the longest national goals run to 2030–2036
ORG_TYPES = ("school", "preschool", "additional", "vocational", "authority")
OrgType = Literal["school", "preschool", "additional", "vocational", "authority"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORG_TYPE_NAMES = {
    "school": "общеобразовательные",
    "preschool": "дошкольные",
    "additional": "дополнительного образования",
    "vocational": "профессиональные",
    "authority": "органы управления образованием",
}


def _month_or_date(first_day: bool) -> Any:
    def parse(value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = map(int, value.split("-"))
            if not 1 <= month <= 12:
                raise ValueError("месяц должен быть от 01 до 12")
            return date(year, month, 1 if first_day else calendar.monthrange(year, month)[1])
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError('ожидается дата (2024-05-31) или месяц "YYYY-MM"') from None
        return value

    return BeforeValidator(parse)


def _hhmm(value: Any) -> Any:
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", value.strip())
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError('ожидается время "ЧЧ:ММ", например "10:00"')
        return time(int(m.group(1)), int(m.group(2)))
    return value


def _id_string(value: Any) -> Any:
    # `id = 4` is as natural to a hand-writer as `id = "4"`; both mean item 4.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


DueDate = Annotated[date, _month_or_date(first_day=False)]
FromDate = Annotated[date, _month_or_date(first_day=True)]
ClockTime = Annotated[time, BeforeValidator(_hhmm)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoadmapHeader(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    basis: str | None = None
    starts: date
    ends: date
    # Project keys beyond the contract: which territory the roadmap is for (default: the whole directory).
    region: str | None = None
    municipalities: list[str] | None = None

    def covers(self, region: str, municipality: str) -> bool:
        if self.region is not None and region != self.region:
            return False
        return self.municipalities is None or municipality in self.municipalities


Kind = Literal["count", "yesno", "number", "percent", "choice", "text", "link"]
SUMMED_KINDS = ("count", "yesno", "number")  # summed over organizations; the only ones a target may divide
NUMERIC_KINDS = ("count", "number")  # where max, at_most, carry_over and the plausibility check apply
# One answer as stored: a number (count, yesno as 1/0, number, percent) or a string (choice, text, link);
# None is a question skipped (`required = false`).
Value = int | float | str
TEXT_LIMIT = 2000
OPTION_LIMIT = 40  # a VK button's label


class Indicator(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]
    question: Annotated[str, Field(min_length=1, max_length=1000)]
    kind: Kind
    max: Annotated[int | float, Field(ge=0)] | None = None
    carry_over: bool = False
    org_types: list[OrgType] | None = None
    at_most: str | None = None
    # v2
    required: bool = True  # false: the person may skip the question with a button
    options: list[Annotated[str, Field(min_length=1, max_length=OPTION_LIMIT)]] | None = None  # choice
    weight: str | None = None  # percent: the indicator its average is weighted by
    max_length: Annotated[int, Field(ge=1, le=TEXT_LIMIT)] | None = None  # text
    short: Annotated[str, Field(min_length=1, max_length=40)] | None = None  # column header in spreadsheets

    @property
    def header(self) -> str:
        """What a spreadsheet column of this indicator is called."""
        return self.short or self.question

    def applies_to(self, org_type: str) -> bool:
        return self.org_types is None or org_type in self.org_types

    @property
    def summed(self) -> bool:
        return self.kind in SUMMED_KINDS


Cadence = Literal["1w", "2w", "3w", "1m", "3m", "6m"]


class Schedule(_Strict):
    """v2: one segment of a form's schedule (a cadence that changes with the season)."""

    from_: Annotated[FromDate, Field(alias="from")]
    until: DueDate
    every: Cadence | None = None
    on: Weekday | None = None
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    dates: list[DueDate] | None = None
    months: list[int] | None = None  # v3: these months of every year, on `day` (default: the last)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Form(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    every: Cadence | None = None  # v2: or `dates`, or `[[form.schedule]]`
    on: Weekday | None = None
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    from_: Annotated[FromDate | None, Field(alias="from")] = None  # v2: the first period is due on or after it
    until: DueDate | None = None  # v2: the last period is due on or before it
    dates: list[DueDate] | None = None
    months: list[int] | None = None  # v3: these months of every year, on `day` (default: the last)
    schedule: list[Schedule] | None = None
    remind_at: list[ClockTime] = []
    summary_at: ClockTime | None = None
    org_types: list[OrgType] = list(ORG_TYPES)
    indicator: Annotated[list[Indicator], Field(min_length=1)]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def indicators_for(self, org_type: str) -> list[Indicator]:
        return [i for i in self.indicator if i.applies_to(org_type)]

    @property
    def cadence(self) -> str:
        """What the form's schedule is, in a word (stored with the roadmap)."""
        return self.every or ("dates" if self.dates else "months" if self.months else "schedule")


class Target(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    numerator: str
    denominator: str
    goal_percent: Annotated[float, Field(ge=0, le=1000)] | None = None  # v2: none = monitored, never judged
    direction: Literal["at_least", "at_most"] = "at_least"  # v2: "at_most" for goals such as 0 %
    by: date | None = None
    org_types: list[OrgType] | None = None

    def fraction(self, org_type: str, figures: Mapping[str, Any],
                 baselines: Mapping[str, int]) -> tuple[float, float] | None:
        """(numerator, denominator) of this target for one organization: its own answers, 1 for
        `@organizations`, its known total for `@baseline.<key>`; None when it does not count or cannot
        (another type, not answered, skipped, nothing to divide by)."""
        if self.org_types is not None and org_type not in self.org_types:
            return None
        num = figures.get(self.numerator)
        if self.denominator == "@organizations":
            den: Any = 1
        elif self.denominator.startswith("@baseline."):
            den = baselines.get(self.denominator.removeprefix("@baseline."))
        else:
            den = figures.get(self.denominator)
        numeric = (int, float)
        if not isinstance(num, numeric) or not isinstance(den, numeric) or isinstance(num, bool) or not den:
            return None
        return num, den

    @property
    def goal_label(self) -> str:
        """The goal as a reader sees it: «цель 100 %», «цель не больше 0 %», «без цели»."""
        if self.goal_percent is None:
            return texts.GOAL_NONE
        template = texts.GOAL_AT_MOST if self.direction == "at_most" else texts.GOAL_AT_LEAST
        return template.format(goal=fmt_number(self.goal_percent))


class Item(_Strict):
    id: Annotated[str, BeforeValidator(_id_string), Field(min_length=1, max_length=32)]
    title: Annotated[str, Field(min_length=1)]
    responsible: Annotated[list[Literal["region", "municipality", "organization"]], Field(min_length=1)]
    org_types: list[OrgType] | None = None
    due: DueDate | None = None
    from_: Annotated[FromDate | None, Field(alias="from")] = None
    every: Literal["1w", "2w", "1m", "3m", "6m", "1y", "2y", "3y"] | None = None  # v3: "2y", "3y"
    dates: list[DueDate] | None = None  # v2: explicit due dates (the ends of the school quarters)
    months: list[int] | None = None  # v3: these months of every year from `from` to `due`
    day: Annotated[int, Field(ge=1, le=31)] | None = None  # v3: with `months`, the due day (default: the last)
    result: str | None = None
    confirm: bool = False
    evidence: Literal["link"] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Roadmap(_Strict):
    roadmap: RoadmapHeader
    form: list[Form] = []
    target: list[Target] = []
    item: list[Item] = []

    @field_validator("form", "target", "item", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        return v if v is not None else []

    @model_validator(mode="after")
    def _deadlines(self) -> Roadmap:
        """A judged target without `by` is judged by the roadmap's end (the contract: `by` defaults to
        `roadmap.ends`); set here once, so every view and the stored roadmap see the same deadline."""
        if any(t.by is None and t.goal_percent is not None for t in self.target):
            object.__setattr__(self, "target", [t.model_copy(update={"by": self.roadmap.ends})
                                                if t.by is None and t.goal_percent is not None else t
                                                for t in self.target])
        return self

    @property
    def id(self) -> str:
        return self.roadmap.id

    def baseline_ceilings(self, form: Form, org_type: str) -> dict[str, str]:
        """Answers of `form` that an organization of this type gives as the numerator of a share of everyone:
        indicator key -> baseline key. An answer above the organization's baseline puts its share above 100 %."""
        asked = {i.key for i in form.indicators_for(org_type)}
        return {t.numerator: t.denominator.removeprefix("@baseline.") for t in self.target
                if t.denominator.startswith("@baseline.") and t.numerator in asked
                and (t.org_types is None or org_type in t.org_types)}

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_json(cls, raw: str) -> Roadmap:
        return cls.model_validate_json(raw)


class Problem(BaseModel):
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class RoadmapError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


_MESSAGES = {
    "missing": "обязательный ключ не задан",
    "extra_forbidden": "неизвестный ключ (опечатка?)",
    "string_type": "ожидается строка в кавычках",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "float_type": "ожидается число",
    "float_parsing": "ожидается число",
    "bool_type": "ожидается true или false",
    "bool_parsing": "ожидается true или false",
    "list_type": "ожидается список в квадратных скобках",
    "date_type": "ожидается дата вида 2024-05-31",
    "date_parsing": "ожидается дата вида 2024-05-31",
    "date_from_datetime_parsing": "ожидается дата вида 2024-05-31",
    "model_type": "ожидается таблица",
    "too_short": "не может быть пустым",
    "string_too_short": "не может быть пустым",
    "string_too_long": "слишком длинное значение",
}


def _path_str(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + ("from" if part == "from_" else str(part))
    return out


def _message(err: dict[str, Any]) -> str:
    t = err["type"]
    if t == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"недопустимое значение {err.get('input')!r}; допустимо: {expected.replace(' or ', ' или ')}"
    if t == "string_pattern_mismatch":
        return "недопустимые символы: только строчные латинские буквы, цифры, '-' или '_'"
    if t in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "")
        word = {"greater_than": "больше", "greater_than_equal": "не меньше",
                "less_than": "меньше", "less_than_equal": "не больше"}[t]
        return f"значение должно быть {word} {bound}"
    if t == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    return _MESSAGES.get(t, err["msg"])


def parse_roadmap(text: str, filename: str = "roadmap.toml") -> Roadmap:
    """Parse and validate a roadmap; raise RoadmapError listing every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise RoadmapError([Problem(file=filename, line=int(m.group(1)) if m else None, key="",
                                    message=toml_problem(e))]) from None
    lines = key_lines(text)
    problems: list[Problem] = []

    def add(loc: tuple[str | int, ...], message: str) -> None:
        loc = tuple("from" if p == "from_" else p for p in loc)
        problems.append(Problem(file=filename, line=line_of(lines, loc), key=_path_str(loc), message=message))

    try:
        roadmap = Roadmap.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            add(tuple(err["loc"]), _message(err))  # type: ignore[arg-type]
        raise RoadmapError(problems) from None

    _check_references(roadmap, add)
    if problems:
        raise RoadmapError(problems)
    return roadmap


def territory_problems(rm: Roadmap, text: str, filename: str, regions: set[str],
                       municipalities: dict[str, set[str]]) -> list[Problem]:
    """Territory names the directory does not know (`municipalities`: region name -> its municipalities).
    A typo would load fine and leave everyone without reminders, so it is named."""
    lines = key_lines(text)
    head = rm.roadmap
    problems = []
    if head.region is not None and head.region not in regions:
        problems.append(Problem(file=filename, line=line_of(lines, ("roadmap", "region")), key="roadmap.region",
                                message=f"региона «{head.region}» нет в справочнике"))
    known = municipalities.get(head.region, set()) if head.region is not None else \
        {m for names in municipalities.values() for m in names}
    unknown = [m for m in head.municipalities or [] if m not in known]
    if unknown:
        where = f" региона «{head.region}»" if head.region is not None else ""
        problems.append(Problem(file=filename, line=line_of(lines, ("roadmap", "municipalities")),
                                key="roadmap.municipalities",
                                message="нет в справочнике" + where + ": " + ", ".join(f"«{m}»" for m in unknown)))
    return problems


def _check_cadence(part: Any, where: tuple[str | int, ...], add: Any) -> None:
    """`on` for week cadences, `day` (optional) for month ones, neither with `dates`."""
    every = part.every
    months = getattr(part, "months", None)
    if months is not None:
        _check_months(months, where, add)
        if part.on is not None:
            add((*where, "on"), "для months день задаётся ключом day, а не on")
        return
    if every is not None and every.endswith("w") and part.on is None:
        add((*where, "on"), 'для еженедельной формы нужен день сдачи: on = "fri" (mon..sun)')
    if (every is None or every.endswith("m")) and part.on is not None:
        add((*where, "on"), "для ежемесячной (квартальной) формы день задаётся ключом day, а не on"
            if every else "on задаётся только вместе с every")
    if (every is None or every.endswith("w")) and part.day is not None:
        add((*where, "day"), 'day задаётся только для every = "1m", "3m" или "6m"')


def _check_months(months: list[int], where: tuple[str | int, ...], add: Any) -> None:
    """v3 `months`: months 1–12, each once."""
    if not months:
        add((*where, "months"), "список месяцев пуст")
    bad = [m for m in months if not 1 <= m <= 12]
    if bad:
        add((*where, "months"), f"месяц {bad[0]} вне 1–12")
    elif len(set(months)) != len(months):
        add((*where, "months"), "месяц указан дважды")


def _check_kind(ind: Indicator, where: tuple[str | int, ...], add: Any) -> None:
    """Keys that belong to some kinds only: a key the kind ignores is a mistake, not a no-op."""
    kind = ind.kind
    if ind.max is not None and kind not in NUMERIC_KINDS:
        add((*where, "max"), 'max применим только к kind = "count" или "number" (процент всегда 0–100)')
    elif ind.max is not None and kind == "count" and ind.max != int(ind.max):
        add((*where, "max"), 'для kind = "count" max — целое число')
    for key in ("at_most", "carry_over"):
        if ind.model_fields_set & {key} and getattr(ind, key) and kind not in NUMERIC_KINDS:
            add((*where, key), f'{key} применим только к kind = "count" или "number"')
    if kind == "choice":
        options = ind.options or []
        if len(options) < 2:
            add((*where, "options"), 'для kind = "choice" нужен список options из двух и более вариантов')
        elif len({o.strip().casefold() for o in options}) != len(options):
            add((*where, "options"), "варианты ответа повторяются")
        elif len(options) > 8:
            add((*where, "options"), "не больше 8 вариантов: каждый — кнопка")
    elif ind.options is not None:
        add((*where, "options"), 'options применим только к kind = "choice"')
    if ind.weight is not None and kind != "percent":
        add((*where, "weight"), 'weight применим только к kind = "percent"')
    if ind.max_length is not None and kind != "text":
        add((*where, "max_length"), 'max_length применим только к kind = "text"')


def _check_references(rm: Roadmap, add: Any) -> None:
    head = rm.roadmap
    if head.ends < head.starts:
        add(("roadmap", "ends"), "дата окончания раньше даты начала")
    for key, day in (("starts", head.starts), ("ends", head.ends)):
        if not YEARS[0] <= day.year <= YEARS[1]:
            add(("roadmap", key), f"год {day.year} вне допустимых {YEARS[0]}–{YEARS[1]}")
    if (head.ends - head.starts).days > MAX_DAYS:
        add(("roadmap", "ends"), "дорожная карта длиннее 15 лет: проверьте дату окончания")
    for ii, item in enumerate(rm.item):
        if item.due is not None and not YEARS[0] <= item.due.year <= YEARS[1]:
            add(("item", ii, "due"), f"год {item.due.year} вне допустимых {YEARS[0]}–{YEARS[1]}")
    form_ids: set[str] = set()
    keys: dict[str, tuple[int, Indicator]] = {}
    for fi, form in enumerate(rm.form):
        if form.id in form_ids:
            add(("form", fi, "id"), f"форма {form.id!r} уже есть в этой дорожной карте")
        form_ids.add(form.id)
        ways = [w for w in ("every", "dates", "months", "schedule") if getattr(form, w)]
        if len(ways) != 1:
            add(("form", fi, "months" if "months" in ways else "every"),
                "у формы должно быть что-то одно: every (с on или day), dates, months или [[form.schedule]]"
                + (f"; задано: {', '.join(ways)}" if ways else ""))
        _check_cadence(form, ("form", fi), add)
        span_from, span_until = form.from_ or head.starts, form.until or head.ends
        for key, day in (("from", form.from_), ("until", form.until)):
            if day is not None and not head.starts <= day <= head.ends:
                add(("form", fi, key), f"{day:%d.%m.%Y} вне дорожной карты ({head.starts:%d.%m.%Y}–{head.ends:%d.%m.%Y})")
        if span_until < span_from:
            add(("form", fi, "until"), "until раньше from")
        for day in form.dates or []:
            if not span_from <= day <= span_until:
                add(("form", fi, "dates"), f"срок {day:%d.%m.%Y} вне {span_from:%d.%m.%Y}–{span_until:%d.%m.%Y}")
                break
        for si, seg in enumerate(form.schedule or []):
            where = ("form", fi, "schedule", si)
            if sum(x is not None for x in (seg.every, seg.dates, seg.months)) != 1:
                add((*where, "months" if seg.months is not None else "every"),
                    "у отрезка расписания должно быть что-то одно: every (с on или day), dates или months")
            _check_cadence(seg, where, add)
            if seg.until < seg.from_:
                add((*where, "until"), "until раньше from")
            for key, day in (("from", seg.from_), ("until", seg.until)):
                if not head.starts <= day <= head.ends:
                    add((*where, key), f"{day:%d.%m.%Y} вне дорожной карты ({head.starts:%d.%m.%Y}–{head.ends:%d.%m.%Y})")
        if len(set(form.org_types)) != len(form.org_types):
            add(("form", fi, "org_types"), "тип организации указан дважды")
        for ii, ind in enumerate(form.indicator):
            if ind.key in keys:
                add(("form", fi, "indicator", ii, "key"),
                    f"показатель {ind.key!r} уже объявлен (ключи уникальны во всей дорожной карте)")
            keys[ind.key] = (fi, ind)
            _check_kind(ind, ("form", fi, "indicator", ii), add)
            if ind.org_types:
                extra = set(ind.org_types) - set(form.org_types)
                if extra:
                    add(("form", fi, "indicator", ii, "org_types"),
                        f"тип {sorted(extra)[0]!r} не сдаёт эту форму (нет в org_types формы)")
        for ii, ind in enumerate(form.indicator):
            if ind.at_most is None:
                continue
            partner = keys.get(ind.at_most)
            if ind.at_most == ind.key:
                add(("form", fi, "indicator", ii, "at_most"), "показатель не может ссылаться на себя")
            elif partner is None or partner[0] != fi:
                add(("form", fi, "indicator", ii, "at_most"),
                    f"нет показателя {ind.at_most!r} в этой же форме")
            elif partner[1].kind not in NUMERIC_KINDS:
                add(("form", fi, "indicator", ii, "at_most"),
                    f"{ind.at_most!r} должен быть kind = \"count\" или \"number\"")
        for ii, ind in enumerate(form.indicator):
            if ind.weight is None or ind.kind != "percent":
                continue
            partner = keys.get(ind.weight)
            if partner is None or partner[0] != fi:
                add(("form", fi, "indicator", ii, "weight"), f"нет показателя {ind.weight!r} в этой же форме")
            elif partner[1].kind not in NUMERIC_KINDS:
                add(("form", fi, "indicator", ii, "weight"),
                    f"вес {ind.weight!r} должен быть kind = \"count\" или \"number\"")
    target_keys: set[str] = set()
    for ti, target in enumerate(rm.target):
        if target.key in target_keys:
            add(("target", ti, "key"), f"цель {target.key!r} уже есть в этой дорожной карте")
        target_keys.add(target.key)
        if target.numerator not in keys:
            add(("target", ti, "numerator"), f"нет показателя {target.numerator!r}")
        for part in ("numerator", "denominator"):
            ref = keys.get(getattr(target, part))
            if ref is not None and not ref[1].summed:
                add(("target", ti, part), f"показатель {ref[1].key!r} (kind = \"{ref[1].kind}\") не суммируется: "
                                          "цель считается только по count, yesno или number")
        baseline = re.fullmatch(r"@baseline\.([a-z0-9_]+)", target.denominator)
        if target.denominator != "@organizations" and not baseline and target.denominator not in keys:
            add(("target", ti, "denominator"),
                f"нет показателя {target.denominator!r} (или укажите \"@organizations\" либо \"@baseline.<столбец>\")")
        if target.goal_percent == 0 and target.direction == "at_least":
            add(("target", ti, "goal_percent"), 'цель 0 % при direction = "at_least" выполнена всегда: '
                                                'для «ни одного» укажите direction = "at_most"')
        if target.goal_percent is None and "direction" in target.model_fields_set:
            add(("target", ti, "direction"), "direction без goal_percent не с чем сравнивать")
        if target.by is not None and not head.starts <= target.by:
            add(("target", ti, "by"), "срок цели раньше начала дорожной карты")
    item_ids: set[str] = set()
    for ii, item in enumerate(rm.item):
        if item.id in item_ids:
            add(("item", ii, "id"), f"пункт {item.id!r} уже есть в этой дорожной карте")
        item_ids.add(item.id)
        if len(set(item.responsible)) != len(item.responsible):
            add(("item", ii, "responsible"), "исполнитель указан дважды")
        if item.org_types is not None and "organization" not in item.responsible:
            add(("item", ii, "org_types"), 'org_types имеет смысл только с responsible = ["organization"]')
        if item.every is not None and item.due is None:
            add(("item", ii, "every"), "для повторяющегося пункта нужен срок due")
        if item.months is not None:
            _check_months(item.months, ("item", ii), add)
            if item.every is not None or item.dates is not None:
                add(("item", ii, "months"), "months задаёт сроки вместо every и dates: оставьте что-то одно")
        elif item.day is not None:
            add(("item", ii, "day"), "day задаётся только вместе с months")
        if item.dates is not None:
            if item.due is not None or item.every is not None:
                add(("item", ii, "dates"), "dates задаёт сроки вместо due и every: оставьте что-то одно")
            if not item.dates:
                add(("item", ii, "dates"), "список сроков пуст")
            if len(set(item.dates)) != len(item.dates):
                add(("item", ii, "dates"), "срок указан дважды")
            for day in item.dates:  # items may run past `ends` (goals by December, summing-up in May)
                if not YEARS[0] <= day.year <= YEARS[1] or day < head.starts:
                    add(("item", ii, "dates"), f"срок {day:%d.%m.%Y} раньше начала дорожной карты или вне "
                                               f"{YEARS[0]}–{YEARS[1]} годов")
                    break
        if item.confirm and item.due is None and not item.dates and not item.months:
            add(("item", ii, "confirm"), "у пункта с confirm = true нет срока (due, dates или every с due): "
                                         "о нём никто не получит напоминания и его нельзя будет отметить")
        if item.from_ is not None and item.from_ < head.starts:
            add(("item", ii, "from"), f"начало {item.from_:%d.%m.%Y} раньше начала дорожной карты "
                                      f"({head.starts:%d.%m.%Y})")
        if item.from_ is not None and item.due is not None and item.from_ > item.due:
            add(("item", ii, "from"), "начало позже срока due")
        if item.evidence is not None and not item.confirm:
            add(("item", ii, "evidence"), "evidence требует confirm = true")
