"""A form's screens: the question with its buttons, the review, the pick of a question to fix, the second look at
an unlikely number. The machine (bot/domain/forms.py) says where the form is; this says how it looks."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.forms import (
    COMMAND,
    OPTION_SHOWN,
    Draft,
    FormContext,
    above_ceiling,
    carry_label,
    carry_value,
)
from bot.domain.roadmap import TEXT_LIMIT, Indicator
from bot.views.message import Button, Buttons
from bot.words import texts
from bot.words.format import fmt_answer, fmt_number, short


@dataclass(frozen=True)
class Screen:
    text: str
    buttons: Buttons


def _b(label: str, act: str, n: int | None = None) -> Button:
    return Button(label, COMMAND, {"act": act} if n is None else {"act": act, "n": n})


def _hint(ind: Indicator) -> str:
    hint = {"yesno": texts.FORM_HINT_YESNO, "number": texts.FORM_HINT_NUMBER, "percent": texts.FORM_HINT_PERCENT,
            "choice": texts.FORM_HINT_CHOICE, "link": texts.FORM_HINT_LINK,
            "text": texts.FORM_HINT_TEXT.format(limit=fmt_number(ind.max_length or TEXT_LIMIT))
            }.get(ind.kind, texts.FORM_HINT_COUNT)
    if ind.kind == "choice" and any(len(o) > OPTION_SHOWN for o in ind.options or []):
        hint = texts.FORM_HINT_CHOICE_LISTED
    return hint if ind.required else f"{hint} {texts.FORM_HINT_OPTIONAL}"








def question_screen(ctx: FormContext, draft: Draft, prefix: str = "") -> Screen:
    key = draft.keys[draft.step]
    ind = ctx.indicators[key]
    head = texts.FORM_QUESTION.format(n=draft.step + 1, total=len(draft.keys), question=ind.question)
    rows: Buttons = []
    carry = carry_value(ctx, ind)
    if ind.kind == "yesno":
        rows.append([_b(texts.BTN_YES, "yes"), _b(texts.BTN_NO, "no")])
    elif ind.kind == "choice":
        options = [_b(o, "opt", i) for i, o in enumerate(ind.options or [])]
        # short labels two to a row, long ones alone: a phone shows a row's labels side by side
        per_row = 2 if all(len(o) <= 16 for o in ind.options or []) else 1
        rows += [options[i:i + per_row] for i in range(0, len(options), per_row)]
        if any(len(o) > OPTION_SHOWN for o in ind.options or []):
            # a phone cuts a long label (MAX past 20 characters): the options are in the text too, by number
            head += "\n" + "\n".join(f"{n}. {o}" for n, o in enumerate(ind.options or [], 1))
    elif carry is not None:
        rows.append([_b(carry_label(carry), "carry")])
    if not ind.required:
        rows.append([_b(texts.BTN_SKIP, "skip")])
    nav = [_b(texts.BTN_BACK, "back")] if draft.step > 0 or draft.editing else []
    rows.append(nav + [_b(texts.BTN_CANCEL, "cancel")])
    text = f"{prefix}\n\n{head}\n{_hint(ind)}" if prefix else f"{head}\n{_hint(ind)}"
    if draft.step == 0 and not prefix and not draft.editing:
        text = texts.FORM_INTRO.format(title=ctx.title, organization=ctx.organization,
                                       period=ctx.period_label) + "\n\n" + text
    return Screen(text, rows)


def summary_lines(ctx: FormContext, draft: Draft) -> list[str]:
    """The answers, numbered as the questions are, each under its short name where the roadmap gives one
    («1. Педагогов (сотрудников) — 204»; the question cut mid-sentence had said less)."""
    return [f"{i}. {short(ctx.indicators[key].header)} — {fmt_answer(ctx.indicators[key].kind, draft.figures.get(key))}"
            for i, key in enumerate(draft.keys, 1) if ctx.indicators[key].asked(draft.figures)]  # (v3 `when`)


def summary_screen(ctx: FormContext, draft: Draft, prefix: str = "") -> Screen:
    lines = [texts.FORM_SUMMARY.format(title=ctx.title, organization=ctx.organization, period=ctx.period_label),
             *summary_lines(ctx, draft)]
    # a remark, not a stop: the region's statistics may be old, the school knows its staff today
    lines += [texts.FORM_ABOVE_BASELINE.format(n=n, value=fmt_answer(ctx.indicators[key].kind, draft.figures[key]),
                                               baseline=fmt_number(ctx.ceilings[key]))
              for n, key in enumerate(draft.keys, 1) if above_ceiling(ctx, key, draft.figures.get(key))]
    text = "\n".join(lines)
    if prefix:
        text = f"{prefix}\n\n{text}"
    return Screen(text, [[_b(texts.BTN_SEND, "send"), _b(texts.BTN_FIX, "fix")], [_b(texts.BTN_CANCEL, "cancel")]])


def pick_screen(ctx: FormContext, draft: Draft, prefix: str = "") -> Screen:
    numbers = [_b(str(i), "pick", i) for i in range(1, len(draft.keys) + 1)
               if ctx.indicators[draft.keys[i - 1]].asked(draft.figures)]
    rows: Buttons = [numbers[i:i + 5] for i in range(0, len(numbers), 5)][:8]
    rows.append([_b(texts.BTN_BACK, "back"), _b(texts.BTN_CANCEL, "cancel")])
    return Screen(prefix or texts.FORM_PICK, rows)  # (a wrong number is said instead of the ask)


def confirm_screen(ctx: FormContext, draft: Draft) -> Screen:
    key = draft.keys[draft.step]
    ind = ctx.indicators[key]
    previous = ctx.previous.get(key)
    text = texts.FORM_IMPLAUSIBLE.format(value=fmt_answer(ind.kind, draft.pending),
                                         previous=fmt_answer(ind.kind, previous), question=short(ind.header))
    return Screen(text, [[_b(texts.BTN_CONFIRM, "confirm"), _b(texts.BTN_FIX, "redo")],
                         [_b(texts.BTN_CANCEL, "cancel")]])


def screen_for(ctx: FormContext, draft: Draft, prefix: str = "") -> Screen:
    """What to show for a draft as it stands (also after a restart or an interruption)."""
    if draft.mode == "summary":
        return summary_screen(ctx, draft, prefix)
    if draft.mode == "pick":
        return pick_screen(ctx, draft, prefix)
    if draft.mode == "confirm" and draft.pending is not None:
        return confirm_screen(ctx, draft)
    return question_screen(ctx, draft, prefix)
