"""Specs the diagram tests draw: every preset, and hypothesis specs over every field."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from bilstm_lab.core.analysis import VariantAnalysis, compare
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import Cell, DenseHead, FeatureInput, MergeMode, ModelSpec, TokenInput


@st.composite
def specs(draw: st.DrawFn) -> ModelSpec:
    """Valid specs over every field (sizes small; nothing is built)."""
    merge = draw(st.sampled_from(list(MergeMode)))
    depth = 1 if merge is MergeMode.NONE else draw(st.integers(1, 4))
    cell = draw(st.sampled_from(list(Cell)))
    seq_len = draw(st.one_of(st.none(), st.integers(1, 60)))
    if draw(st.booleans()):
        input_spec: FeatureInput | TokenInput = FeatureInput(seq_len, draw(st.integers(1, 50)))
    else:
        input_spec = TokenInput(seq_len, draw(st.integers(2, 500)), draw(st.integers(1, 50)))
    head = None
    if merge is not MergeMode.NONE and draw(st.booleans()):
        head = DenseHead(draw(st.integers(1, 20)), "softmax")
    return ModelSpec(
        cell=cell,
        units=tuple(draw(st.lists(st.integers(1, 70), min_size=depth, max_size=depth))),
        return_sequences=draw(st.booleans()),
        merge_mode=merge,
        return_state=draw(st.booleans()),
        use_bias=draw(st.booleans()),
        reset_after=draw(st.booleans()) if cell is Cell.GRU else True,
        input=input_spec,
        head=head,
        batch_size=draw(st.one_of(st.none(), st.integers(1, 64))),
    )


PRESET_SPECS = [pytest.param(p.spec, id=p.key) for p in PRESETS]


def variants(spec: ModelSpec) -> list[VariantAnalysis]:
    """The plain and the bidirectional variant of ``spec``, in that order."""
    comparison = compare(spec)
    return [comparison.uni, comparison.bi]
