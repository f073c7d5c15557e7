"""The parameter formulas as LaTeX, for slides: one ``align*`` block per variant.

Each line is the analysis's own formula (`LayerRow.formula`, the text the Explorer's tables
show) written in LaTeX, so the slide and the page cannot disagree: ``2 × 4·64·(128+64+1) =
98,816`` becomes ``2 \\times 4 \\cdot 64 \\cdot (128 + 64 + 1) = 98{,}816``. Pure Python.
"""

from __future__ import annotations

import re

from bilstm_lab.core.analysis import Comparison, VariantAnalysis
from bilstm_lab.core.formatting import fmt

#: Plain-text symbols of the formulas and their LaTeX.
_SYMBOLS = {"×": r" \times ", "·": r" \cdot ", "+": " + ", "=": " = "}
#: Characters that are special in LaTeX text (layer names hold underscores).
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#"}


def latex_text(text: str) -> str:
    """``text`` inside ``\\text{...}``, its special characters escaped."""
    escaped = "".join(_TEXT_ESCAPES.get(char, char) for char in text)
    return rf"\text{{{escaped}}}"


def latex_formula(formula: str) -> str:
    """One plain-text formula (``4·64·(128+64+1) = 49,408``) written in LaTeX math."""
    out = "".join(_SYMBOLS.get(char, char) for char in formula)
    # A thousands comma in math mode is punctuation (a space after it): braces make it ordinary.
    out = re.sub(r"(?<=\d),(?=\d{3})", "{,}", out)
    return re.sub(r" {2,}", " ", out).strip()


def variant_align(variant: VariantAnalysis) -> str:
    """One variant's formulas: an ``align*`` block, one line per layer, then the total."""
    lines = [rf"  {latex_text(row.name)} &= {latex_formula(row.formula)}" for row in variant.layers]
    terms = " + ".join(fmt(row.params) for row in variant.layers)
    total = f"{terms} = {fmt(variant.total_params)}" if len(variant.layers) > 1 else terms
    lines.append(rf"  {latex_text('total')} &= {latex_formula(total)}")
    return "\n".join(
        [
            f"% {variant.label}: parameters per layer (Keras count_params)",
            r"\begin{align*}",
            " \\\\\n".join(lines),
            r"\end{align*}",
        ]
    )


def formulas_latex(comparison: Comparison) -> str:
    """Both variants' formulas as a LaTeX snippet (needs ``\\usepackage{amsmath}``).

    Args:
        comparison: both variants, from `bilstm_lab.core.analysis.compare`.

    Returns:
        The snippet: a comment naming the package it needs, then one ``align*`` per variant.
    """
    blocks = [variant_align(variant) for variant in (comparison.uni, comparison.bi)]
    return "% Requires \\usepackage{amsmath}\n\n" + "\n\n".join(blocks) + "\n"
