"""How the lab writes numbers and shapes: one definition each, shared by every front end.

The pages, the CLI, the notebook API, the diagrams and the generated code all call these, so
``98,816`` and ``(None, 10, 128)`` read the same everywhere. Pure Python: no TensorFlow, no
Streamlit.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Collection, Sequence

# A tensor shape; ``None`` for an unknown dimension (the batch, or a variable length).
_Dims = tuple[int | None, ...]


def fmt(number: int) -> str:
    """Thousands separators: ``98816`` -> ``98,816``."""
    return f"{number:,}"


def shape_text(shape: _Dims) -> str:
    """One shape as Keras prints it: ``(None, 10, 128)``."""
    return "(" + ", ".join("None" if dim is None else str(dim) for dim in shape) + ")"


def format_shape(shapes: Sequence[_Dims]) -> str:
    """``(None, 10, 128)``, or ``[(None, 16), (None, 16)]`` for several outputs."""
    texts = [shape_text(shape) for shape in shapes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


#: An invisible break opportunity: lets a narrow table column wrap a long formula or type.
SOFT_BREAK = "\u200b"


def breakable(text: str) -> str:
    """``text`` with a soft break before each ``(`` that follows a name.

    ``Bidirectional(LSTM)`` has no space, so a narrow column (two tables side by side on a
    projector) clipped it; it may now wrap as ``Bidirectional`` / ``(LSTM)``. Formulas are left
    alone: they wrap at their spaces, and a break inside ``4·64·(128+64+1)`` reads badly.
    """
    return re.sub(r"(?<=[A-Za-z])\(", SOFT_BREAK + "(", text)


def format_shape_runs(shapes: Sequence[_Dims]) -> str:
    """``(2, 8), 4 × (2, 4)``: consecutive repeated shapes counted, so a line stays short."""
    parts: list[str] = []
    index = 0
    while index < len(shapes):
        run = 1
        while index + run < len(shapes) and shapes[index + run] == shapes[index]:
            run += 1
        text = shape_text(shapes[index])
        parts.append(text if run == 1 else f"{run} × {text}")
        index += run
    return ", ".join(parts)


def factor(value: float) -> str:
    """A growth factor, two decimals: ``3.3195`` -> ``3.32×``."""
    return f"{value:.2f}×"


def small_difference(value: float) -> str:
    """A max-difference figure: exact zero reads as ``0``, the rest with 2 significant digits."""
    return "0" if value == 0 else f"{value:.2g}"


def percent(fraction: float, decimals: int = 0) -> str:
    """A fraction as a percentage: ``0.8125`` -> ``81%`` (``81.2%`` with ``decimals=1``)."""
    return f"{fraction:.{decimals}%}"


#: Decimals of every accuracy the lab shows (tiles, verdicts, tables, the CLI), so that two
#: places never round the same figure differently.
ACCURACY_DECIMALS = 1


def accuracy(fraction: float) -> str:
    """An accuracy: ``0.125`` -> ``12.5%``."""
    return percent(fraction, ACCURACY_DECIMALS)


def points(higher: float, lower: float) -> str:
    """How many percentage points ``higher`` leads ``lower`` by, as the shown accuracies say:
    the difference of the *rounded* percentages, so "97.9% vs 60.2%" reads "37.7 points"."""
    shown = [round(value * 100, ACCURACY_DECIMALS) for value in (higher, lower)]
    return f"{shown[0] - shown[1]:.{ACCURACY_DECIMALS}f}"


def megabytes(size: int) -> str:
    """A byte count in MB (MiB, as upload limits are set), one decimal: ``16.0 MB``."""
    return f"{size / (1024 * 1024):.1f} MB"


def text_table(rows: Sequence[Sequence[str]], right_aligned: Collection[int]) -> list[str]:
    """Rows of cells as aligned plain-text lines (two spaces between columns).

    Args:
        rows: the header row first, then the data rows; every row has the same length.
        right_aligned: indexes of the columns to right-align (numbers); the others are
            left-aligned.

    Returns:
        One line per row, trailing spaces removed.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in right_aligned else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def markdown_table(rows: Sequence[Sequence[str]], right_aligned: Collection[int]) -> list[str]:
    """Rows of cells as a GitHub-flavoured Markdown table (``|`` in a cell escaped).

    Args:
        rows: the header row first, then the data rows; every row has the same length.
        right_aligned: indexes of the columns to right-align (numbers).

    Returns:
        One line per row, with the alignment row after the header.
    """

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = ["---:" if i in right_aligned else "---" for i in range(len(rows[0]))]
    return [line(rows[0]), line(rule), *(line(row) for row in rows[1:])]


def csv_text(rows: Sequence[Sequence[object]]) -> str:
    """Rows (the header first) as CSV text, ``\\n`` line endings; ``None`` is an empty cell."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def html_table(rows: Sequence[Sequence[str]], right_aligned: Collection[int]) -> str:
    """Rows of cells as an HTML ``<table>`` (every cell escaped), for a notebook's rich display.

    Args:
        rows: the header row first, then the data rows; every row has the same length.
        right_aligned: indexes of the columns to right-align (numbers).
    """

    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(
            f'<{tag} style="text-align: {"right" if i in right_aligned else "left"}">'
            f"{html.escape(cell)}</{tag}>"
            for i, cell in enumerate(row)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows[1:])
    return f"<table><thead><tr>{cells(rows[0], 'th')}</tr></thead><tbody>{body}</tbody></table>"
