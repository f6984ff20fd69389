"""One validated data object per network: studies, their arms, treatments and a reference.

Why one object: the Bayesian model, the frequentist cross-check, node-splitting and the output tables all
need the same facts (which treatments a study compares, which arm is its base, the within-study
covariance of its contrasts). Validating once, with messages that name the row or the disconnected parts,
keeps every consumer free of input checks.

Input layouts (the columns decide):

- arm-level binary ``study, treatment, events, n`` (one row per arm);
- arm-level continuous ``study, treatment, mean, sd, n`` (one row per arm);
- contrast level ``study, treatment_1, treatment_2, estimate, se`` (estimate = treatment_1 minus
  treatment_2, log scale for ratio measures). A multi-arm trial comes either as every pairwise contrast
  (netmeta's convention: the arm variances are then solved from ``se_ij^2 = v_i + v_j``, exact for
  internally consistent input) or as contrasts against one common arm, ``treatment_2``, with the
  common arm's own variance in a column ``se_common`` (its standard error; the gemtc/multinma
  convention for relative-effect data). The covariance of two contrasts against the common arm is the
  variance of the common arm, as in metafor's ``vcalc``/``rma.mv`` examples.

Every study is reduced to contrasts of its arms against its base arm (the first arm, or the reference
treatment when the study has it) — ``y`` with covariance ``V`` — and, for binary data, the arm counts
themselves (the Bayesian model uses the counts, not ``y``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..cells import number_cell
from .contrasts import NetworkError, binary_contrasts, continuous_contrasts, contrast_arms

__all__ = ["NetworkError", "Network", "Study", "from_dataframe", "binary_contrasts", "continuous_contrasts"]

ARM_BINARY = ("study", "treatment", "events", "n")
ARM_CONTINUOUS = ("study", "treatment", "mean", "sd", "n")
CONTRAST = ("study", "treatment_1", "treatment_2", "estimate", "se")
LAYOUTS = {"binary": ARM_BINARY, "continuous": ARM_CONTINUOUS, "contrast": CONTRAST}
RATIO_MEASURES = ("OR", "RR")


@dataclass
class Study:
    """One trial: ``treatments[0]`` is its base arm; ``y``/``V`` are the contrasts of the other arms
    against it (on the analysis scale, zero cells corrected); binary studies also keep their counts."""

    name: str
    treatments: tuple[str, ...]
    y: np.ndarray
    V: np.ndarray
    events: np.ndarray | None = None
    n: np.ndarray | None = None
    size: float = float("nan")  # participants (nan when the input has no arm sizes)
    sd: np.ndarray | None = None  # continuous arms: within-arm SDs

    @property
    def arms(self) -> int:
        return len(self.treatments)


@dataclass
class Network:
    kind: str  # "binary", "continuous" or "contrast"
    measure: str
    reference: str
    treatments: tuple[str, ...]  # reference first, then sorted
    studies: list[Study]
    warnings: list[str] = field(default_factory=list)

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.treatments)}

    def edges(self) -> pd.DataFrame:
        """Every directly compared pair with its number of trials and participants (in those arms)."""
        rows: dict[tuple[str, str], list[float]] = {}
        for s in self.studies:
            sizes = _arm_sizes(s)
            for i in range(s.arms):
                for j in range(i + 1, s.arms):
                    a, b = sorted((s.treatments[i], s.treatments[j]), key=self.index.get)
                    r = rows.setdefault((a, b), [0, 0.0])
                    r[0] += 1
                    r[1] += sizes[i] + sizes[j]
        return pd.DataFrame(
            [
                {"treatment_1": a, "treatment_2": b, "trials": r[0], "participants": r[1]}
                for (a, b), r in rows.items()
            ],
            columns=["treatment_1", "treatment_2", "trials", "participants"],
        )

    def participants(self) -> dict[str, float]:
        out = dict.fromkeys(self.treatments, 0.0)
        for s in self.studies:
            for t, m in zip(s.treatments, _arm_sizes(s), strict=True):
                out[t] += m
        return out

    def graph(self, exclude_pair: tuple[str, str] | None = None):
        """networkx graph of direct comparisons (optionally without the studies that compare a pair)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(self.treatments)
        for s in self.studies:
            if exclude_pair and set(exclude_pair) <= set(s.treatments):
                continue
            for i in range(s.arms):
                for j in range(i + 1, s.arms):
                    g.add_edge(s.treatments[i], s.treatments[j])
        return g

    def has_loops(self) -> bool:
        """A closed loop needs a cycle of comparisons that is not just the inside of one multi-arm trial."""
        return bool(self.splittable())

    def splittable(self) -> list[tuple[str, str]]:
        """Direct comparisons that also have indirect evidence from other trials (node-split candidates)."""
        import networkx as nx

        if "_splittable" in self.__dict__:  # computed once: the league asks for every pair
            return list(self.__dict__["_splittable"])
        out = []
        for a, b in self.edges()[["treatment_1", "treatment_2"]].itertuples(index=False):
            if nx.has_path(self.graph(exclude_pair=(a, b)), a, b):
                out.append((a, b))
        self.__dict__["_splittable"] = list(out)
        return out

    def evidence(self, a: str, b: str) -> str:
        """'direct', 'indirect' or 'mixed' evidence behind the network estimate of a vs b."""
        direct = any({a, b} <= set(s.treatments) for s in self.studies)
        if not direct:
            return "indirect"
        return (
            "mixed"
            if (tuple(sorted((a, b), key=self.index.get)) in set(map(tuple, self.splittable())))
            else "direct"
        )


def _arm_sizes(s: Study) -> np.ndarray:
    return np.asarray(s.n, dtype=float) if s.n is not None else np.full(s.arms, np.nan)


def detect_layout(columns) -> str:
    cols = {c.strip() for c in columns}
    for kind, need in LAYOUTS.items():
        if set(need) <= cols:
            return kind
    missing = {k: sorted(set(v) - cols) for k, v in LAYOUTS.items()}
    best = min(missing, key=lambda k: len(missing[k]))
    hint = "; ".join(f"{k}: {', '.join(v)}" for k, v in LAYOUTS.items())
    raise NetworkError(f"missing column(s) {', '.join(missing[best])} (layouts: {hint})")


def _num(df, i, col, *, integer=False, positive=False, nonneg=False) -> float:
    return number_cell(df, i, col, NetworkError, integer=integer, positive=positive, nonneg=nonneg)


def _name(df, i, col) -> str:
    value = str(df.iloc[i][col]).strip()
    if not value or value.lower() == "nan":
        raise NetworkError(f"row {i + 1}, column '{col}': empty (every row needs a named {col})")
    return value


def from_dataframe(df: pd.DataFrame, measure: str, reference: str | None = None) -> Network:
    """Validate a data frame in one of the layouts and build the network."""
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise NetworkError("no data rows")
    kind = detect_layout(df.columns)
    ok = {"binary": ("OR", "RR"), "continuous": ("MD", "SMD")}.get(kind, ("MD", "SMD", "OR", "RR", "GENERIC"))
    if measure not in ok:
        raise NetworkError(f"--measure {measure} does not fit the {kind} layout (use {' or '.join(ok)})")
    raw = _contrast_studies(df) if kind == "contrast" else _arm_studies(df, kind)
    if kind == "contrast":
        names = sorted({t for _, arms in raw for r in arms["rows"] for t in (r[1], r[2])})
    else:
        names = sorted({t for _, arms in raw for t in arms})
    if reference is None:
        reference = names[0]
    if reference not in names:
        raise NetworkError(
            f"reference treatment {reference!r} is not in the data (treatments: {', '.join(names)})"
        )
    treatments = (reference, *[t for t in names if t != reference])
    studies = [_reduce(name, arms, kind, measure, reference) for name, arms in raw]
    net = Network(kind, measure, reference, treatments, studies)
    _check_connected(net)
    counts: dict[str, int] = {}
    for s in studies:
        for t in s.treatments:
            counts[t] = counts.get(t, 0) + 1
    once = [t for t in treatments if counts[t] == 1]
    if once:
        net.warnings.append(
            f"treatment(s) named in one study only: {', '.join(once)} (check the spelling; such a node rests on a single trial)"
        )
    return net


def _arm_studies(df, kind):
    out: dict[str, dict[str, dict]] = {}
    first_row: dict[str, int] = {}
    for i in range(len(df)):
        study = _name(df, i, "study")
        trt = _name(df, i, "treatment")
        n = _num(df, i, "n", integer=True, positive=True)
        if kind == "binary":
            e = _num(df, i, "events", integer=True, nonneg=True)
            if e > n:
                raise NetworkError(
                    f"row {i + 1} (study {study!r}), column 'events': {e:g} events exceed n = {n:g}"
                )
            arm = {"events": e, "n": n}
        else:
            arm = {"mean": _num(df, i, "mean"), "sd": _num(df, i, "sd", positive=True), "n": n}
        arms = out.setdefault(study, {})
        first_row.setdefault(study, i)
        if trt in arms:
            raise NetworkError(
                f"row {i + 1} (study {study!r}): treatment {trt!r} appears twice in this study"
            )
        arms[trt] = arm
    for study, arms in out.items():
        if len(arms) < 2:
            raise NetworkError(
                f"row {first_row[study] + 1}: study {study!r} has only one arm ({next(iter(arms))}); "
                "a study needs at least two treatments"
            )
    return list(out.items())


def _contrast_studies(df):
    out: dict[str, list] = {}
    has_common = "se_common" in df.columns
    for i in range(len(df)):
        study = _name(df, i, "study")
        t1, t2 = _name(df, i, "treatment_1"), _name(df, i, "treatment_2")
        if t1 == t2:
            raise NetworkError(f"row {i + 1} (study {study!r}): treatment_1 and treatment_2 are both {t1!r}")
        y, se = _num(df, i, "estimate"), _num(df, i, "se", positive=True)
        common = float("nan")
        if has_common and str(df.iloc[i]["se_common"]).strip() not in ("", "nan", "NA"):
            common = _num(df, i, "se_common", positive=True)
        out.setdefault(study, []).append((i, t1, t2, y, se, common))
    return [(study, {"rows": rows}) for study, rows in out.items()]


def _reduce(name, arms, kind, measure, reference) -> Study:
    if kind == "contrast":
        order, y, V = contrast_arms(name, arms["rows"])
        if reference in order and order[0] != reference:  # re-base on the reference arm
            k = order.index(reference) - 1  # position of the reference among the contrasts
            others = [j for j in range(len(y)) if j != k]
            t = np.zeros((len(y), len(y)))
            t[0, k] = -1.0  # old base vs reference: -y_k
            for row, j in enumerate(others, start=1):  # arm j vs reference: y_j - y_k
                t[row, j], t[row, k] = 1.0, -1.0
            y, V = t @ y, t @ V @ t.T
            order = [reference, order[0], *[order[j + 1] for j in others]]
        return Study(name, tuple(order), y, V)
    trts = list(arms)
    if reference in trts:
        trts.remove(reference)
        trts.insert(0, reference)
    n = np.array([arms[t]["n"] for t in trts])
    if kind == "binary":
        e = np.array([arms[t]["events"] for t in trts])
        y, V = binary_contrasts(e, n, measure)
        return Study(name, tuple(trts), y, V, events=e, n=n, size=float(n.sum()))
    mean = np.array([arms[t]["mean"] for t in trts])
    sd = np.array([arms[t]["sd"] for t in trts])
    y, V = continuous_contrasts(mean, sd, n, measure)
    return Study(name, tuple(trts), y, V, n=n, size=float(n.sum()), sd=sd)


def _check_connected(net: Network) -> None:
    import networkx as nx

    parts = list(nx.connected_components(net.graph()))
    if len(parts) > 1:
        order = net.index
        desc = " | ".join(
            "{" + ", ".join(sorted(p, key=order.get)) + "}"
            for p in sorted(parts, key=lambda p: min(order[t] for t in p))
        )
        raise NetworkError(f"the network is disconnected: {len(parts)} parts {desc}")
