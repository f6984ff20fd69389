"""Which configured outcome and scale a registry outcome title names, built from the settings.

Why: the registry parser used to carry its own list of outcome ids, their kinds and scale ids, which had to
be kept in step with ``config/config.yaml`` by hand. Here the only fixed knowledge is how registry titles
*say* things (a :class:`Concept` recognises "≥ 50 % pain relief", an Oswestry score, the EQ-5D index...).
Which configured outcome a concept stands for, its kind, and which configured scale a posted value is on
are all looked up in :class:`~neuromod_evidence.settings.Settings`:

- a continuous concept names the scale family it measures; it maps to the configured outcome of that kind
  and family (``pain`` → ``pain_intensity``);
- a binary concept maps to the configured binary outcome whose label (or id) it recognises
  ("Participants taking opioids" → ``opioid_use``);
- a scale is the configured scale of the outcome's family with the posted range (and, for pain, the
  instrument named in its label: visual analogue or numeric rating).

An outcome the config does not analyse is simply not in the vocabulary: its cells go to the unmapped list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from neuromod_evidence.settings import Outcome, Scale, Settings


@dataclass(frozen=True)
class Concept:
    name: str
    kind: str  # continuous | binary
    family: str | None  # the scale family a continuous concept measures
    pattern: re.Pattern[str]  # recognises the concept in an outcome title (and, for binary, a config label)

    def named_by(self, text: str) -> bool:
        return bool(self.pattern.search(text))


_I = re.IGNORECASE
RESPONDER_50 = Concept("responder_50", "binary", None, re.compile(
    r"(50\s*(%|percent|per cent)|fifty percent|half)[^.]*?(pain|relief|reduction|respon)|"
    r"respon\w*[^.]*?50\s*(%|percent)", _I))  # fmt: skip
PAIN = Concept("pain_intensity", "continuous", "pain", re.compile(r"\bpain\b", _I))
# "Percent change in pain", "Pain relief (%)": a mean percentage of the baseline pain score, not a scale value
PAIN_RELIEF = Concept("pain_relief_percent", "continuous", "pain_relief", re.compile(
    r"(\bpercent\w*|%)\s*(of\s+)?(pain\s+)?(change|reduction|improvement|relief|decrease)|"
    r"(change|reduction|improvement|relief|decrease)[^.]*?(\bpercent\w*|%)", _I))  # fmt: skip
ODI = Concept("disability_odi", "continuous", "disability", re.compile(r"oswestry|\bodi\b", _I))
EQ5D_INDEX = Concept("eq5d_index", "continuous", "quality_of_life", re.compile(r"eq[- ]?5d|euroqol", _I))
EQ5D_VAS = Concept("eq5d_vas", "continuous", "quality_of_life_vas", re.compile(
    r"(eq[- ]?5d|euroqol).*(\bvas\b|visual analog|thermometer)", _I))  # fmt: skip
RESPONDER_30 = Concept("responder_30", "binary", None, re.compile(
    r"(30\s*(%|percent|per cent)|thirty percent)[^.]*?(pain|relief|reduction|respon)|"
    r"respon\w*[^.]*?30\s*(%|percent)", _I))  # fmt: skip
_OPIOID = r"(opioid|opiate|narcotic|morphine)"
OPIOID_REDUCTION = Concept("opioid_reduction", "binary", None, re.compile(
    rf"(reduc|decreas|stop|discontinu|wean|taper|cessation)\w*[^.]*?{_OPIOID}|{_OPIOID}[^.]*?"
    r"(reduc|decreas|stop|discontinu|wean|taper|cessation)", _I))  # fmt: skip
OPIOID_DOSE = Concept("opioid_dose", "continuous", "opioid_dose", re.compile(
    rf"{_OPIOID}[^.]*?(dose|equivalent|\bmg\b|mme)|\bmme\b|morphine milligram", _I))  # fmt: skip
OPIOID = Concept("opioid_use", "binary", None, re.compile(_OPIOID, _I))
EXPLANT = Concept("device_explant", "binary", None, re.compile(r"explant|device remov|removal of the", _I))
DEVICE = Concept("device_complications", "binary", None, re.compile(
    r"(device|lead|implant|stimulator|hardware|system|procedure)[- ]related|"
    r"complication|lead migration|infection", _I))  # fmt: skip
CONCEPTS = (RESPONDER_50, RESPONDER_30, PAIN_RELIEF, PAIN, ODI, EQ5D_INDEX, EQ5D_VAS, OPIOID_REDUCTION, OPIOID_DOSE, OPIOID,
            EXPLANT, DEVICE)  # fmt: skip
# a title or label naming a more specific concept does not also name these general ones
MORE_SPECIFIC = {OPIOID.name: (OPIOID_REDUCTION, OPIOID_DOSE), DEVICE.name: (EXPLANT,)}

PAIN_INTENSITY = re.compile(
    r"\b(vas|visual analog\w*|nrs|numeric(al)? (pain )?rating|intensity|pain score|severity|"
    r"pain rating|average pain|worst pain|pain scale)\b", _I)  # fmt: skip
NOT_INTENSITY = re.compile(
    r"interfer|catastroph|disabilit|quality of life|sleep|medication|free|relief|satisf|impression|"
    r"threshold|pressure pain|responder|detect|area|distribution|coverage|paresthesi", _I)  # fmt: skip
INSTRUMENTS = {
    "visual analogue scale": re.compile(r"visual analog|\bvas\b", _I),
    "numeric rating scale": re.compile(r"numeric(al)? (pain )?rating|\bnrs\b", _I),
}


@dataclass
class Vocabulary:
    """Concepts resolved against one configuration: concept name → outcome id, and the scales."""

    outcomes: dict[str, Outcome]
    scales: dict[str, Scale]
    outcome_of: dict[str, str] = field(default_factory=dict)  # concept name -> configured outcome id

    @classmethod
    def from_settings(cls, settings: Settings) -> Vocabulary:
        vocab = cls(dict(settings.outcomes), dict(settings.scales))
        for concept in CONCEPTS:
            found = [o.id for o in settings.outcomes.values() if _stands_for(concept, o)]
            if len(found) == 1:
                vocab.outcome_of[concept.name] = found[0]
        return vocab

    def kind(self, outcome_id: str) -> str:
        return self.outcomes[outcome_id].kind

    def family(self, outcome_id: str) -> str:
        return self.outcomes[outcome_id].family

    # -- outcomes --------------------------------------------------------------------------------------
    def classify(self, title: str) -> tuple[str, str]:
        """(outcome id, reason): the configured outcome an outcome/class/category title names, or why none."""
        concepts = []
        if RESPONDER_50.named_by(title):
            concepts.append(RESPONDER_50)
        elif RESPONDER_30.named_by(title):
            concepts.append(RESPONDER_30)
        elif PAIN.named_by(title) and PAIN_RELIEF.named_by(title) and PAIN_RELIEF.name in self.outcome_of:
            concepts.append(PAIN_RELIEF)
        elif PAIN.named_by(title) and PAIN_INTENSITY.search(title) and not NOT_INTENSITY.search(title):
            concepts.append(PAIN)
        if ODI.named_by(title):
            concepts.append(ODI)
        if EQ5D_INDEX.named_by(title):
            if re.search(r"\bvas\b|visual analog|thermometer", title, _I):
                if EQ5D_VAS.name not in self.outcome_of:
                    index = self.outcome_of.get(EQ5D_INDEX.name, "no outcome")
                    return "", f"EQ-5D VAS is not an analysed outcome ({index} is the EQ-5D index)"
                concepts.append(EQ5D_VAS)
            else:
                concepts.append(EQ5D_INDEX)
        # the most specific concept the configuration analyses (a dose title names opioid use too)
        for concept in (OPIOID_REDUCTION, OPIOID_DOSE, OPIOID):
            if concept.named_by(title) and concept.name in self.outcome_of:
                concepts.append(concept)
                break
        if not concepts:
            for concept in (EXPLANT, DEVICE):
                if concept.named_by(title) and concept.name in self.outcome_of:
                    concepts.append(concept)
                    break
        outcomes = [self.outcome_of[c.name] for c in concepts if c.name in self.outcome_of]
        if not outcomes:
            return "", "no matching outcome in the vocabulary"
        if len(outcomes) > 1:
            return "", f"title matches several outcomes ({', '.join(outcomes)})"
        return outcomes[0], ""

    def is_pain(self, outcome_id: str) -> bool:
        return self.outcome_of.get(PAIN.name) == outcome_id

    def relief_outcome(self) -> str | None:
        """The configured percentage-relief outcome, if the configuration analyses one."""
        return self.outcome_of.get(PAIN_RELIEF.name)

    def is_concept(self, outcome_id: str, concept: Concept) -> bool:
        return self.outcome_of.get(concept.name) == outcome_id

    # -- scales ----------------------------------------------------------------------------------------
    def scale(self, family: str, high: float | None = None, instrument: str | None = None) -> str | None:
        """The one configured scale of ``family`` (with range top ``high``, named ``instrument``), or None."""
        found = [
            s.id
            for s in self.scales.values()
            if s.family == family
            and (high is None or s.high == high)
            and (instrument is None or INSTRUMENTS[instrument].search(f"{s.label} {s.id.replace('_', ' ')}"))
        ]
        return found[0] if len(found) == 1 else None


def _stands_for(concept: Concept, outcome: Outcome) -> bool:
    if outcome.kind != concept.kind:
        return False
    if concept.family is not None:
        return outcome.family == concept.family
    text = f"{outcome.label} {outcome.id.replace('_', ' ')}"
    if any(c.named_by(text) for c in MORE_SPECIFIC.get(concept.name, ())):
        return False
    return concept.named_by(text)
