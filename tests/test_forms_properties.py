"""Property-based: arbitrary text in every form state never crashes and never stores a broken value."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.forms import (
    ACTS,
    Answer,
    Draft,
    FormContext,
    advance,
    check_value,
    parse_count,
    validate_figures,
)
from bot.domain.roadmap import parse_roadmap
from bot.views.form_screens import screen_for
from bot.words import texts
from testkit.harness import Harness, register

ROOT = Path(__file__).resolve().parents[1]
RM = parse_roadmap((ROOT / "roadmaps" / "kalinin-2024.toml").read_text(encoding="utf-8"), "k.toml")
NTGO = parse_roadmap((ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8"), "n.toml")

numbers = st.builds(
    lambda sign, digits, sep, tail: f"{sign}{sep.join([digits[:1], digits[1:]]) if digits else ''}{tail}",
    st.sampled_from(["", "-", "+", " ", "−"]), st.text("0123456789", max_size=12),
    st.sampled_from(["", " ", "\u00a0", ",", ".", "'"]), st.sampled_from(["", ".", ",5", ".0", " шт", "%"]))
nasty = st.sampled_from([
    "'; DROP TABLE figures; --", "1; DELETE FROM submissions", "<script>", "\x00\x01\x02", "\u202e123",
    "🙂" * 50, "я" * 10_000, "1" * 10_000, "да", "НЕТ", "Отмена", "назад", "Отправить", "Исправить",
    "Подтвердить", "Как раньше: 5", "0", "1e3", "0x10", "١٢٣", "NaN", "  ", "\n\n", "/cancel"])
any_text = st.one_of(numbers, nasty, st.text(max_size=200))
acts = st.one_of(st.none(), st.sampled_from(sorted(ACTS)), st.text(max_size=10))
answers = st.builds(Answer, any_text, acts, st.one_of(st.none(), st.integers(-5, 50)))


def contexts() -> list[FormContext]:
    from tests.test_roadmap_v3 import WHEN  # v3 `when`: questions that come and go with earlier answers

    out = []
    for rm in (RM, NTGO, parse_roadmap(WHEN, "when.toml")):
        form = rm.form[0]
        inds = {i.key: i for i in form.indicator}
        for previous in ({}, {k: 7 for k in inds}):
            out.append(FormContext(form.title, "Школа", "20.10.2023", inds, previous))
    return out


CONTEXTS = contexts()


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(range(len(CONTEXTS))), st.lists(answers, max_size=40))
def test_machine_never_raises_and_keeps_rules(ctx_index: int, inputs: list[Answer]) -> None:
    ctx = CONTEXTS[ctx_index]
    keys = list(ctx.indicators)
    draft: Draft | None = Draft("rm", "f", "org", "2023-10-20", keys, "2023-10-20T00:00:00+00:00")
    for answer in inputs:
        assert draft is not None
        step = advance(ctx, draft, answer)
        if step.cancelled:
            return
        assert step.draft is not None
        draft = step.draft
        # the draft survives its JSON round trip (it is persisted after every step)
        draft = Draft.from_dict(json.loads(json.dumps(draft.to_dict())))
        assert draft.mode in ("ask", "confirm", "summary", "pick")
        assert 0 <= draft.step < len(keys)
        for key, value in draft.figures.items():
            others = {k: v for k, v in draft.figures.items() if k != key}
            check_value(ctx.indicators[key], value, others, ctx.indicators)  # raises if broken
        # v3 `when`: no answer is kept for a question not asked, and the question on screen is one that is asked
        assert all(ctx.indicators[k].asked(draft.figures) for k in draft.figures), draft.figures
        if draft.mode == "ask":
            assert ctx.indicators[keys[draft.step]].asked(draft.figures), (draft.step, draft.figures)
        if step.submit:
            assert validate_figures(keys, draft.figures, ctx.indicators) == []
            return
        screen = screen_for(ctx, step.draft, step.note)
        assert screen.text
        for row in screen.buttons:
            assert 1 <= len(row) <= 5 and all(len(b.label) <= 40 for b in row)


@settings(max_examples=500, deadline=None)
@given(any_text)
def test_parse_count_accepts_only_whole_non_negative_numbers(text: str) -> None:
    try:
        value = parse_count(text)
    except Exception as e:  # only our own refusal is allowed
        assert type(e).__name__ == "Invalid"
        return
    assert isinstance(value, int) and 0 <= value < 10**9


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(any_text, st.sampled_from(["/report", texts.BTN_SEND, "204", "100"])),
                min_size=1, max_size=12))
async def test_whole_bot_with_arbitrary_text(harness: Harness, typed: list[str]) -> None:
    h = harness
    if not (await h.app.services.access.actor(900)).registered:
        await register(h, 900, "organization", "6624000001")
    await h.say(900, "/report")
    for text in typed:
        h.emu.say(900, text)
    await h.settle()
    assert h.app.handler_errors == []
    sub = await h.app.repos.reports.submission("6624000001", "ntgo-sferum-2023", "weekly", "2023-10-20")
    if sub is not None:
        values = await h.app.repos.reports.figures(sub.id)
        inds = {i.key: i for i in NTGO.form[0].indicator}
        assert validate_figures(list(inds), values, inds) == []
    # every message got an answer, and none broke VK's limits (the emulator would have refused it); the one
    # refusal met is a repeat of the person's last message (error 9), which the sender rewords and sends at once
    assert set(h.emu.errors_by_code) <= {9}
    assert await h.app.repos.outbox.pending_count() == 0


def test_long_options_are_listed_by_number_in_the_question() -> None:
    """A phone cuts a long button label (MAX past 20 characters): the text lists the options, a number answers."""
    from bot.domain.roadmap import Indicator
    from bot.views.form_screens import question_screen
    long = Indicator(key="wifi", question="Есть ли Wi-Fi в классах?", kind="choice",
                     options=["Да, во всех классах", "Да, в части классов и в учительской", "Нет"])
    short = Indicator(key="chat", question="Есть ли чат?", kind="choice", options=["да", "частично", "нет"])
    for ind, listed in ((long, True), (short, False)):
        ctx = FormContext("Форма", "Школа", "20.10.2023", {ind.key: ind}, {})
        draft = Draft("rm", "f", "org", "2023-10-20", [ind.key], "2023-10-20T00:00:00+00:00")
        text = question_screen(ctx, draft).text
        assert ("2. Да, в части классов и в учительской" in text) is listed
        assert ("пришлите его номер" in text) is listed
    ctx = FormContext("Форма", "Школа", "20.10.2023", {"wifi": long}, {})
    step = advance(ctx, Draft("rm", "f", "org", "2023-10-20", ["wifi"], "2023-10-20T00:00:00+00:00"), Answer("2"))
    assert step.draft is not None and step.draft.figures == {"wifi": "Да, в части классов и в учительской"}
