"""`bilstm_lab.core.formatting`: the one place numbers and shapes are written, exact strings."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bilstm_lab.core.formatting import (
    SOFT_BREAK,
    breakable,
    csv_text,
    factor,
    fmt,
    format_shape,
    format_shape_runs,
    html_table,
    markdown_table,
    megabytes,
    percent,
    shape_text,
    small_difference,
    text_table,
)
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "0"), (999, "999"), (98_816, "98,816"), (1_280_000, "1,280,000"), (-4_096, "-4,096")],
)
def test_fmt_thousands_separators(number: int, text: str) -> None:
    assert fmt(number) == text


def test_shape_text_writes_none_like_keras() -> None:
    assert shape_text((None, 10, 128)) == "(None, 10, 128)"
    assert shape_text((2, 8)) == "(2, 8)"
    assert shape_text((None,)) == "(None)"  # not Python's "(None,)": a label, not a tuple
    assert shape_text(()) == "()"


def test_format_shape_one_or_several_outputs() -> None:
    assert format_shape([(None, 10, 128)]) == "(None, 10, 128)"
    assert format_shape(((None, 16), (None, 16))) == "[(None, 16), (None, 16)]"
    assert format_shape([(4, 10, 16), (4, 8), (4, 8)]) == "[(4, 10, 16), (4, 8), (4, 8)]"


def test_format_shape_runs_counts_consecutive_repeats() -> None:
    assert format_shape_runs(((2, 8), (2, 4), (2, 4), (2, 4), (2, 4))) == "(2, 8), 4 × (2, 4)"
    assert format_shape_runs(((2, 8), (2, 4), (2, 4))) == "(2, 8), 2 × (2, 4)"
    assert format_shape_runs(((2, 5, 4), (2, 5, 4))) == "2 × (2, 5, 4)"
    # Only neighbours are counted together: the order of the outputs stays readable.
    assert format_shape_runs(((1,), (2,), (1,))) == "(1), (2), (1)"
    assert format_shape_runs(()) == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (-0.0, "0"), (0.123456, "0.12"), (1.5e-7, "1.5e-07"), (2.0, "2"), (12.3, "12")],
)
def test_small_difference(value: float, text: str) -> None:
    assert small_difference(value) == text


def test_percent() -> None:
    assert percent(0.8125) == "81%"
    assert percent(0.2) == "20%"
    assert percent(1.0) == "100%"
    assert percent(0.8125, 1) == "81.2%"
    assert percent(0.3333, 1) == "33.3%"


def test_megabytes() -> None:
    assert megabytes(16 * 1024 * 1024) == "16.0 MB"
    assert megabytes(4 * 1024 * 1024) == "4.0 MB"
    assert megabytes(1536 * 1024) == "1.5 MB"
    assert megabytes(0) == "0.0 MB"


def test_text_table_aligns_columns() -> None:
    rows = [["layer", "params"], ["lstm_1", "98,816"], ["dense", "1,290"]]
    assert text_table(rows, right_aligned={1}) == [
        "layer   params",
        "lstm_1  98,816",
        "dense    1,290",
    ]
    # Left-aligned last column: trailing spaces are dropped.
    assert text_table(rows, right_aligned=set()) == [
        "layer   params",
        "lstm_1  98,816",
        "dense   1,290",
    ]


def test_text_table_rejects_ragged_rows() -> None:
    with pytest.raises((IndexError, ValueError)):
        text_table([["a", "b"], ["c"]], right_aligned=set())
    with pytest.raises(ValueError):
        text_table([["a"], ["b", "c"]], right_aligned=set())


def test_factor() -> None:
    assert factor(3.3195876) == "3.32×"
    assert factor(2) == "2.00×"


def test_markdown_table_aligns_numbers_and_escapes_pipes() -> None:
    lines = markdown_table([["name", "n"], ["a|b", "1,024"]], right_aligned={1})
    assert lines == ["| name | n |", "| --- | ---: |", "| a\\|b | 1,024 |"]


def test_csv_text_quotes_and_leaves_none_empty() -> None:
    text = csv_text([["layer", "shape", "params", "ratio"], ["lstm", "(None, 4)", 112, None]])
    assert text == 'layer,shape,params,ratio\nlstm,"(None, 4)",112,\n'


def test_html_table_escapes_every_cell() -> None:
    table = html_table([["<b>", "n"], ["a & b", "1"]], right_aligned={1})
    assert table.startswith("<table><thead><tr><th")
    assert "&lt;b&gt;" in table and "a &amp; b" in table and "<b>" not in table
    assert '<td style="text-align: right">1</td>' in table


def test_one_definition_each() -> None:
    """The old copies are gone: every front end uses these, defined in one module."""
    from bilstm_lab.cli import main
    from bilstm_lab.core import analysis, comparison_table

    assert analysis.fmt is fmt
    assert main._table is text_table
    assert comparison_table.format_shape is format_shape
    assert comparison_table.text_table is text_table
    copies = re.compile(r"^\s*def (fmt|format_shape|_shape_list|_num|_mb|_table)\(", re.M)
    found = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sorted((ROOT / "bilstm_lab").rglob("*.py"))
        if path.name != "formatting.py"
        for match in copies.findall(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_pure_python() -> None:
    code = (
        "import sys, bilstm_lab.core.formatting; "
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'torch', 'streamlit') "
        "if m in sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_breakable_adds_invisible_breaks_only() -> None:
    assert breakable("Bidirectional(LSTM)") == f"Bidirectional{SOFT_BREAK}(LSTM)"
    assert breakable("Bidirectional(LSTM)").replace(SOFT_BREAK, "") == "Bidirectional(LSTM)"
    # Only before a bracket that follows a name: never inside a formula.
    assert breakable("2 × 4·64·(100+64+1) = 84,480") == "2 × 4·64·(100+64+1) = 84,480"
