"""The Explorer's per-spec work — figures, DOT, tables, CSV, code — done once per process.

The diagrams and the code are memoised here; pages memoise their own per-model work (the
Explorer's tables and CSV, the step-through figures) with `per_spec`.

Building the plotly figures was most of an Explorer rerun (issue 14). A rerun that keeps the
model (a diagram view opened, the variant switched, presenter mode, a quiz answer) now finds its
figures here; a control change builds only what the open view shows.

Every function is pure in its arguments — a frozen, hashable `ModelSpec`, flags, the text scale
— and bounded (`MAX_SPECS` results each), so the cache is per-process data, never per-session
state. Results are shared by every session of the process, so none is ever changed after it is
built: strings, Arrow tables (immutable), and plotly figures that only ``st.plotly_chart``
reads (it copies a figure with ``to_dict`` before it serialises it).

Not ``st.cache_data``: it pickles the result on every hit, and unpickling a plotly figure
validates it again, as slow as building it. Not plain dict figures either: Streamlit 1.67's
``st.plotly_chart`` validates a dict by building a figure from it on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import plotly.graph_objects as go

from bilstm_lab.core.analysis import compare, has_torch_equivalent
from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.render.breakdown import breakdown_figure
from bilstm_lab.render.codegen import keras_code, keras_diff, torch_code
from bilstm_lab.render.stack import stacks_dot
from bilstm_lab.render.unrolled import unrolled, unrolled_figure
from bilstm_lab.ui.display import scale_fonts

#: Results remembered per function. One model's figures, DOT and code take ~0.3 MB (measured
#: with tracemalloc on the default model), so this module holds ~20 MB at most.
MAX_SPECS = 64

Function = TypeVar("Function", bound=Callable[..., Any])

#: Every function memoised here, for `clear` and `sizes`.
_CACHED: list[Any] = []


def per_spec(function: Function) -> Function:
    """Memoise a pure function of a spec (and hashable flags) for this process, bounded."""
    cached = lru_cache(maxsize=MAX_SPECS)(function)
    _CACHED.append(cached)
    return cached  # type: ignore[return-value]


def sizes() -> dict[str, int]:
    """How many results each memoised function holds (tests check the bound and the reuse)."""
    return {function.__name__: function.cache_info().currsize for function in _CACHED}


def clear() -> None:
    """Forget every result (tests start from an empty cache)."""
    for function in _CACHED:
        function.cache_clear()


@per_spec
def stack_dot(spec: ModelSpec, scale: float) -> str:
    """The layer-stack DOT of both variants, text at ``scale``."""
    return stacks_dot(compare(spec), scale)


@per_spec
def unrolled_note(spec: ModelSpec, bidirectional: bool) -> str:
    """The sentence beside the unrolled diagram."""
    return unrolled(spec, bidirectional).note


@per_spec
def unrolled_chart(spec: ModelSpec, bidirectional: bool, scale: float) -> go.Figure:
    """The unrolled-in-time figure with its text at ``scale`` (never change it: it is shared)."""
    return scale_fonts(unrolled_figure(spec, bidirectional=bidirectional), scale)


@per_spec
def breakdown_chart(spec: ModelSpec, scale: float) -> go.Figure:
    """Where both variants' parameters go, text at ``scale`` (never change it: it is shared)."""
    comparison = compare(spec)
    return scale_fonts(breakdown_figure([comparison.uni, comparison.bi]), scale)


@per_spec
def code_sources(spec: ModelSpec) -> tuple[str, str, str, str | None]:
    """Keras code of the plain and the bidirectional model, the diff, and the PyTorch code
    (``None`` when PyTorch has no equivalent layer)."""
    torch = torch_code(spec, True) if has_torch_equivalent(spec) else None
    return keras_code(spec, False), keras_code(spec, True), keras_diff(spec), torch
