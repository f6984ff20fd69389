"""Claim verdicts on constructed cases."""

import math

from neuromod_evidence.grade.claims import ClaimResult, result_status, verdict

PAIN = [("fbss", "pain_intensity", None), ("crps", "pain_intensity", None)]


def pain(ind, est, low, high, certainty="moderate"):
    return ClaimResult(
        ind, "pain_intensity", "scs_vs_medical", f"{ind} pain", est, low, high, -2.0, certainty
    )


def test_no_results_is_no_randomized_evidence():
    assert verdict(PAIN, [])[0] == "no randomized evidence in the data"
    other = ClaimResult("pdn", "pain_intensity", "scs_vs_medical", "t", -3, -4, -2, -2.0, "high")
    assert verdict(PAIN, [other])[0] == "no randomized evidence in the data"


def test_supported_when_every_target_has_an_important_benefit():
    v, statuses = verdict(PAIN, [pain("fbss", -3, -4, -2.5), pain("crps", -2.6, -4.1, -1.1)])
    assert v == "supported" and [s for _, s in statuses] == ["supports", "supports"]


def test_substantial_claims_need_the_mcid():
    r = pain("fbss", -1.0, -1.5, -0.5)
    assert result_status(r, "any") == "supports"
    assert result_status(r, "important") == "smaller than claimed"
    assert verdict(PAIN[:1], [r], size="important")[0] == "partly supported"


def test_partly_supported_when_one_target_lacks_evidence_or_benefit():
    assert verdict(PAIN, [pain("fbss", -3, -4, -2.5)])[0] == "partly supported"
    assert verdict(PAIN, [pain("fbss", -3, -4, -2.5), pain("crps", -1, -3, 1)])[0] == "partly supported"


def test_not_supported_when_no_result_shows_benefit_or_all_are_very_uncertain():
    assert verdict(PAIN, [pain("fbss", -1, -3, 1), pain("crps", 0.5, -1, 2)])[0] == "not supported"
    assert result_status(pain("fbss", -3, -4, -2.5, "very low")) == "very uncertain"
    assert verdict(PAIN, [pain("fbss", -3, -4, -2.5, "very low")])[0] == "not supported"
    assert result_status(pain("fbss", math.nan, math.nan, math.nan)) == "no benefit shown"


def test_a_claimed_relative_reduction_is_checked_against_its_interval():
    targets = [(None, "opioid_use", None)]  # any indication

    def opioid(reduction, est=-0.8, low=-1.4, high=-0.2):
        return ClaimResult(
            "fbss", "opioid_use", "scs_vs_medical", "t", est, low, high, -0.405, "low", reduction
        )

    assert verdict(targets, [opioid((0.35, 0.1, 0.55))], relative_reduction=0.4)[0] == "supported"
    assert verdict(targets, [opioid((0.15, 0.05, 0.25))], relative_reduction=0.4)[0] == "partly supported"
    assert (
        verdict(targets, [opioid((0.1, -0.1, 0.3), high=0.1)], relative_reduction=0.4)[0] == "not supported"
    )
