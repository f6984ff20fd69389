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

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ARM_BINARY = ("study", "treatment", "events", "n")
ARM_CONTINUOUS = ("study", "treatment", "mean", "sd", "n")
CONTRAST = ("study", "treatment_1", "treatment_2", "estimate", "se")
LAYOUTS = {"binary": ARM_BINARY, "continuous": ARM_CONTINUOUS, "contrast": CONTRAST}
RATIO_MEASURES = ("OR", "RR")


class NetworkError(ValueError):
    """Bad network input; the message names the row, the study or the disconnected parts."""


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
    raw = df.iloc[i][col]
    where = f"row {i + 1} (study {str(df.iloc[i]['study']).strip()!r}), column '{col}'"
    try:
        x = float(str(raw).strip())
    except ValueError:
        raise NetworkError(f"{where}: {raw!r} is not a number") from None
    if not math.isfinite(x):
        raise NetworkError(f"{where}: {raw!r} is not a finite number")
    if integer and x != int(x):
        raise NetworkError(f"{where}: {raw!r} must be a whole number")
    if positive and not x > 0:
        raise NetworkError(f"{where}: must be > 0, got {raw!r}")
    if nonneg and x < 0:
        raise NetworkError(f"{where}: must be >= 0, got {raw!r}")
    return x


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


def _contrast_arms(study, rows):
    """Arm 'means' and variances whose contrasts reproduce the rows (see the module docstring)."""
    trts = list(dict.fromkeys(t for r in rows for t in (r[2], r[1])))
    m = len(trts)
    pairs = {frozenset((r[1], r[2])) for r in rows}
    if len(pairs) != len(rows):
        raise NetworkError(f"row {rows[0][0] + 1}: study {study!r} repeats a comparison")
    if m == 2:
        _, t1, t2, y, se, _ = rows[0]
        return [t2, t1], np.array([y]), np.array([[se**2]])
    idx = {t: k for k, t in enumerate(trts)}
    if len(rows) == m * (m - 1) // 2:  # netmeta: every pair given; solve v_i + v_j = se_ij^2
        a = np.zeros((len(rows), m))
        for k, r in enumerate(rows):
            a[k, idx[r[1]]] = a[k, idx[r[2]]] = 1.0
        v = np.linalg.lstsq(a, np.array([r[4] ** 2 for r in rows]), rcond=None)[0]
        if np.any(v <= 0):
            raise NetworkError(f"study {study!r}: its standard errors imply a negative arm variance")
        base = trts[0]
        yy, tt = [], []
        for r in rows:  # contrasts against the base arm (the others follow by consistency within a trial)
            if base in (r[1], r[2]):
                tt.append(r[1] if r[2] == base else r[2])
                yy.append(r[3] if r[2] == base else -r[3])
        order = [base, *tt]
        vv = np.array([v[idx[t]] for t in order])
        V = np.diag(vv[1:]) + vv[0]
        return order, np.array(yy), V
    commons = {r[2] for r in rows}
    if len(commons) != 1 or len(rows) != m - 1:
        raise NetworkError(
            f"row {rows[0][0] + 1}: multi-arm study {study!r} must give either every pairwise contrast or "
            "each arm against one common arm (treatment_2)"
        )
    base = rows[0][2]
    common = [r[5] for r in rows if math.isfinite(r[5])]
    if not common:
        raise NetworkError(
            f"row {rows[0][0] + 1}: multi-arm study {study!r} gives contrasts against {base!r} only; "
            "add column 'se_common' (the SE of the common arm) or give every pairwise contrast"
        )
    v0 = common[0] ** 2
    var = np.array([r[4] ** 2 for r in rows])
    if np.any(var <= v0):
        raise NetworkError(f"study {study!r}: se_common must be smaller than every contrast's se")
    return [base, *[r[1] for r in rows]], np.array([r[3] for r in rows]), np.diag(var - v0) + v0


def _reduce(name, arms, kind, measure, reference) -> Study:
    if kind == "contrast":
        order, y, V = _contrast_arms(name, arms["rows"])
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


def binary_contrasts(e, n, measure):
    """Log OR or log RR of each arm vs arm 0 and their covariance (var of arm 0 shared). A zero cell
    (events 0 or n in any arm) adds 0.5 to every cell of the study, as the issue and netmeta do."""
    e, n = np.asarray(e, float), np.asarray(n, float)
    if np.any(e == 0) or np.any(e == n):
        e, n = e + 0.5, n + 1.0
    if measure == "OR":
        lo, v = np.log(e / (n - e)), 1.0 / e + 1.0 / (n - e)
    else:
        lo, v = np.log(e / n), 1.0 / e - 1.0 / n
    return lo[1:] - lo[0], np.diag(v[1:]) + v[0]


def continuous_contrasts(mean, sd, n, measure):
    """MD: differences with var sd^2/n per arm, arm 0's variance shared. SMD: Hedges' g against arm 0 with
    the SD pooled over all arms of the study; var 1/n_k + 1/n_0 + g^2 / (2 (n_k + n_0)), covariance
    1/n_0 + g_j g_k / (2 N) (Gleser & Olkin 2009, eq. 19.27 with a study-wide pooled SD)."""
    mean, sd, n = (np.asarray(x, float) for x in (mean, sd, n))
    if measure == "MD":
        v = sd**2 / n
        return mean[1:] - mean[0], np.diag(v[1:]) + v[0]
    df = n.sum() - len(n)
    sp = math.sqrt(float(np.sum((n - 1) * sd**2)) / df)
    j = 1.0 - 3.0 / (4.0 * df - 1.0)
    g = j * (mean[1:] - mean[0]) / sp
    big_n = n.sum()
    V = 1.0 / n[0] + np.outer(g, g) / (2.0 * big_n)
    V[np.diag_indices_from(V)] = 1.0 / n[1:] + 1.0 / n[0] + g**2 / (2.0 * (n[1:] + n[0]))
    return g, V


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
