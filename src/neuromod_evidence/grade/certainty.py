"""Combine the domain judgements into a certainty rating (randomized trials start at high).

GRADE rates evidence from randomized trials down one level per serious and two per very serious concern,
never below very low. The result is a suggestion; overridden domains are marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from .domains import DOMAIN_LABELS, Judgement

CERTAINTY_LABELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
START_RANDOMIZED = 4


@dataclass(frozen=True)
class Assessment:
    judgements: tuple[Judgement, ...]

    @property
    def score(self) -> int:
        return max(1, START_RANDOMIZED - sum(j.downgrade for j in self.judgements))

    @property
    def certainty(self) -> str:
        return CERTAINTY_LABELS[self.score]

    @property
    def overridden(self) -> bool:
        return any(j.overridden for j in self.judgements)

    def reasons(self) -> list[str]:
        """One footnote per domain rated down (or overridden): 'Imprecision (serious): ...'."""
        return [
            f"{DOMAIN_LABELS[j.domain]} ({j.level}{', overridden' if j.overridden else ''}): {j.reason}"
            for j in self.judgements
            if j.downgrade or j.overridden
        ]


def assess(judgements: list[Judgement]) -> Assessment:
    return Assessment(tuple(judgements))
