"""The rules a roadmap file must keep beyond its types, checked at load (each problem with its key; the loader
adds the file and line): cadences, months, answer kinds, references between forms, targets and items."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date as date_type
from typing import Any

from bot.domain.roadmap import MAX_DAYS, NUMERIC_KINDS, YEARS, Indicator, Roadmap, Target

Add = Callable[[tuple[str | int, ...], str], None]
NORM_KINDS = ("count", "number", "percent")  # v3 `each`: answers a norm compares


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


def _check_report_by(item: Any, where: tuple[str | int, ...], add: Any) -> None:
    """v3 `report_by`: only on a confirmed item with a due date; a date not before `due` and only where there is one
    occurrence (several take "+Nd"/"+Nwd")."""
    key = (*where, "report_by")
    if not item.confirm:
        add(key, "report_by — срок отчёта о выполнении: нужен confirm = true")
    elif item.due is None and not item.dates and not item.months:
        add(key, "у пункта нет срока выполнения (due, dates, months), а report_by считается от него")
    elif isinstance(item.report_by, date_type):
        if item.every is not None or item.months or (item.dates and len(item.dates) > 1):
            add(key, 'у пункта несколько сроков: укажите report_by = "+5wd" (рабочих дней) или "+7d" после каждого')
        elif item.report_by < (item.due or min(item.dates)):
            add(key, "срок отчёта раньше срока выполнения")


def _check_condition(key: str, wanted: Any, earlier: dict[str, Indicator], everywhere: dict[str, tuple[int, Indicator]],
                     form: int, where: tuple[str | int, ...], add: Any) -> None:
    """v3 `when`: a condition on an earlier yesno or choice question of the same form, with a value it can have."""
    other = earlier.get(key)
    if other is None:
        add(where, f"условие на {key!r}: " + ("такого вопроса нет" if key not in everywhere else
                                              "это вопрос другой формы" if everywhere[key][0] != form else
                                              "условие возможно только на вопрос, заданный раньше"))
        return
    if other.kind == "yesno":
        if not isinstance(wanted, bool):
            add(where, f"условие на {key!r} (да/нет): пишется true или false")
    elif other.kind == "choice":
        options = [wanted] if isinstance(wanted, str) else wanted
        if isinstance(wanted, bool) or not all(isinstance(o, str) and o in (other.options or []) for o in options):
            add(where, f"условие на {key!r}: нет такого варианта ответа (есть: {', '.join(other.options or [])})")
    else:
        add(where, f"условие возможно только на вопрос kind = \"yesno\" или \"choice\", а {key!r} — {other.kind}")


def check_references(rm: Roadmap, add: Any) -> None:
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
            if form.filled_by == "import" and ind.carry_over:
                add(("form", fi, "indicator", ii, "carry_over"),
                    'carry_over не нужен в форме с filled_by = "import": в диалоге на этот вопрос никто не отвечает')
            if ind.org_types:
                extra = set(ind.org_types) - set(form.org_types)
                if extra:
                    add(("form", fi, "indicator", ii, "org_types"),
                        f"тип {sorted(extra)[0]!r} не сдаёт эту форму (нет в org_types формы)")
        earlier: dict[str, Indicator] = {}
        for ii, ind in enumerate(form.indicator):
            for key, wanted in (ind.when or {}).items():
                _check_condition(key, wanted, earlier, keys, fi, ("form", fi, "indicator", ii, "when"), add)
            earlier[ind.key] = ind
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
        _check_measure(target, ti, add)
        if target.each is not None:
            _check_norm(target, ti, keys, add)
        for part in ("numerator", "denominator"):
            ref = keys.get(getattr(target, part))
            if target.each is not None:
                break  # an `each` target counts organizations: its numerator is compared, not summed
            if ref is not None and not ref[1].summed:
                add(("target", ti, part), f"показатель {ref[1].key!r} (kind = \"{ref[1].kind}\") не суммируется: "
                                          "цель считается только по count, yesno или number")
        baseline = re.fullmatch(r"@baseline\.([a-z0-9_]+)", target.denominator)
        if target.denominator != "@organizations" and not baseline and target.denominator not in keys:
            add(("target", ti, "denominator"),
                f"нет показателя {target.denominator!r} (или укажите \"@organizations\" либо \"@baseline.<столбец>\")")
        goal_key = "goal" if target.kind == "ratio" else "goal_percent"
        if target.goal_value == 0 and target.direction == "at_least":
            add(("target", ti, goal_key), f'цель 0{"" if target.kind == "ratio" else " %"} при direction = '
                                          '"at_least" выполнена всегда: для «ни одного» укажите direction = "at_most"')
        if target.goal_value is None and "direction" in target.model_fields_set:
            add(("target", ti, "direction"), f"direction без {goal_key} не с чем сравнивать")
        if target.report_by is not None and (target.by or head.ends) > target.report_by:
            add(("target", ti, "report_by"), "срок проверки раньше срока цели by")
        if target.by is not None and not head.starts <= target.by:
            add(("target", ti, "by"), "срок цели раньше начала дорожной карты")
    sections: set[str] = set()
    for si, section in enumerate(rm.section):
        if section.id in sections:
            add(("section", si, "id"), f"раздел {section.id!r} уже есть в этой дорожной карте")
        sections.add(section.id)
    item_ids: set[str] = set()
    for ii, item in enumerate(rm.item):
        if item.section is not None and item.section not in sections:
            add(("item", ii, "section"), f"нет раздела {item.section!r} ([[section]] с таким id)")
        if item.responsible_person is not None and len(item.responsible_person) > 300:
            add(("item", ii, "responsible_person"), "длиннее 300 символов")
        if item.history_from is not None and item.history_from >= head.starts:
            add(("item", ii, "history_from"), "history_from — начало работы до дорожной карты: для даты внутри неё "
                                              "укажите from")
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
        if item.report_by is not None:
            _check_report_by(item, ("item", ii), add)
        if item.evidence is not None and not item.confirm:
            add(("item", ii, "evidence"), "evidence требует confirm = true")


def _check_measure(target: Target, ti: int, add: Add) -> None:
    """v3 `kind`: a ratio is judged against `goal` in its own unit, a percent against `goal_percent`."""
    where = ("target", ti)
    if target.kind == "ratio":
        if target.goal_percent is not None:
            add((*where, "goal_percent"), 'у цели kind = "ratio" цель задаётся ключом goal (число, не процент)')
        if target.each is not None:
            add((*where, "each"), 'each считает долю организаций, это процент: не сочетается с kind = "ratio"')
    else:
        if target.goal is not None:
            add((*where, "goal"), 'goal — цель отношения (kind = "ratio"); для процента укажите goal_percent')
        if target.unit is not None:
            add((*where, "unit"), 'unit задаётся только для kind = "ratio": процент всегда в «%»')
    if target.unit is not None and not 1 <= len(target.unit) <= 40:
        add((*where, "unit"), "единица измерения — от 1 до 40 символов")


def _check_norm(target: Target, ti: int, keys: dict[str, tuple[int, Indicator]], add: Add) -> None:
    """v3 `each`: one comparison, with a number, a numeric answer of the numerator's form or a directory column."""
    assert target.each is not None
    where = ("target", ti)
    if target.denominator != "@organizations":
        add((*where, "denominator"), 'у цели с each знаменатель — все организации: "@organizations" '
                                     "(или не указывайте denominator)")
    comparisons = target.each.comparisons
    if len(comparisons) != 1:
        add((*where, "each"), "each задаёт ровно одно условие: at_least, at_most или equals"
                              + (f" (указано {len(comparisons)})" if comparisons else ""))
        return
    numerator = keys.get(target.numerator)
    if numerator is not None and numerator[1].kind not in NORM_KINDS:
        add((*where, "numerator"), f"показатель {target.numerator!r} (kind = \"{numerator[1].kind}\") нельзя "
                                   "сравнить с нормой: нужен count, number или percent")
    op, operand = comparisons[0]
    if not isinstance(operand, str) or operand.startswith("@baseline."):
        if isinstance(operand, str) and not re.fullmatch(r"@baseline\.[a-z0-9_]+", operand):
            add((*where, "each", op), f"{operand!r}: столбец справочника пишется как \"@baseline.<столбец>\"")
        return
    ref = keys.get(operand)
    if ref is None or numerator is None or ref[0] != numerator[0]:
        add((*where, "each", op), f"нет показателя {operand!r} в форме показателя {target.numerator!r} "
                                  "(или укажите число либо \"@baseline.<столбец>\")")
    elif ref[1].kind not in NORM_KINDS:
        add((*where, "each", op), f"показатель {operand!r} (kind = \"{ref[1].kind}\") не число: нужен count, "
                                  "number или percent")
