"""Where the parameters go: each recurrent layer's weights cut into gate × tensor blocks.

Built from `bilstm_lab.core.analysis`, so the blocks always sum to the counts in the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from bilstm_lab.core.analysis import VariantAnalysis, spec_bias_vectors
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.spec import Cell
from bilstm_lab.render.style import PART_COLORS

#: Gate (weight block) names in the order Keras stacks them inside each kernel.
GATE_NAMES: dict[Cell, tuple[str, ...]] = {
    Cell.LSTM: ("input gate i", "forget gate f", "cell candidate c̃", "output gate o"),
    Cell.GRU: ("update gate z", "reset gate r", "candidate h̃"),
    Cell.RNN: ("state h",),
}

#: The weight tensors each gate has a block in, in Keras's order.
PARTS: tuple[str, ...] = ("input kernel", "recurrent kernel", "bias")


@dataclass(frozen=True)
class ParamBlock:
    """One gate's share of one weight tensor of one direction of one recurrent layer."""

    layer: str
    direction: str
    gate: str
    part: str
    shape: tuple[int, ...]

    @property
    def count(self) -> int:
        """Number of weights in the block."""
        total = 1
        for size in self.shape:
            total *= size
        return total


def parameter_breakdown(variant: VariantAnalysis) -> list[ParamBlock]:
    """Gates × (input kernel, recurrent kernel, bias) for each direction of each recurrent layer.

    Keras stores each kernel as one matrix with the gates side by side (LSTM: i, f, c, o); this
    cuts it back into the blocks a textbook draws. Keras's GRU (``reset_after=True``) keeps an
    input bias and a recurrent bias per gate, hence its ``(2, u)`` bias blocks; with
    ``use_bias=False`` there are no bias blocks.

    Args:
        variant: one variant from `bilstm_lab.core.analysis.analyze`.

    Returns:
        Blocks in layer, direction, gate, part order; they sum to the recurrent parameters.
    """
    spec = variant.spec
    directions = ("forward", "backward") if variant.bidirectional else ("forward",)
    blocks: list[ParamBlock] = []
    for index, row in enumerate(variant.recurrent_rows):
        shapes = _block_shapes(spec_bias_vectors(spec), spec.units[index], row.input_width)
        for direction in directions:
            for gate in GATE_NAMES[spec.cell]:
                for part, shape in zip(PARTS, shapes, strict=False):
                    blocks.append(ParamBlock(row.name, direction, gate, part, shape))
    return blocks


def _block_shapes(bias_vectors: int, units: int, width: int) -> tuple[tuple[int, ...], ...]:
    """One gate's block shapes, in `PARTS` order; no bias block without bias vectors."""
    kernels = ((width, units), (units, units))
    if bias_vectors == 0:
        return kernels
    return (*kernels, (units,) if bias_vectors == 1 else (bias_vectors, units))


#: The blocks of one (gate, part) segment, each with the name of the bar it belongs to.
Segment = list[tuple[str, ParamBlock]]


def breakdown_figure(variants: list[VariantAnalysis]) -> go.Figure:
    """Stacked horizontal bars: one bar per (variant, layer, direction), split gate × part.

    Args:
        variants: the variants to draw (usually the plain one and the bidirectional one).

    Returns:
        A plotly figure; the bars' lengths are parameter counts.
    """
    bar_names, segments = _segments(variants)
    figure = go.Figure()
    seen_parts: set[str] = set()
    for (gate, part), members in segments.items():
        figure.add_trace(
            go.Bar(
                x=[block.count for _, block in members],
                y=[bar for bar, _ in members],
                orientation="h",
                name=part,
                legendgroup=part,
                showlegend=part not in seen_parts,  # one legend entry per part, not per gate
                marker={"color": PART_COLORS[part], "line": {"color": "#ffffff", "width": 1}},
                hovertext=[f"{gate} · {part} {b.shape}: {fmt(b.count)}" for _, b in members],
                hoverinfo="text",
            )
        )
        seen_parts.add(part)
    figure.update_layout(
        barmode="stack",
        height=120 + 45 * len(bar_names),
        yaxis={"autorange": "reversed", "categoryorder": "array", "categoryarray": bar_names},
        xaxis={"title": {"text": "parameters (each segment: one gate's block)"}},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return figure


def _segments(
    variants: list[VariantAnalysis],
) -> tuple[list[str], dict[tuple[str, str], Segment]]:
    """The bar names in drawing order, and the blocks grouped by (gate, part).

    One trace per (gate, part) segment, with one entry per bar: a dozen traces instead of one
    per block keeps the figure cheap to build and to send.
    """
    bar_names: list[str] = []
    segments: dict[tuple[str, str], Segment] = {}
    for variant in variants:
        for block in parameter_breakdown(variant):
            bar = f"{variant.label} · {block.layer} · {block.direction}"
            if bar not in bar_names:
                bar_names.append(bar)
            segments.setdefault((block.gate, block.part), []).append((bar, block))
    return bar_names, segments
