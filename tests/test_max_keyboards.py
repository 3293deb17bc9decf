"""Every keyboard a person reaches on MAX is drawn whole and speaks of MAX: each command of each role, and each
button under its answers pressed once (MAX draws a row's labels on one line and cuts what does not fit —
maxemu counts every label a person would see cut)."""

from __future__ import annotations

from testkit.harness import start_harness, stop_harness
from testkit.journey import MaxDriver, register

COMMANDS = ("/start", "/help", "/menu", "/whoami", "/status", "/items", "/report", "/invites", "/chart",
            "/export", "/template", "спасибо", "как сдать отчёт?")


async def test_every_keyboard_on_max_is_whole_and_never_says_vk(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        mx = MaxDriver(h)
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register(mx, 811, "organization", "6624000001")
        await register(mx, 812, "municipality", muni, "Ольга", "Смирнова")
        pressed = 0
        for user in (811, 812, 813):  # an admin, a coordinator, a newcomer
            if user == 813:
                mx.add_user(813, "Павел", "Новиков")
            tried: set[str] = {"Отмена", "Отправить", "Снять отметку"}  # each button once a person (the menu repeats)
            for command in COMMANDS:
                for seen in await mx.say(user, command):
                    for label in seen.labels:
                        if label not in tried:
                            tried.add(label)
                            await mx.press(user, label)
                            pressed += 1
                await mx.say(user, "/cancel")
        assert pressed > 15
        assert mx.emu.labels_cut == [], sorted(set(mx.emu.labels_cut))
        # (the invites file's note speaks of the VK links the file holds when the installation serves both)
        said = [d.text for d in mx.emu.sent if not d.text.startswith("Коды приглашений:")]
        vk = [t for t in said if "ВКонтакте" in t or "сообществ" in t.casefold() and "упоминан" in t]
        assert vk == [], [t[:120] for t in vk][:5]
        assert h.app.handler_errors == []
    finally:
        await stop_harness(h)


async def test_several_files_reach_max_one_message_each(tmp_path, schema) -> None:
    """MAX takes a file as a message's only attachment: /template for several forms had sent all its files in one
    message, which MAX refused (found in the sandbox as a coordinator). Each file now goes as a message of its own."""
    from datetime import UTC, datetime

    from testkit.harness import ROOT

    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        mx = MaxDriver(h)
        h.clock.now = datetime(2026, 12, 10, 6, 0, tzinfo=UTC)
        await h.app.services.catalog.load_roadmap(
            (ROOT / "tests" / "fixtures" / "region-2026-v3.toml").read_text(encoding="utf-8"), "v3.toml")
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register(mx, 821, "municipality", muni, "Ольга", "Смирнова")
        reply = await h.app.services.imports.template(await h.app.services.access.actor(await mx.person_id_of(821)),
                                                      h.clock())
        assert len(reply.files) >= 2, reply  # several forms open: a template each
        got = await mx.say(821, "/template")
        with_files = [m for m in got if m.files]
        assert len(with_files) == len(reply.files) and all(m.files == 1 for m in with_files), [m.text for m in got]
        assert [r for r in mx.emu.rejected if r[1] != "attachment.not.ready"] == [] and h.app.handler_errors == []
    finally:
        await stop_harness(h)
