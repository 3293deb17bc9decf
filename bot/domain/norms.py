"""v3 `each`: a per-organization norm a target judges every organization by (docs/roadmap-format.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class Norm(BaseModel):
    """v3 `each`: the condition every organization is judged by on its own — one comparison with a number, an
    answer of the same report (an indicator key) or the organization's own directory value (`@baseline.<column>`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_least: float | str | None = None
    at_most: float | str | None = None
    equals: float | str | None = None

    @property
    def comparisons(self) -> list[tuple[str, float | str]]:
        return [(op, v) for op in ("at_least", "at_most", "equals") if (v := getattr(self, op)) is not None]

    @property
    def comparison(self) -> tuple[str, float | str]:
        """(at_least | at_most | equals, what with); the loader has made sure there is exactly one."""
        return self.comparisons[0]

    def holds(self, value: float, norm: float) -> bool:
        op, _ = self.comparison
        # `equals` compares exactly, decimals as entered
        return value >= norm if op == "at_least" else value <= norm if op == "at_most" else value == norm

    def norm_of(self, figures: Mapping[str, Any], baselines: Mapping[str, int]) -> float | None:
        """This organization's own norm; None when it cannot be known (an empty directory cell, the answer it
        compares with missing or not asked)."""
        _, operand = self.comparison
        if isinstance(operand, str):
            found = baselines.get(operand.removeprefix("@baseline.")) if operand.startswith("@baseline.") \
                else figures.get(operand)
            return found if isinstance(found, (int, float)) and not isinstance(found, bool) else None
        return operand
