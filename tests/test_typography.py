"""What a person reads is set as Russian typography sets it: quotes inside quotes are „лапки“."""

from __future__ import annotations

from bot.views.message import typeset
from storage.outbox import compose_rows
from testkit.harness import Harness, register


def test_quotes_inside_quotes_become_low_high_quotes() -> None:
    assert typeset("«МАДОУ «Детский сад № 2»» не сдал") == "«МАДОУ „Детский сад № 2“» не сдал"
    # a name with its own quotes, not inside ours, stays as it is
    assert typeset("Не сдали: МАДОУ «Детский сад № 5», МАОУ СОШ № 1") == "Не сдали: МАДОУ «Детский сад № 5», МАОУ СОШ № 1"
    # one stray quote spoils only its own line
    assert typeset("«Отчёт «без конца\n«Пункт «Семинар» прошёл»") == "«Отчёт „без конца\n«Пункт „Семинар“ прошёл»"
    assert typeset("» лишняя «") == "» лишняя «"


def test_every_message_queued_is_typeset() -> None:
    (row,) = compose_rows(1, "Организация «МБОУ «СОШ № 1»» найдена", None, (), None, False, 4096)
    assert row.text == "Организация «МБОУ „СОШ № 1“» найдена"


async def test_a_kindergartens_name_in_quotes_reads_right(harness: Harness) -> None:
    """A coordinator of another municipality asks for a kindergarten's code: its name, quotes and all, is quoted."""
    h = harness
    await h.app.services.catalog.import_directory(
        "id,region,municipality,timezone,organization,type\n"
        "7700000002,Москва,ВАО,Europe/Moscow,ГБДОУ «Детский сад № 7»,preschool\n", "other.csv")
    moscow = (await h.app.repos.directory.municipalities_by_name("ВАО"))[0]
    await register(h, 530, "municipality", str(moscow.id))
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    await register(h, 531, "municipality", str(muni.id))
    refused = await h.text(531, "/invite 7700000002")
    assert refused.startswith("«ГБДОУ „Детский сад № 7“» есть в справочнике"), refused
