"""spec -> pictures: the layer stack (DOT text), the network unrolled in time, where the weights go.

Everything here is derived from `bilstm_lab.core.analysis`, so a picture can never disagree with the
table next to it. Pure Python plus plotly: no TensorFlow and no Streamlit import, so the Explorer
paints these before TensorFlow is loaded (``st.graphviz_chart`` renders DOT text in the browser;
no system Graphviz is needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from bilstm_lab.core.analysis import LayerRow, Shape, VariantAnalysis, fmt, format_shape
from bilstm_lab.core.spec import Cell, MergeMode, ModelSpec, TokenInput

#: Colours shared by every figure: one per role, so the forward chain is the same blue everywhere.
COLORS = {
    "input": "#9e9e9e",
    "forward": "#1f77b4",
    "backward": "#d62728",
    "merge": "#7b3fa0",
    "output": "#2ca02c",
    "state": "#ff7f0e",
    "ellipsis": "#555555",
}

#: Gate (weight block) names in the order Keras stacks them inside each kernel.
GATE_NAMES: dict[Cell, tuple[str, ...]] = {
    Cell.LSTM: ("input gate i", "forget gate f", "cell candidate c̃", "output gate o"),
    Cell.GRU: ("update gate z", "reset gate r", "candidate h̃"),
    Cell.RNN: ("state h",),
}

PARTS: tuple[str, ...] = ("input kernel", "recurrent kernel", "bias")

#: The note every return_sequences=False bidirectional figure carries (tests look for it).
LAST_STEP_NOTE = "forward state at t=T and backward state at t=1"

_MERGE_SYMBOL = {
    MergeMode.CONCAT: "[ ; ]",
    MergeMode.SUM: "+",
    MergeMode.MUL: "×",
    MergeMode.AVE: "avg",
}


# --------------------------------------------------------------------------------------------
# (a) the layer stack as DOT text
# --------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """A DOT double-quoted string; ``\\n`` in ``text`` stays a DOT line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(name: str, lines: list[str], **attrs: str) -> str:
    """One DOT node statement; ``lines`` become the label's lines."""
    extra = "".join(f", {key}={_quote(value)}" for key, value in attrs.items())
    return f"  {name} [label={_quote(chr(10).join(lines))}{extra}];"


def _layer_title(row: LayerRow, spec: ModelSpec, index: int | None) -> str:
    if row.type == "Embedding" and isinstance(spec.input, TokenInput):
        return f"{row.name} · Embedding({fmt(spec.input.vocab)} → {spec.input.embedding_dim})"
    if row.type == "Dense" and spec.head is not None:
        return f"{row.name} · Dense({spec.head.units}, {spec.head.activation})"
    units = "" if index is None else str(spec.units[index])
    return f"{row.name} · {row.type}({units})"


def _direction_shape(spec: ModelSpec, index: int) -> Shape:
    """What one direction of recurrent layer ``index`` outputs before the merge."""
    units = spec.units[index]
    if spec.layer_returns_sequences(index):
        return (spec.batch_size, spec.input.seq_len, units)
    return (spec.batch_size, units)


def stack_dot(variant: VariantAnalysis) -> str:
    """The variant's layer stack as Graphviz DOT text, with the tensor shapes on the edges.

    A bidirectional layer is drawn as a box holding its forward and backward copies and the
    merge, so the picture shows *why* the merged width is what it is.

    Args:
        variant: one variant from `bilstm_lab.core.analysis.analyze`.

    Returns:
        DOT source for ``st.graphviz_chart``.
    """
    spec = variant.spec
    color = COLORS["backward"] if variant.bidirectional else COLORS["forward"]
    lines = [
        "digraph stack {",
        '  rankdir=TB; nodesep=0.3; ranksep=0.35; bgcolor="transparent";',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555"];',
        f'  input [label={_quote(f"Input · {spec.input.kind}")}, fillcolor="#eeeeee"];',
    ]
    # `sources` are the nodes whose output feeds the next layer, with the shape on that edge;
    # the last layer's states skip the head and become model outputs (`states`).
    sources: list[tuple[str, Shape]] = [("input", variant.input_shape)]
    states: list[tuple[str, Shape]] = []
    recurrent_index = 0
    for position, row in enumerate(variant.layers):
        node = f"n{position}"
        if row.is_recurrent and variant.bidirectional:
            lines += _bidirectional_cluster(node, row, spec, recurrent_index, sources)
            outputs = _cluster_outputs(node, row, spec, recurrent_index)
        else:
            index = recurrent_index if row.is_recurrent else None
            title = _layer_title(row, spec, index)
            edge_color = color if row.is_recurrent else "#555555"
            lines.append(_node(node, [title, f"{fmt(row.params)} params"], color=edge_color))
            for source, shape in sources:
                lines.append(
                    f"  {source} -> {node} [label={_quote(' ' + format_shape((shape,)))}];"
                )
            outputs = [(node, shape) for shape in row.output_shapes]
        if row.is_recurrent:
            recurrent_index += 1
            main_count = 2 if variant.bidirectional and spec.merge_mode is MergeMode.NONE else 1
            sources, states = outputs[:main_count], outputs[main_count:]
        else:
            sources = outputs
    sources = sources + states
    lines += _output_nodes(sources, spec, variant.bidirectional)
    lines.append("}")
    return "\n".join(lines)


def _bidirectional_cluster(
    node: str, row: LayerRow, spec: ModelSpec, index: int, sources: list[tuple[str, Shape]]
) -> list[str]:
    units = spec.units[index]
    cell = spec.cell.keras_name
    half = fmt(row.params // 2)
    lines = [
        f"  subgraph cluster_{node} {{",
        f"    label={_quote(f'{row.name} · Bidirectional({cell}({units})) · {fmt(row.params)} params')};",
        '    style="rounded"; color="#7b3fa0"; fontname="Helvetica"; fontsize=11; labeljust="l";',
        _node(
            f"{node}_f",
            [f"forward {cell}({units})", "reads t = 1 → T", f"{half} params"],
            color=COLORS["forward"],
        ),
        _node(
            f"{node}_b",
            [f"backward {cell}({units})", "reads t = T → 1", f"{half} params"],
            color=COLORS["backward"],
        ),
    ]
    direction_shape = format_shape((_direction_shape(spec, index),))
    if spec.merge_mode is not MergeMode.NONE:
        lines.append(
            f'    {node}_m [label={_quote(f"merge: {spec.merge_mode.value}")}, shape=ellipse, color="{COLORS["merge"]}"];'
        )
        for direction in ("f", "b"):
            lines.append(
                f"    {node}_{direction} -> {node}_m [label={_quote(' ' + direction_shape)}];"
            )
    lines.append("  }")
    for source, shape in sources:
        for direction in ("f", "b"):
            lines.append(
                f"  {source} -> {node}_{direction} [label={_quote(' ' + format_shape((shape,)))}];"
            )
    return lines


def _cluster_outputs(
    node: str, row: LayerRow, spec: ModelSpec, index: int
) -> list[tuple[str, Shape]]:
    """The (node, shape) pairs leaving a bidirectional cluster, in Keras's output order."""
    if spec.merge_mode is MergeMode.NONE:
        main = [(f"{node}_f", row.output_shapes[0]), (f"{node}_b", row.output_shapes[1])]
    else:
        main = [(f"{node}_m", row.output_shapes[0])]
    states = row.output_shapes[len(main) :]
    per_direction = len(states) // 2
    return (
        main
        + [(f"{node}_f", shape) for shape in states[:per_direction]]
        + [(f"{node}_b", shape) for shape in states[per_direction:]]
    )


def _output_labels(spec: ModelSpec, bidirectional: bool, count: int) -> list[str]:
    """Names of the model's outputs in Keras's order: main output(s), then states."""
    states = list(spec.cell.state_names) if spec.return_state else []
    if bidirectional:
        state_labels = [f"forward {s}" for s in states] + [f"backward {s}" for s in states]
    else:
        state_labels = list(states)
    main_count = count - len(state_labels)
    main = ["forward output", "backward output"] if main_count == 2 else ["output"]
    return main + [f"state {label}" for label in state_labels]


def _output_nodes(
    sources: list[tuple[str, Shape]], spec: ModelSpec, bidirectional: bool
) -> list[str]:
    lines = []
    labels = _output_labels(spec, bidirectional, len(sources))
    for number, ((source, shape), label) in enumerate(zip(sources, labels, strict=True)):
        kind = "state" if label.startswith("state") else "output"
        lines.append(
            f'  out{number} [label={_quote(label)}, shape=note, fillcolor="#f4fbf4", color="{COLORS[kind]}"];'
        )
        lines.append(f"  {source} -> out{number} [label={_quote(' ' + format_shape((shape,)))}];")
    return lines


# --------------------------------------------------------------------------------------------
# (b) the network unrolled in time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One box of the unrolled picture.

    Attributes:
        id: a unique name (``f3``: forward cell at t=3).
        label: the text drawn in the box (plotly HTML subset).
        x: column position.
        y: row position.
        kind: input, forward, backward, merge, output, state or ellipsis.
        tensor: for outputs and states, the index of the model output this box belongs to
            (Keras's order: main output(s), then states); ``None`` otherwise.
        hover: a sentence shown on hover.
    """

    id: str
    label: str
    x: float
    y: float
    kind: str
    tensor: int | None = None
    hover: str = ""


@dataclass(frozen=True)
class Edge:
    """An arrow from one node to another."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True)
class Unrolled:
    """The unrolled layer as nodes and edges, plus the note printed on the figure."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    note: str
    steps: tuple[int | None, ...]

    def node(self, node_id: str) -> Node:
        """The node called ``node_id``."""
        return next(node for node in self.nodes if node.id == node_id)

    def output_tensors(self) -> set[int]:
        """Indices of the model outputs that appear in the picture."""
        return {node.tensor for node in self.nodes if node.tensor is not None}


def shown_steps(seq_len: int, max_steps: int = 6) -> tuple[int | None, ...]:
    """The time steps to draw: all of them, or the first few, ``None`` (an ellipsis), the last few.

    Args:
        seq_len: T.
        max_steps: the most columns to draw (an ellipsis counts as one); at least 4.

    Returns:
        1-based steps, with ``None`` where the ellipsis goes.
    """
    max_steps = max(max_steps, 4)
    if seq_len <= max_steps:
        return tuple(range(1, seq_len + 1))
    head = max_steps // 2
    tail = max_steps - head - 1
    return (*range(1, head + 1), None, *range(seq_len - tail + 1, seq_len + 1))


def _sub(text: str, index: int | str) -> str:
    return f"{text}<sub>{index}</sub>"


def unrolled(spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6) -> Unrolled:
    """The last recurrent layer of ``spec`` unrolled in time, as nodes and edges.

    Draws the inputs x₁…x_T, the forward chain, the backward chain (bidirectional only), the
    merge, and exactly the outputs that exist: one output per step for return_sequences=True,
    one summary otherwise (the forward state at t=T and the backward state at t=1), plus the
    final states for return_state=True.

    Args:
        spec: the model.
        bidirectional: draw the bidirectional variant (else only the forward chain).
        max_steps: the most time columns to draw before switching to an ellipsis.

    Returns:
        The picture's nodes and edges; `unrolled_figure` draws them.
    """
    steps = shown_steps(spec.input.seq_len, max_steps)
    T = spec.input.seq_len
    cell = spec.cell.keras_name
    last = spec.depth - 1
    merged = bidirectional and spec.merge_mode is not MergeMode.NONE
    split = bidirectional and spec.merge_mode is MergeMode.NONE
    rows = {"input": 0.0, "forward": 1.0, "backward": 2.0}
    merge_y = 3.0 if bidirectional else 2.0
    out_y = merge_y + (1.0 if merged else 0.0)
    x_name = "x" if spec.depth == 1 else "h"  # an upper layer reads the layer below's outputs
    nodes: list[Node] = []
    edges: list[Edge] = []

    # Stagger the two chains so the arrow from x_t to the backward cell passes beside the
    # forward cell instead of through it.
    shift = {"input": 0.0, "forward": -0.25, "backward": 0.25} if bidirectional else {
        "input": 0.0, "forward": 0.0, "backward": 0.0}  # fmt: skip

    def chain_id(kind: str, step: int | None, column: int) -> str:
        return f"{kind[0]}{step}" if step is not None else f"{kind[0]}_dots{column}"

    for column, step in enumerate(steps):
        chains = ["forward", "backward"] if bidirectional else ["forward"]
        if step is None:
            for kind in ["input", *chains]:
                nodes.append(
                    Node(
                        chain_id(kind, None, column),
                        "…",
                        column + shift[kind],
                        rows[kind],
                        "ellipsis",
                    )
                )
        else:
            source = "input" if spec.depth == 1 else f"layer {last} (below)"
            nodes.append(Node(f"i{step}", _sub(x_name, step), column, 0.0, "input",
                              hover=f"{x_name}_{step}: step {step} from the {source}"))  # fmt: skip
            nodes.append(Node(f"f{step}", "→", column + shift["forward"], 1.0, "forward",
                              hover=f"forward {cell} at t={step}: has read x_1 … x_{step}"))  # fmt: skip
            edges.append(Edge(f"i{step}", f"f{step}", "input"))
            if bidirectional:
                nodes.append(Node(f"b{step}", "←", column + shift["backward"], 2.0, "backward",
                                  hover=f"backward {cell} at t={step}: has read x_{T} … x_{step}"))  # fmt: skip
                edges.append(Edge(f"i{step}", f"b{step}", "input"))
        if column > 0:
            previous = steps[column - 1]
            edges.append(Edge(chain_id("forward", previous, column - 1), chain_id("forward", step, column), "forward"))  # fmt: skip
            if bidirectional:
                edges.append(Edge(chain_id("backward", step, column), chain_id("backward", previous, column - 1), "backward"))  # fmt: skip

    sequences = spec.return_sequences
    note_parts: list[str] = []
    right = len(steps)  # the column right of the last step
    if sequences:
        for column, step in enumerate(steps):
            if step is None:
                nodes.append(Node(f"y_dots{column}", "…", column, out_y, "ellipsis"))
                continue
            if merged:
                nodes.append(Node(f"m{step}", _MERGE_SYMBOL[spec.merge_mode], column, merge_y, "merge",
                                  hover=f"merge ({spec.merge_mode.value}) of both directions at t={step}"))  # fmt: skip
                edges += [
                    Edge(f"f{step}", f"m{step}", "merge"),
                    Edge(f"b{step}", f"m{step}", "merge"),
                ]
                nodes.append(Node(f"y{step}", _sub("y", step), column, out_y, "output", 0,
                                  hover=f"output at t={step}: sees the whole sequence"))  # fmt: skip
                edges.append(Edge(f"m{step}", f"y{step}", "output"))
            elif split:
                nodes.append(Node(f"yf{step}", _sub("y→", step), column - 0.22, out_y, "output", 0,
                                  hover=f"forward output at t={step} (first tensor)"))  # fmt: skip
                nodes.append(Node(f"yb{step}", _sub("y←", step), column + 0.22, out_y, "output", 1,
                                  hover=f"backward output at t={step} (second tensor)"))  # fmt: skip
                edges += [
                    Edge(f"f{step}", f"yf{step}", "output"),
                    Edge(f"b{step}", f"yb{step}", "output"),
                ]
            else:
                nodes.append(Node(f"y{step}", _sub("y", step), column, out_y, "output", 0,
                                  hover=f"output at t={step}: has seen x_1 … x_{step} only"))  # fmt: skip
                edges.append(Edge(f"f{step}", f"y{step}", "output"))
        note_parts.append(f"return_sequences=True: one output per step, all {T} of them")
    else:
        first, final = steps[0], steps[-1]
        if merged:
            nodes.append(Node("m", _MERGE_SYMBOL[spec.merge_mode], right, merge_y, "merge",
                              hover=f"merge ({spec.merge_mode.value}) of the two final states"))  # fmt: skip
            edges += [Edge(f"f{final}", "m", "merge"), Edge(f"b{first}", "m", "merge")]
            nodes.append(Node("y", "y", right, out_y, "output", 0, hover="the one output"))
            edges.append(Edge("m", "y", "output"))
        elif split:
            nodes.append(Node("yf", "y→", right, out_y, "output", 0, hover="forward state at t=T"))
            nodes.append(Node("yb", "y←", -1, out_y, "output", 1, hover="backward state at t=1"))
            edges += [Edge(f"f{final}", "yf", "output"), Edge(f"b{first}", "yb", "output")]
        else:
            nodes.append(Node("y", "y", right, out_y, "output", 0, hover="the state at t=T"))
            edges.append(Edge(f"f{final}", "y", "output"))
        if bidirectional:
            note_parts.append(f"return_sequences=False: the output is the {LAST_STEP_NOTE}")
        else:
            note_parts.append("return_sequences=False: the output is the state at t=T")

    if spec.return_state:
        tensor = 2 if split else 1
        names = spec.cell.state_names
        for offset, name in enumerate(names):
            nodes.append(Node(f"sf_{name}", _sub(f"{name}→", "T"), right + 0.9, 1.0 - 0.55 * offset,
                              "state", tensor + offset, hover=f"forward state {name} after t=T"))  # fmt: skip
            edges.append(Edge(f"f{steps[-1]}", f"sf_{name}", "state"))
        if bidirectional:
            tensor += len(names)
            for offset, name in enumerate(names):
                nodes.append(Node(f"sb_{name}", _sub(f"{name}←", "1"), -1.0, 2.0 + 0.55 * offset,
                                  "state", tensor + offset, hover=f"backward state {name} after t=1"))  # fmt: skip
                edges.append(Edge(f"b{steps[0]}", f"sb_{name}", "state"))
        note_parts.append("return_state=True: the final states come out too, never merged")
    if spec.depth > 1:
        below = (
            "the layer below it returns"
            if spec.depth == 2
            else f"the {spec.depth - 1} below it return"
        )
        note_parts.append(f"showing the top layer ({below} every step)")
    return Unrolled(tuple(nodes), tuple(edges), "; ".join(note_parts), steps)


_LEGEND = {
    "input": "inputs",
    "forward": "forward cell (t = 1 → T)",
    "backward": "backward cell (t = T → 1)",
    "merge": "merge",
    "output": "outputs that exist",
    "state": "returned states",
    "ellipsis": "steps not drawn",
}


def unrolled_figure(spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6) -> go.Figure:
    """Plotly figure of `unrolled`: boxes for cells, arrows for data flow, the note on top.

    Args:
        spec: the model.
        bidirectional: draw the bidirectional variant (else the plain one).
        max_steps: the most time columns before an ellipsis.

    Returns:
        A figure ready for ``st.plotly_chart``.
    """
    picture = unrolled(spec, bidirectional, max_steps)
    by_id = {node.id: node for node in picture.nodes}
    figure = go.Figure()
    for kind, legend in _LEGEND.items():
        members = [node for node in picture.nodes if node.kind == kind]
        if not members:
            continue
        is_dots = kind == "ellipsis"
        figure.add_trace(
            go.Scatter(
                x=[node.x for node in members],
                y=[node.y for node in members],
                mode="text" if is_dots else "markers+text",
                text=[node.label for node in members],
                hovertext=[node.hover or node.label for node in members],
                hoverinfo="text",
                textfont={
                    "size": 20 if is_dots or kind in ("forward", "backward") else 14,
                    "color": "#222222",
                },
                marker={
                    "symbol": "square" if kind in ("forward", "backward") else "circle",
                    "size": 38,
                    "color": "#ffffff",
                    "line": {"width": 2.5, "color": COLORS[kind]},
                },
                name=legend if kind != "merge" else f"merge ({spec.merge_mode.value})",
                showlegend=not is_dots,
            )
        )
    # One list, set once: add_annotation() per arrow re-validates the layout every time and
    # made this figure the slowest thing on the page (~180 ms for 40 arrows).
    arrows = []
    for edge in picture.edges:
        source, target = by_id[edge.source], by_id[edge.target]
        arrows.append({
            "x": target.x, "y": target.y, "ax": source.x, "ay": source.y,
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "showarrow": True, "arrowhead": 2, "arrowsize": 1, "arrowwidth": 1.6,
            "arrowcolor": COLORS.get(edge.kind, "#888888") if edge.kind != "input" else "#aaaaaa",
            "standoff": 17, "startstandoff": 17, "text": "",
        })  # fmt: skip
    variant = ("Bidirectional " if bidirectional else "") + spec.cell.keras_name
    figure.update_layout(
        annotations=arrows,
        title={"text": f"{variant} unrolled over T = {spec.input.seq_len} steps<br>"
                       f"<span style='font-size:13px'>{picture.note}</span>",
               "x": 0.0, "xanchor": "left"},
        xaxis={"visible": False, "range": [min(n.x for n in picture.nodes) - 0.6,
                                           max(n.x for n in picture.nodes) + 0.6]},
        yaxis={"visible": False, "range": [-0.6, max(n.y for n in picture.nodes) + 0.6]},
        height=200 + 70 * int(max(n.y for n in picture.nodes)),
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        plot_bgcolor="#ffffff",
    )  # fmt: skip
    return figure


# --------------------------------------------------------------------------------------------
# (c) where the parameters go
# --------------------------------------------------------------------------------------------


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
    input bias and a recurrent bias per gate, hence its ``(2, u)`` bias blocks.

    Args:
        variant: one variant from `bilstm_lab.core.analysis.analyze`.

    Returns:
        Blocks in layer, direction, gate, part order; they sum to the recurrent parameters.
    """
    spec = variant.spec
    bias_vectors = 2 if spec.cell is Cell.GRU else 1
    directions = ("forward", "backward") if variant.bidirectional else ("forward",)
    blocks: list[ParamBlock] = []
    for index, row in enumerate(variant.recurrent_rows):
        units, width = spec.units[index], row.input_width
        for direction in directions:
            for gate in GATE_NAMES[spec.cell]:
                bias_shape = (units,) if bias_vectors == 1 else (bias_vectors, units)
                shapes = ((width, units), (units, units), bias_shape)
                for part, shape in zip(PARTS, shapes, strict=True):
                    blocks.append(ParamBlock(row.name, direction, gate, part, shape))
    return blocks


_PART_COLORS = {"input kernel": "#4c78a8", "recurrent kernel": "#f58518", "bias": "#54a24b"}


def breakdown_figure(variants: list[VariantAnalysis]) -> go.Figure:
    """Stacked horizontal bars: one bar per (variant, layer, direction), split gate × part.

    Args:
        variants: the variants to draw (usually the plain one and the bidirectional one).

    Returns:
        A plotly figure; the bars' lengths are parameter counts.
    """
    # One trace per (gate, part) segment, with one entry per bar: a dozen traces instead of
    # one per block keeps the figure cheap to build and to send.
    bar_names: list[str] = []
    segments: dict[tuple[str, str], list[tuple[str, ParamBlock]]] = {}
    for variant in variants:
        for block in parameter_breakdown(variant):
            bar = f"{variant.label} · {block.layer} · {block.direction}"
            if bar not in bar_names:
                bar_names.append(bar)
            segments.setdefault((block.gate, block.part), []).append((bar, block))
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
                showlegend=part not in seen_parts,
                marker={"color": _PART_COLORS[part], "line": {"color": "#ffffff", "width": 1}},
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
