"""The text side of the forest plot: header, per-trial cells, RoB 2 lights, pooled rows, axis words, notes.

Everything is placed in inches from the figure's left and bottom edges (the layout of :mod:`.forest`), so
nothing needs a re-layout pass when the figure is saved. The cell texts come from :mod:`..forest_text`,
which the page's data table uses too.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.patches import FancyBboxPatch

from .. import forest_text as ft
from ..rob import ROB_COLOURS, ROB_DOMAINS
from ..scale import is_ratio, measure_axis_label, null_value
from .axes import INK, MUTED, truncate

PAD, ROW, HEADER, NOTE_LINE = 0.08, 0.25, 0.66, 0.165  # inches
FONT = 8.5  # points at the figure's own size, for every text (>= 8 pt printed on landscape A4, style.css)
ROB_STEP, ROB_BOX = 0.25, (0.23, 0.17)  # inches: one traffic light per RoB 2 domain
PREDICTION_LABEL = "95% prediction interval (new trial)"


class TableText:
    """Writes the forest plot's text onto ``fig``; ``lay`` holds column x positions in inches."""

    def __init__(
        self, fig, ax, lay: dict[str, float], width: float, height: float, bottom: float, n_rows: int
    ):
        self.fig, self.ax, self.lay, self.w, self.h = fig, ax, lay, width, height
        self.bottom, self.n = bottom, n_rows
        self.label_y = self.legend_y = bottom

    def row_y(self, r: int) -> float:
        return self.bottom + ROW * (self.n - r - 0.5)

    def text(self, x, y, s, ha="left", gid=None, va="center", **kw):
        kw.setdefault("color", INK)
        return self.fig.text(x / self.w, y / self.h, s, ha=ha, va=va, fontsize=FONT, gid=gid, **kw)

    def header(self, measure, extra, has_rob, intervention, control) -> None:
        lay, top = self.lay, self.h - HEADER
        y2, y1 = top + 0.12, top + 0.29  # column names; the arm names sit above y1 (up to two lines)
        bold = {"fontweight": "bold"}
        self.text(lay["study"], y2, "Trial", **bold)
        self.text(lay["variant"], y2, "Site / variant", **bold)
        for j, (_, head) in enumerate(extra):
            self.text(lay[f"extra{j}"], y2, head, ha="right", **bold)
        chars = int(lay["arm_w"] * 72 / 6.0) + 1  # bold 8.5 pt DejaVu Sans: about 6 pt a character
        for key, name in (("arm_t", intervention), ("arm_c", control)):
            lines = textwrap.wrap(name, chars, break_long_words=False) or [name]
            name = "\n".join([*lines[:1], truncate(" ".join(lines[1:]), chars)] if len(lines) > 1 else lines)
            x = lay[key] - lay["arm_w"] / 2 + 0.08
            self.text(x, y1 - 0.07, name, ha="center", va="bottom", gid=f"header-{key}", **bold)
            self.text(lay[key], y2, ft.arm_header(measure), ha="right", **bold)
        self.text(lay["weight"], y2, "Weight", ha="right", **bold)
        self.text(lay["effect"], y1, measure_axis_label(measure), **bold)
        self.text(lay["effect"], y2, "[95% CI or CrI]", **bold)
        if has_rob:
            self.text(lay["rob"] + 2.5 * ROB_STEP, y1, "Risk of bias", ha="center", **bold)
            for d, (_, letter, _) in enumerate(ROB_DOMAINS):
                self.text(lay["rob"] + ROB_STEP * (d + 0.5), y2, letter, ha="center", **bold)
        rule = top / self.h
        self.fig.add_artist(_line([PAD / self.w, 1 - PAD / self.w], [rule, rule]))

    def cells(self, studies, rows, measure, decimals, extra) -> None:
        lay = self.lay
        for r, (kind, i) in enumerate(rows):
            if kind != "study":
                continue
            row, y = studies.iloc[i], self.row_y(r)
            self.text(lay["study"], y, truncate(str(row["label"]), 30), gid=f"cell-label-{i}")
            self.text(lay["variant"], y, truncate(ft.variant_cell(row), 18), gid=f"cell-variant-{i}")
            for j, (col, _) in enumerate(extra):
                val = row[col]
                cell = "" if pd.isna(val) else truncate(f"{val:g}" if isinstance(val, float) else str(val), 9)
                self.text(lay[f"extra{j}"], y, cell, ha="right", gid=f"cell-{col}-{i}")
            for side in ("t", "c"):
                cell = ft.arm_cell(row, side, measure, decimals)
                self.text(lay[f"arm_{side}"], y, cell, ha="right", gid=f"cell-arm_{side}-{i}")
            self.text(lay["weight"], y, ft.weight_cell(row.get("weight")), ha="right", gid=f"cell-weight-{i}")
            self.text(lay["effect"], y, ft.effect_cell(row, measure, decimals), gid=f"cell-effect-{i}")
            for d, (judgement, symbol, _) in enumerate(ft.rob_cells(row.get("rob"))):
                x = lay["rob"] + ROB_STEP * (d + 0.5)
                self.rob_light(x, y, judgement, symbol, f"rob-{i}-{ROB_DOMAINS[d][1]}")

    def rob_light(self, x, y, judgement, symbol, gid) -> None:
        fill, ink = ROB_COLOURS[judgement]
        w, h = ROB_BOX
        box = FancyBboxPatch(
            ((x - w / 2) / self.w, (y - h / 2) / self.h), w / self.w, h / self.h, facecolor=fill,
            edgecolor="#555555", lw=0.6, gid=gid, boxstyle="square,pad=0",
        )  # fmt: skip
        self.fig.add_artist(box)
        self.text(x, y, symbol, ha="center", color=ink, fontweight="bold" if len(symbol) < 3 else "normal")

    def pooled_cells(self, studies, rows, pooled, common, het_lines, measure, decimals) -> None:
        lay, bold = self.lay, {"fontweight": "bold"}
        weights = "weight" in studies and pd.to_numeric(studies["weight"], errors="coerce").notna().any()
        for r, (kind, j) in enumerate(rows):
            y = self.row_y(r)
            if kind == "pooled":
                self.text(lay["study"], y, pooled.label, **bold)
                for side in ("t", "c"):
                    self.text(lay[f"arm_{side}"], y, ft.arm_total(studies, side, measure), ha="right", **bold)
                self.text(lay["weight"], y, "100%" if weights else "", ha="right", **bold)
                self.text(
                    lay["effect"], y, ft.pooled_cell(pooled, measure, decimals), gid="cell-pooled", **bold
                )
            elif kind == "common":
                self.text(lay["study"], y, common.label)
                self.text(lay["effect"], y, ft.pooled_cell(common, measure, decimals), gid="cell-common")
            elif kind == "pred":
                self.text(lay["study"], y, PREDICTION_LABEL, color=MUTED)
                self.text(lay["effect"], y, ft.prediction_cell(pooled, measure, decimals), color=MUTED)
            elif kind == "het":
                self.text(lay["study"], y, het_lines[j], gid=f"heterogeneity-{j}", color=MUTED)
            elif kind == "note":
                self.text(lay["study"], y, j, gid="not-pooled", fontstyle="italic", fontweight="bold")

    def axis_labels(self, measure, favours: tuple[str, str]) -> None:
        """'Favours ...' on either side of the line of no effect (as RevMan prints them), then the axis name."""
        lay, (left_text, right_text) = self.lay, favours
        y = self.bottom - 0.24
        to_axes = self.ax.transAxes.inverted().transform
        null = to_axes(self.ax.transData.transform((null_value(measure), 0)))[0]
        x = lay["axes_left"] + null * (lay["axes_right"] - lay["axes_left"])
        kw = {"va": "top", "fontstyle": "italic"}
        self.text(x - 0.06, y, left_text, ha="right", multialignment="right", gid="favours-left", **kw)
        self.text(x + 0.06, y, right_text, ha="left", gid="favours-right", **kw)
        lines = max(left_text.count("\n"), right_text.count("\n")) + 1
        label = measure_axis_label(measure) + (" (log scale)" if is_ratio(measure) else "")
        self.label_y = y - 0.15 * lines - 0.1
        self.text((lay["axes_left"] + lay["axes_right"]) / 2, self.label_y, label, ha="center")
        self.legend_y = self.label_y - 0.14

    def notes(self, notes: list[tuple[str, str]]) -> None:
        y = self.legend_y - 0.25
        for name, text in notes:
            self.text(PAD, y, text, va="top", gid=f"note-{name}")
            y -= NOTE_LINE * (text.count("\n") + 1)


def _line(xs, ys):
    from matplotlib.lines import Line2D

    return Line2D(xs, ys, color=MUTED, lw=0.6)


def favours(direction: str, intervention: str, control: str) -> tuple[str, str]:
    """'Favours ...' under the axis, on the side where each arm is better."""
    left, right = (intervention, control) if direction == "lower_is_better" else (control, intervention)
    return textwrap.fill(f"\u2190 Favours {left}", 24), textwrap.fill(f"Favours {right} \u2192", 24)


def notes_of(studies: pd.DataFrame, measure: str, has_rob: bool) -> list[tuple[str, str]]:
    """The footnotes the figure needs: what the marks, weights, dashes and RoB letters mean."""
    notes = [("estimates", "Trials: observed estimate with 95% CI (square sized by weight); pooled rows: "
              "posterior median with 95% credible interval (CrI).")]  # fmt: skip
    if "weight" in studies and pd.to_numeric(studies["weight"], errors="coerce").notna().any():
        notes.append(("weight", ft.WEIGHT_NOTE))
    if any(ft.arm_cell(r, "t", measure) == ft.NO_ARM_DATA for _, r in studies.iterrows()):
        notes.append(("contrast", ft.CONTRAST_NOTE))
    if has_rob:
        notes.append(("rob", ft.ROB_NOTE))
    return [(name, textwrap.fill(text, 150)) for name, text in notes]
