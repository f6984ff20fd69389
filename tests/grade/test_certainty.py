"""Combining judgements, reviewer overrides and GRADE's standard wording."""

import pytest

from neuromod_evidence.grade import Judgement, apply_overrides, assess, read_overrides, statement
from neuromod_evidence.grade.overrides import OverrideError


def j(domain, level, reason="r"):
    return Judgement(domain, level, reason)


def test_certainty_starts_high_and_is_rated_down_never_below_very_low():
    assert assess([j("imprecision", 0)]).certainty == "high"
    assert assess([j("imprecision", 1)]).certainty == "moderate"
    assert assess([j("imprecision", 1), j("risk_of_bias", 1)]).certainty == "low"
    assert assess([j("imprecision", 2), j("risk_of_bias", 2)]).certainty == "very low"
    reasons = assess([j("imprecision", 1, "crosses the MCID"), j("indirectness", 0)]).reasons()
    assert reasons == ["Imprecision (serious): crosses the MCID"]


def test_overrides_are_applied_and_shown(tmp_path):
    path = tmp_path / "certainty_overrides.csv"
    path.write_text(
        "analysis_id,domain,judgement,reason\nx,risk_of_bias,not serious,full text read: concealed\n"
    )
    overrides = read_overrides(path)
    out = apply_overrides([j("risk_of_bias", 2, "60% high"), j("imprecision", 1)], overrides, "x")
    a = assess(out)
    assert a.certainty == "moderate" and a.overridden
    assert "overridden" in a.reasons()[0] and "full text read" in a.reasons()[0]
    assert not assess(apply_overrides([j("risk_of_bias", 2)], overrides, "other")).overridden
    assert len(read_overrides(tmp_path / "absent.csv")) == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("x,risk,serious,why\n", "field 'domain'"),
        ("x,imprecision,bad,why\n", "field 'judgement'"),
        ("x,imprecision,serious,\n", "field 'reason'"),
    ],
)
def test_a_bad_override_names_file_line_and_field(tmp_path, text, message):
    path = tmp_path / "o.csv"
    path.write_text("analysis_id,domain,judgement,reason\n" + text)
    with pytest.raises(OverrideError, match=f"line 2, {message}"):
        read_overrides(path)


@pytest.mark.parametrize(
    "certainty, est, low, high, expected",
    [
        ("high", -3, -4, -2, "SCS reduces pain intensity."),
        ("moderate", -3, -4, -2, "SCS probably reduces pain intensity."),
        ("low", -3, -6, 1, "SCS may reduce pain intensity."),
        ("very low", -3, -6, 1, "The evidence is very uncertain about the effect of SCS on pain intensity."),
        ("moderate", -1, -1.5, -0.5, "SCS probably slightly reduces pain intensity."),
        ("low", -0.2, -1, 0.6, "SCS may result in little to no difference in pain intensity."),
        ("high", 0.1, -0.5, 0.6, "SCS results in little to no difference in pain intensity."),
    ],
)
def test_santesso_wording(certainty, est, low, high, expected):
    assert statement(certainty, "SCS", "pain intensity", est, low, high, 2.0) == expected


def test_increases_for_responders():
    assert (
        statement("moderate", "SCS", "responders", 1.2, 0.5, 2.0, 0.405)
        == "SCS probably increases responders."
    )
