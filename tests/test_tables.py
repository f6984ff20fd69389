"""The table contracts' reader: typed columns, and bad cells named by file and column."""

import pytest

from neuromod_evidence.tables import HETEROGENEITY, TableError, read_table, write_table


def test_a_cell_that_is_not_a_number_names_the_file_and_column(tmp_path):
    path = tmp_path / "heterogeneity.csv"
    header = ",".join(HETEROGENEITY.columns)
    path.write_text(header + "\n" + ",".join(["x"] * len(HETEROGENEITY.columns)) + "\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"heterogeneity\.csv: column \w+ of the heterogeneity table"):
        read_table(HETEROGENEITY, path)


def test_written_tables_read_back_typed_with_empty_cells_as_missing(tmp_path):
    import pandas as pd

    kinds = {c: HETEROGENEITY.kind(c) for c in HETEROGENEITY.columns}
    row = {
        c: (1.5 if k == "float" else 3 if k == "int" else True if k == "bool" else "a")
        for c, k in kinds.items()
    }
    empty = dict.fromkeys(HETEROGENEITY.columns)
    write_table(HETEROGENEITY, pd.DataFrame([row, empty]), tmp_path / "h.csv")
    back = read_table(HETEROGENEITY, tmp_path / "h.csv")
    assert list(back.columns) == list(HETEROGENEITY.columns)
    for c, k in kinds.items():
        assert back[c].iloc[0] == row[c]
        if k == "float":
            assert back[c].dtype == float and pd.isna(back[c].iloc[1])
        elif k not in ("int", "bool"):
            assert back[c].iloc[1] is None


def test_a_boolean_column_with_gaps_keeps_its_values(tmp_path):
    """Summaries of binary and normal analyses together: exact_agrees is True/False for the normal ones and
    missing for the rest, which pandas holds as floats (1.0, 0.0, NaN); a False must survive write and read."""
    import numpy as np
    import pandas as pd

    from neuromod_evidence.tables import SUMMARY

    frame = pd.DataFrame({"analysis_id": ["a", "b", "c"], "exact_agrees": [1.0, np.nan, 0.0]})
    path = tmp_path / "summary.csv"
    write_table(SUMMARY, frame.reindex(columns=list(SUMMARY.columns)), path)
    back = read_table(SUMMARY, path)
    assert back["exact_agrees"].tolist() == [True, pd.NA, False]
