"""Commands added through the table behave like the rest: typed, aliased, as an aside in a form."""

from __future__ import annotations

from bot.words import texts
from testkit.harness import Harness, register


async def test_menu_brings_the_keyboard_back_and_keeps_a_form_open(harness: Harness):
    h = harness
    await register(h, 801, "organization", "6624000001")
    for typed in ("/menu", "Меню", "/меню"):
        (reply,) = await h.say(801, typed)
        assert reply.text == texts.MENU_SHOWN and texts.MENU_REPORT in reply.labels()
    await h.say(801, "/report")
    replies = await h.say(801, "меню")  # in the middle of a form: answered, then the question again
    assert replies[0].text == texts.MENU_SHOWN
    assert replies[-1].text.startswith(texts.FORM_CONTINUE) and "Вопрос 1 из 2" in replies[-1].text
    assert "Вопрос 2 из 2" in await h.text(801, "25")  # the form went on
    # a newcomer has no menu yet: they are asked for their code
    assert await h.text(802, "/menu") == texts.GREETING
    assert await h.text(802, "/menu") == texts.ASK_CODE
