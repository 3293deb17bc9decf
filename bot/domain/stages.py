"""v3 `[[item.stage]]`: an item's stages become items of their own at load, before anything else reads them."""

from __future__ import annotations

from typing import Any

from bot.domain.roadmap import _MESSAGES, STAGE_TIMING, Item, Roadmap


def expand_stages(rm: Roadmap, add: Any) -> tuple[Roadmap, list[tuple[str | int, ...]]]:
    """v3: each `[[item.stage]]` becomes an item of its own (planned, reminded, confirmed and counted as one),
    keyed `<item>#<n>` and named by its item's number and the stage («п. 7, этап «Разработка»»). Returns the
    items' origins in the file, so a later problem with a stage is named at the stage's line."""
    items: list[Item] = []
    origins: list[tuple[str | int, ...]] = []
    ids = {item.id for item in rm.item}
    for ii, item in enumerate(rm.item):
        for key in ("stage_of", "stage_title"):
            if key in item.model_fields_set:
                add(("item", ii, key), _MESSAGES["extra_forbidden"])
        if "#" in item.id:
            add(("item", ii, "id"), "знак «#» в номере пункта не допускается (им бот отмечает этапы)")
        if not item.stage:
            if item.stage is not None:
                add(("item", ii, "stage"), "список этапов пуст")
            items.append(item)
            origins.append(("item", ii))
            continue
        own = [key for key in STAGE_TIMING if key in item.model_fields_set]
        for key in own:
            add(("item", ii, key), "у пункта с этапами сроки задаются в этапах ([[item.stage]]), не в самом пункте")
        for si, stage in enumerate(item.stage):
            key = f"{item.id}#{si + 1}"
            if key in ids:
                add(("item", ii, "stage", si), f"пункт {key!r} уже есть в этой дорожной карте")
            timing = {k: getattr(stage, k) for k in STAGE_TIMING}
            items.append(item.model_copy(update={
                "id": key, "title": f"{item.title}, этап «{stage.title}»", "stage": None, "stage_of": item.id,
                "stage_title": stage.title, **timing}))
            origins.append(("item", ii, "stage", si))
    if len(items) == len(rm.item) and all(a is b for a, b in zip(items, rm.item, strict=True)):
        return rm, origins
    return rm.model_copy(update={"item": items}), origins
