"""Input of the `fit` command: read a CSV file (any of three delimiters), detect its layout, check every cell
and turn the rows into a contrasts table in the pipeline's format. Errors name the row and column."""

from __future__ import annotations

import math
from pathlib import Path

from ..cells import number_cell

MEASURES = ("MD", "SMD", "OR", "RR", "RD", "GENERIC")
LAYOUTS = {
    "arm_binary": ("events_t", "n_t", "events_c", "n_c"),
    "arm_continuous": ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"),
    "contrast_se": ("estimate", "se"),
    "contrast_ci": ("estimate", "ci_low", "ci_high"),
}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class InputError(ValueError):
    """Bad input; the message names the row and column."""


def _delimiter(path: Path) -> str:
    """The delimiter of the header line: a comma unless the header has none and has a semicolon or tab."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file") from None
    if "," not in header:
        for sep in (";", "\t"):
            if sep in header:
                return sep
    return ","


def _read(path: Path):
    import pandas as pd

    sep = _delimiter(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (save the file as CSV UTF-8)") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except pd.errors.ParserError as exc:  # pandas' parser errors name the line
        raise InputError(f"{path}: not a readable CSV file: {str(exc).strip()}") from None
    df.columns = [c.strip() for c in df.columns]
    if sep == ";":  # semicolon files come from spreadsheets with a decimal comma
        df = df.apply(lambda col: col.str.replace(",", ".", regex=False) if col.name != "study" else col)
    if len(df) == 0:
        raise InputError(f"{path}: no data rows")
    df.attrs["delimiter"] = DELIMITERS[sep]
    return df


def duplicate_studies(df) -> list[str]:
    from neuromod_evidence.models.studies import duplicate_labels

    return duplicate_labels(str(v).strip() for v in df["study"])


def detect_layout(columns, measure: str, delimiter: str = "comma") -> str:
    cols = set(columns)
    if "study" not in cols:
        found = ", ".join(repr(c) for c in list(columns)[:6]) or "none"
        raise InputError(
            f"missing column 'study' (read as {delimiter}-separated; header columns found: {found})"
        )
    for name in ("arm_binary", "arm_continuous", "contrast_se", "contrast_ci"):
        if set(LAYOUTS[name]) <= cols:
            layout = name
            break
    else:
        hints = "; ".join(f"{k}: study, {', '.join(v)}" for k, v in LAYOUTS.items())
        missing = {k: sorted(set(v) - cols) for k, v in LAYOUTS.items()}
        best = min(missing, key=lambda k: len(missing[k]))
        raise InputError(f"missing column(s) {', '.join(repr(c) for c in missing[best])} (layouts: {hints})")
    ok = {
        "arm_binary": ("OR", "RR", "RD"),
        "arm_continuous": ("MD", "SMD"),
    }.get(layout, MEASURES)
    if measure not in ok:
        raise InputError(f"--measure {measure} does not fit the {layout} layout (use {' or '.join(ok)})")
    return layout


def _number(df, i, col, *, integer=False, positive=False, nonneg=False) -> float:
    return number_cell(df, i, col, InputError, integer=integer, positive=positive, nonneg=nonneg)


def to_contrasts(df, layout: str, measure: str, ratio_scale: bool = False):
    """Validate the input and return a contrasts table in the pipeline's format."""
    import pandas as pd

    from neuromod_evidence import effects

    recs = []
    for i in range(len(df)):
        study = str(df.iloc[i]["study"]).strip()
        if not study:
            raise InputError(f"row {i + 1}, column 'study': empty")
        rec = {"trial_id": study, "study_label": study, "measure": measure}
        if layout == "arm_binary":
            et, nt, ec, nc = (
                _number(df, i, c, integer=True, nonneg=c.startswith("events"), positive=c.startswith("n_"))
                for c in LAYOUTS[layout]
            )
            for e, n, ce, cn in ((et, nt, "events_t", "n_t"), (ec, nc, "events_c", "n_c")):
                if e > n:
                    raise InputError(
                        f"row {i + 1} (study {study!r}), column '{ce}': {int(e)} events > {cn} = {int(n)}"
                    )
            rec.update(data_type="arm_binary", events_t=et, n_t=nt, events_c=ec, n_c=nc, estimate=math.nan,
                       se=math.nan)  # fmt: skip
        elif layout == "arm_continuous":
            v = {c: _number(df, i, c, positive=c.startswith(("sd", "n_")), integer=c.startswith("n_"))
                 for c in LAYOUTS[layout]}  # fmt: skip
            fn = effects.hedges_g if measure == "SMD" else effects.mean_difference
            est, se = fn(v["mean_t"], v["sd_t"], v["n_t"], v["mean_c"], v["sd_c"], v["n_c"])
            rec.update(data_type="arm_continuous", estimate=est, se=se, **v)  # arms kept for the forest plot
        else:
            est = _number(df, i, "estimate", positive=ratio_scale)
            if layout == "contrast_se":
                se = _number(df, i, "se", positive=True)
                if ratio_scale:
                    raise InputError("--ratio-scale needs ci_low/ci_high, not se (a SE is on the log scale)")
            else:
                lo = _number(df, i, "ci_low", positive=ratio_scale)
                hi = _number(df, i, "ci_high", positive=ratio_scale)
                if ratio_scale:
                    est, lo, hi = math.log(est), math.log(lo), math.log(hi)
                if not lo < hi:
                    raise InputError(f"row {i + 1} (study {study!r}), column 'ci_high': must exceed ci_low")
                if not lo <= est <= hi:
                    raise InputError(f"row {i + 1} (study {study!r}), column 'estimate': outside its CI")
                se = effects.se_from_ci(lo, hi)
            rec.update(data_type="contrast", estimate=est, se=se)
            for c in ("n_t", "n_c"):
                if c in df.columns and str(df.iloc[i][c]).strip():
                    rec[c] = _number(df, i, c, positive=True)
        recs.append(rec)
    return pd.DataFrame(recs)


def _unit_information_sd(contrasts) -> float | None:
    """UISD (Röver et al. 2021): sigma_u = sqrt(n_total / sum(1 / se_i^2)); needs n per study."""
    import numpy as np

    if not {"n_t", "n_c"} <= set(contrasts.columns):
        return None
    n = (contrasts["n_t"] + contrasts["n_c"]).to_numpy(float)
    se = contrasts["se"].to_numpy(float)
    if not np.all(np.isfinite(n)) or not np.all(np.isfinite(se)):
        return None
    return float(np.sqrt(n.sum() / np.sum(1 / se**2)))
