"""The parameter formulas as LaTeX: well-formed, every layer present, numbers equal the analysis."""

from __future__ import annotations

import ast
import operator
import re

import pytest

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.latex import formulas_latex
from bilstm_lab.core.presets import PRESETS

_OPERATORS = {ast.Add: operator.add, ast.Mult: operator.mul}


def _value(latex: str) -> int:
    """A formula side (``2 \\times 4 \\cdot 64 \\cdot (128 + 64 + 1)``) evaluated: + and × only."""
    text = latex.replace(r"\times", "*").replace(r"\cdot", "*").replace("{,}", "")

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        assert isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS, ast.dump(node)
        return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))

    return walk(ast.parse(text, mode="eval").body)


def _balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.key)
def test_formulas_are_well_formed_and_equal_the_analysis(preset: object) -> None:
    comparison = compare(preset.spec)  # type: ignore[attr-defined]
    latex = formulas_latex(comparison)
    assert _balanced(latex)
    blocks = re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", latex, re.S)
    assert len(blocks) == 2 == latex.count(r"\begin{") == latex.count(r"\end{")
    for block, variant in zip(blocks, (comparison.uni, comparison.bi), strict=True):
        lines = block.split(" \\\\\n")
        assert len(lines) == len(variant.layers) + 1  # one per layer, then the total
        expected = [(row.name, row.params) for row in variant.layers]
        expected.append(("total", variant.total_params))
        for line, (name, params) in zip(lines, expected, strict=True):
            label, formula = line.split(" &= ")
            assert label.strip() == r"\text{" + name.replace("_", r"\_") + "}"
            *sides, result = formula.split(" = ")
            assert _value(result) == params
            assert all(_value(side) == params for side in sides)
