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

from bot.domain.norms import Norm
from bot.domain.tomlpos import key_lines, line_of, toml_problem
from bot.words import texts
from bot.words.format import fmt_delta, fmt_measure, fmt_number

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


def _date_or_ref(value: Any) -> Any:
    """v3: an element of a date list is a date, a month, or "@<calendar id>" (all that calendar's dates)."""
    if isinstance(value, str) and value.startswith("@"):
        if not re.fullmatch(r"@[a-z0-9_]+", value):
            raise ValueError('ссылка на календарь пишется "@id" (латиница, цифры, _)')
        return value
    return _month_or_date(first_day=False).func(value)


def _report_by(value: Any) -> Any:
    """v3 `report_by`: a date, a month, or "+Nd" / "+Nwd" (N from 1 to 90)."""
    if isinstance(value, str) and value.startswith("+"):
        m = re.fullmatch(r"\+(\d{1,2})(wd|d)", value)
        if not m or not 1 <= int(m.group(1)) <= 90:
            raise ValueError('ожидается дата или "+Nd" / "+Nwd" (N — от 1 до 90 дней или рабочих дней)')
        return value
    return _month_or_date(first_day=False).func(value)


def _year(value: Any) -> Any:
    """v3 `history_from` may be a year alone: "2018" is its first day."""
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1)
    return value


def _one_or_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value  # `dates = "@trimester_ends"` is a list of one


DateOrRef = Annotated[date | str, BeforeValidator(_date_or_ref)]
DateList = Annotated[list[DateOrRef], BeforeValidator(_one_or_list)]
CalendarRef = Annotated[str, Field(pattern=r"^@[a-z0-9_]+$")]
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
    # v3: asked only when each earlier answer named holds (a yesno's true/false, a choice's option or options)
    when: dict[str, Any] | None = None  # (values checked at load, in Russian: bot/domain/roadmap_checks.py)

    def asked(self, figures: Mapping[str, Any]) -> bool:
        """v3 `when`: whether the question is asked after these answers (a skipped or absent one meets nothing)."""
        for key, wanted in (self.when or {}).items():
            got = figures.get(key)
            if isinstance(wanted, bool):
                if isinstance(got, bool) or got not in (0, 1) or bool(got) != wanted:
                    return False
            elif got is None or got not in ([wanted] if isinstance(wanted, str) else wanted):
                return False
        return True

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

    from_: Annotated[FromDate | None, Field(alias="from")] = None  # (v3: or `during`)
    until: DueDate | None = None
    during: CalendarRef | None = None  # v3: within each span of that calendar, instead of from/until
    every: Cadence | None = None
    on: Weekday | None = None
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    dates: DateList | None = None
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
    dates: DateList | None = None
    months: list[int] | None = None  # v3: these months of every year, on `day` (default: the last)
    schedule: list[Schedule] | None = None
    extra_dates: DateList | None = None  # v3: due dates added to the cadence's
    remind_at: list[ClockTime] = []
    summary_at: ClockTime | None = None
    org_types: list[OrgType] = list(ORG_TYPES)
    # v3: "import" — figures come from import files (a platform's export), never asked of the organizations
    filled_by: Literal["organizations", "import"] = "organizations"
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
    kind: Literal["percent", "ratio"] = "percent"  # v3: a ratio is sum / sum without x 100, judged against `goal`
    goal_percent: Annotated[float, Field(ge=0, le=1000)] | None = None  # v2: none = monitored, never judged
    goal: Annotated[float, Field(ge=0)] | None = None  # v3: a ratio's goal
    unit: str | None = None  # v3: a ratio's unit, shown after its value («книги на читателя»)
    each: Norm | None = None  # v3: a condition each organization meets or not; the value is the share meeting it
    direction: Literal["at_least", "at_most", "exactly"] = "at_least"  # v2: "at_most" for goals such as 0 %; v3
    by: date | None = None
    report_by: date | None = None  # v3: the state due `by` is measured by a check that ends on this date
    org_types: list[OrgType] | None = None

    @model_validator(mode="before")
    @classmethod
    def _everyone(cls, data: Any) -> Any:
        """`each` shares are of every organization: its `denominator` may be left out (v3)."""
        if isinstance(data, dict) and "each" in data and "denominator" not in data:
            return {**data, "denominator": "@organizations"}
        return data

    @property
    def goal_value(self) -> float | None:
        """The goal in the target's own measure (a percent, or a ratio's `goal`); None: monitored, never judged."""
        return self.goal if self.kind == "ratio" else self.goal_percent

    @property
    def scale(self) -> int:
        """What sum / sum is multiplied by to be shown: 100 for a percent, 1 for a ratio."""
        return 1 if self.kind == "ratio" else 100

    def value(self, numerator: float, denominator: float) -> float | None:
        return numerator / denominator * self.scale if denominator > 0 else None

    def shown(self, value: float | None) -> str:
        """A value as every view writes it: «71,4 %», «3,7 книги на читателя»."""
        return fmt_measure(value, self.kind == "ratio", self.unit)

    def shown_change(self, change: float) -> str:
        return fmt_delta(change, self.kind == "ratio")

    def fraction(self, org_type: str, figures: Mapping[str, Any],
                 baselines: Mapping[str, int]) -> tuple[float, float] | None:
        """(numerator, denominator) of this target for one organization: its own answers, 1 for
        `@organizations`, its known total for `@baseline.<key>`; with `each`, (1 or 0, 1) as it meets its own norm;
        None when it does not count or cannot (another type, not answered, skipped, nothing to divide by, no norm)."""
        if self.org_types is not None and org_type not in self.org_types:
            return None
        num = figures.get(self.numerator)
        if self.each is not None:
            norm = self.each.norm_of(figures, baselines)
            if norm is None:
                return None
            met = isinstance(num, (int, float)) and not isinstance(num, bool) and self.each.holds(num, norm)
            return (1 if met else 0), 1
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
        goal = self.goal_value
        if goal is None:
            return texts.GOAL_NONE
        template = {"at_most": texts.GOAL_AT_MOST, "exactly": texts.GOAL_EXACTLY}.get(self.direction,
                                                                                   texts.GOAL_AT_LEAST)
        # a ratio's goal is a plain number: «3,7 книги на читателя (цель 4)»
        return template.format(goal=fmt_number(goal)).removesuffix("" if self.kind == "percent" else "\u00a0%")


class Stage(_Strict):
    """v3 `[[item.stage]]`: a part of an item with its own dates, planned, reminded and confirmed as an item."""

    title: Annotated[str, Field(min_length=1)]
    due: DueDate | None = None
    from_: Annotated[FromDate | None, Field(alias="from")] = None
    every: Literal["1w", "2w", "1m", "3m", "6m", "1y", "2y", "3y"] | None = None
    dates: DateList | None = None
    months: list[int] | None = None
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    report_by: Annotated[date | str, BeforeValidator(_report_by)] | None = None
    history_from: Annotated[FromDate, BeforeValidator(_year)] | None = None
    confirm: bool = False
    evidence: Literal["link"] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def item_number(item_id: str) -> str:
    """The number people read of an item's key: a stage's key `7#1` is item 7's (`#` is not allowed in ids)."""
    return item_id.split("#", 1)[0]


STAGE_TIMING = ("due", "from_", "every", "dates", "months", "day", "report_by", "history_from", "confirm", "evidence")


class Item(_Strict):
    id: Annotated[str, BeforeValidator(_id_string), Field(min_length=1, max_length=32)]
    title: Annotated[str, Field(min_length=1)]
    responsible: Annotated[list[Literal["region", "municipality", "organization"]], Field(min_length=1)]
    org_types: list[OrgType] | None = None
    due: DueDate | None = None
    from_: Annotated[FromDate | None, Field(alias="from")] = None
    every: Literal["1w", "2w", "1m", "3m", "6m", "1y", "2y", "3y"] | None = None  # v3: "2y", "3y"
    dates: DateList | None = None  # v2: explicit due dates (the ends of the school quarters); v3: "@calendar"
    months: list[int] | None = None  # v3: these months of every year from `from` to `due`
    day: Annotated[int, Field(ge=1, le=31)] | None = None  # v3: with `months`, the due day (default: the last)
    # v3: the report on the work is due by this date (one occurrence), or "+Nd"/"+Nwd" (calendar or working days
    # after each occurrence)
    report_by: Annotated[date | str, BeforeValidator(_report_by)] | None = None
    section: Annotated[str, BeforeValidator(_id_string)] | None = None  # v3: a [[section]]'s id
    responsible_person: str | None = None  # v3: the people or posts the order names (shown; chooses no one)
    history_from: Annotated[FromDate, BeforeValidator(_year)] | None = None  # v3: begun before the roadmap
    result: str | None = None
    confirm: bool = False
    evidence: Literal["link"] | None = None
    stage: list[Stage] | None = None  # v3: the item's stages (each becomes an item of its own at load)
    # set at load for a stage made an item: the item it is a stage of, and the stage's own title
    stage_of: str | None = None
    stage_title: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def number(self) -> str:
        """The roadmap's own number of the item, as people read it: a stage's is its item's («п. 7»)."""
        return self.stage_of or self.id


class Span(_Strict):
    from_: Annotated[FromDate, Field(alias="from")]
    until: DueDate

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Calendar(_Strict):
    """v3: named dates (the ends of trimesters) or spans (the summer campaign) that forms and items refer to."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]
    title: Annotated[str, Field(min_length=1)]
    dates: list[DueDate] | None = None
    spans: list[Span] | None = None


class Section(_Strict):
    """v3: one of the order's own headings («Раздел 2. Цифровая среда школы»); items name it by `section`."""

    id: Annotated[str, BeforeValidator(_id_string), Field(min_length=1, max_length=32)]
    title: Annotated[str, Field(min_length=1)]


class Roadmap(_Strict):
    roadmap: RoadmapHeader
    calendar: list[Calendar] = []
    section: list[Section] = []
    form: list[Form] = []
    target: list[Target] = []
    item: list[Item] = []

    @field_validator("calendar", "section", "form", "target", "item", mode="before")
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

    def section_of(self, item: Item) -> tuple[int, Section | None]:
        """(where its section stands in the file, the section): items are listed under their sections in the file's
        order, those without one after them (v3)."""
        for n, section in enumerate(self.section):
            if section.id == item.section:
                return n, section
        return len(self.section), None

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

    from bot.domain.calendars import resolve_calendars, settle_months  # (they read this module's models)
    from bot.domain.stages import expand_stages

    roadmap, origins = expand_stages(roadmap, add)
    if problems:
        raise RoadmapError(problems)
    direct = add

    def add(loc: tuple[str | int, ...], message: str) -> None:  # noqa: F811 - a stage's problem at its own line
        if len(loc) > 1 and loc[0] == "item" and isinstance(loc[1], int) and loc[1] < len(origins):
            loc = (*origins[loc[1]], *loc[2:])
        direct(loc, message)

    roadmap = resolve_calendars(settle_months(roadmap), add)
    if problems:
        raise RoadmapError(problems)
    from bot.domain.roadmap_checks import check_references  # (it reads this module's models)

    check_references(roadmap, add)
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
