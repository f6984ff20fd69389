"""The outcome vocabulary resolves each registry concept to exactly one configured outcome, also when the
configuration holds close relatives (opioid use vs reduction vs dose; complications vs explants; >= 30 % vs
>= 50 % responders)."""

from __future__ import annotations

import pytest

from neuromod_evidence.screening.vocabulary import Vocabulary
from neuromod_evidence.settings import Settings
from tests.evidence_factory import DEFAULT_CONFIG_PATH


@pytest.mark.parametrize(
    ("title", "outcome"),
    [
        ("Number of Participants With Device-related Complications", "device_complications"),
        ("Number of Participants With Device Explant", "device_explant"),
        ("Percentage of Participants Who Reduced or Stopped Opioid Use", "opioid_reduction"),
        ("Daily Opioid Dose in Morphine Milligram Equivalents", "opioid_dose"),
        ("Number of Participants Taking Opioids", "opioid_use"),
        ("Percentage of Participants With at Least 30% Pain Relief", "responder_30"),
        ("Percentage of Participants With at Least 50% Leg Pain Relief", "responder_50"),
    ],
)
def test_each_concept_maps_to_its_own_configured_outcome(title, outcome):
    vocabulary = Vocabulary.from_settings(Settings.load(DEFAULT_CONFIG_PATH))
    assert vocabulary.classify(title) == (outcome, "")
