"""The two variants of a spec side by side, as rows: one source for every format the lab writes.

The CLI's table, Markdown and CSV, and the notebook API's HTML and DataFrame are all built from
`table_rows`, so a number, a label or a ratio reads the same in each. Pure Python.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.formatting import (
    csv_text,
    factor,
    format_shape,
    html_table,
    markdown_table,
    text_table,
)

#: The label of the row with the Keras totals.
TOTAL_LABEL = "total (Keras)"
#: The label of the row with the PyTorch equivalents' totals.
TORCH_LABEL = "PyTorch equivalent"
#: The title of the formulas table.
FORMULAS_TITLE = "Formulas (Keras)"
#: Columns holding numbers (right-aligned in every format).
_NUMBER_COLUMNS = frozenset({2, 4, 5})


@dataclass(frozen=True)
class TableRow:
    """One row of the side-by-side table: a layer of both variants, or a total.

    Attributes:
        layer: the layer's name (``lstm_1 / bilstm_1`` when the variants name it differently).
        uni_output: the unidirectional layer's output shape(s) as text; empty for a total.
        uni_params: its parameters; ``None`` where the count does not exist (PyTorch has no
            equivalent layer).
        bi_output: the bidirectional layer's output shape(s) as text; empty for a total.
        bi_params: its parameters, or ``None``.
        ratio: ``bi_params / uni_params``; ``None`` when either is missing or zero.
    """

    layer: str
    uni_output: str
    uni_params: int | None
    bi_output: str
    bi_params: int | None
    ratio: float | None

    def display_cells(self) -> list[str]:
        """The row as people read it: ``98,816``, ``2.00×``, ``–`` for no ratio."""
        return [
            self.layer,
            self.uni_output,
            explain.torch_count(self.uni_params),
            self.bi_output,
            explain.torch_count(self.bi_params),
            "–" if self.ratio is None else factor(self.ratio),
        ]

    def raw_cells(self) -> list[str | int | float | None]:
        """The row as data: plain ints and floats, ``None`` for a missing count."""
        return [
            self.layer,
            self.uni_output,
            self.uni_params,
            self.bi_output,
            self.bi_params,
            self.ratio,
        ]


def _ratio(uni: int | None, bi: int | None) -> float | None:
    return None if uni is None or bi is None or uni == 0 else bi / uni


def header(comparison: Comparison) -> list[str]:
    """The column names: ``layer``, ``LSTM output``, ``LSTM params``, … ``ratio``."""
    uni, bi = comparison.uni.label, comparison.bi.label
    return ["layer", f"{uni} output", f"{uni} params", f"{bi} output", f"{bi} params", "ratio"]


def table_rows(comparison: Comparison) -> list[TableRow]:
    """Every layer of both variants, then the Keras totals and the PyTorch totals."""
    uni, bi = comparison.uni, comparison.bi
    rows = [
        TableRow(
            u.name if u.name == b.name else f"{u.name} / {b.name}",
            format_shape(u.output_shapes),
            u.params,
            format_shape(b.output_shapes),
            b.params,
            _ratio(u.params, b.params),
        )
        for u, b in zip(uni.layers, bi.layers, strict=True)
    ]
    rows.append(
        TableRow(
            TOTAL_LABEL,
            "",
            uni.total_params,
            "",
            bi.total_params,
            _ratio(uni.total_params, bi.total_params),
        )
    )
    rows.append(
        TableRow(
            TORCH_LABEL,
            "",
            uni.torch_params,
            "",
            bi.torch_params,
            _ratio(uni.torch_params, bi.torch_params),
        )
    )
    return rows


def formula_rows(comparison: Comparison) -> list[list[str]]:
    """``[variant, layer, formula]`` for every layer of both variants (Keras's counts)."""
    return [
        [variant.label, row.name, row.formula]
        for variant in (comparison.uni, comparison.bi)
        for row in variant.layers
    ]


def _formula_table(comparison: Comparison) -> list[list[str]]:
    return [["variant", "layer", "formula"], *formula_rows(comparison)]


def reasons(comparison: Comparison) -> list[str]:
    """The sentences under the table: recurrent growth, each layer's ratio and why, PyTorch."""
    uni, bi = comparison.uni, comparison.bi
    return [
        explain.recurrent_growth(uni.recurrent_params, bi.recurrent_params),
        *(explain.layer_growth(layer) for layer in comparison.layer_ratios()),
        explain.torch_line(comparison.spec),
    ]


def _display_rows(comparison: Comparison) -> list[list[str]]:
    return [header(comparison), *(row.display_cells() for row in table_rows(comparison))]


def as_text(comparison: Comparison) -> str:
    """The plain-text report: description, table, formulas, ratios and their reasons."""
    lines = [explain.describe(comparison.spec), ""]
    lines += text_table(_display_rows(comparison), right_aligned=_NUMBER_COLUMNS)
    lines += ["", f"{FORMULAS_TITLE}:"]
    indented = [[f"  {label}", name, formula] for label, name, formula in formula_rows(comparison)]
    lines += text_table(indented, right_aligned=())
    growth, *layers, torch = reasons(comparison)
    lines += ["", growth, *(f"  {line}" for line in layers), torch]
    return "\n".join(lines)


def as_markdown(comparison: Comparison) -> str:
    """The same report in Markdown: the tables as pipe tables, the reasons as a list."""
    lines = [explain.describe(comparison.spec), ""]
    lines += markdown_table(_display_rows(comparison), right_aligned=_NUMBER_COLUMNS)
    lines += ["", f"{FORMULAS_TITLE}:", ""]
    lines += [*markdown_table(_formula_table(comparison), right_aligned=()), ""]
    lines += [f"- {line}" for line in reasons(comparison)]
    return "\n".join(lines)


def as_csv(comparison: Comparison) -> str:
    """The side-by-side table as CSV: plain numbers, an empty cell for a missing one."""
    return csv_text([header(comparison), *(row.raw_cells() for row in table_rows(comparison))])


def as_html(comparison: Comparison) -> str:
    """The report as HTML for a notebook: description, both tables, the reasons."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in reasons(comparison))
    return (
        f"<div><p>{html.escape(explain.describe(comparison.spec))}</p>"
        f"{html_table(_display_rows(comparison), right_aligned=_NUMBER_COLUMNS)}"
        f"<p>{FORMULAS_TITLE}:</p>{html_table(_formula_table(comparison), right_aligned=())}"
        f"<ul>{items}</ul></div>"
    )
