"""Both layer stacks in one Graphviz DOT picture, aligned layer by layer, shapes on the arrows.

Built from `bilstm_lab.core.analysis`, so the picture can never disagree with the tables next to
it. ``st.graphviz_chart`` renders DOT text in the browser: no system Graphviz is needed.

Why one picture for both variants: drawn separately, the bidirectional stack (three rows per
layer: wrapper, directions, merge) grew taller than the plain one and was scaled down to fit its
column, so its text shrank and the two stacks no longer lined up. In one picture every layer of
the plain stack sits on the row of its bidirectional twin's directions (``newrank`` lets rows
cross clusters), and the text keeps one size.

Readability on a projector: fonts are in points at 13 pt (about 17 px unscaled); the picture is
kept narrow enough that fitting it into the page never brings text under 12 px. The model's
outputs go into one note per variant listing every tensor with its shape (a compact legend),
rather than one box per tensor fanned out sideways, which is what used to widen the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bilstm_lab.core.analysis import Comparison, LayerRow, Shape, VariantAnalysis
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput
from bilstm_lab.render.style import COLORS, NEUTRAL

#: Node text size in points at text scale 1 (the browser draws 1 pt as 4/3 px).
NODE_FONT_PT = 13
#: Edge (shape) label size in points at text scale 1.
EDGE_FONT_PT = 12

#: A node's name and the shape of the tensor it hands to the next node.
Source = tuple[str, Shape]


@dataclass
class _Rows:
    """Which row (Graphviz rank) each layer of the pair occupies, shared by both variants."""

    #: layer position → (first row, row of the layer's main boxes, last row).
    layers: list[tuple[int, int, int]] = field(default_factory=list)
    #: The row of the model outputs.
    outputs: int = 0


@dataclass
class _Drawing:
    """One variant's DOT statements and the nodes on each row."""

    lines: list[str] = field(default_factory=list)
    rows: dict[int, list[str]] = field(default_factory=dict)
    #: The boxes the data passes through in the middle of the stack (input, layers, wrappers,
    #: merges, outputs): one Graphviz ``group``, so they stand on one straight vertical line.
    spine: list[str] = field(default_factory=list)

    def place(self, node: str, row: int, spine: bool = True) -> None:
        """Record that ``node`` sits on ``row`` (and on the stack's spine, unless told not)."""
        self.rows.setdefault(row, []).append(node)
        if spine:
            self.spine.append(node)


def stacks_dot(comparison: Comparison, text_scale: float = 1.0) -> str:
    """Both variants' layer stacks, side by side in one DOT picture, aligned layer by layer.

    A bidirectional layer is drawn as a box holding the wrapper, its forward and backward
    copies and the merge, so the picture shows *why* the merged width is what it is.

    Args:
        comparison: both variants, from `bilstm_lab.core.analysis.compare`.
        text_scale: multiplies every font size (presenter mode enlarges the text).

    Returns:
        DOT source for ``st.graphviz_chart``.
    """
    rows = _row_plan(comparison.bi)
    node_pt = round(NODE_FONT_PT * text_scale)
    edge_pt = round(EDGE_FONT_PT * text_scale)
    lines = [
        "digraph stacks {",
        '  rankdir=TB; newrank=true; nodesep=0.25; ranksep=0.3; bgcolor="transparent";',
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize={node_pt}];',
        f'  edge [fontname="Helvetica", fontsize={edge_pt}, color="{NEUTRAL}"];',
    ]
    drawings = [
        _variant(variant, prefix, rows)
        for variant, prefix in ((comparison.uni, "u"), (comparison.bi, "b"))
    ]
    for drawing, variant, prefix in zip(
        drawings, (comparison.uni, comparison.bi), ("u", "b"), strict=True
    ):
        title = f"{prefix}_title"
        lines.append(
            f'  {title} [label={_quote(variant.label)}, shape=plaintext, style="", '
            f'fontname="Helvetica-Bold", fontsize={round(node_pt * 1.3)}];'
        )
        lines.append(f"  {title} -> {prefix}_input [style=invis];")
        lines += drawing.lines
        lines.append(f"  {title} [group={prefix}];")
        lines += [f"  {node} [group={prefix}];" for node in drawing.spine]
    lines.append("  { rank=same; u_title -> b_title [style=invis]; }")  # LSTM left, BiLSTM right
    for row in sorted({row for drawing in drawings for row in drawing.rows}):
        nodes = [node for drawing in drawings for node in drawing.rows.get(row, [])]
        if len(nodes) > 1:
            lines.append(f"  {{ rank=same; {'; '.join(nodes)}; }}")
    lines.append("}")
    return "\n".join(lines)


def _row_plan(bi: VariantAnalysis) -> _Rows:
    """The rows of each layer, from the bidirectional variant (the taller of the two).

    Row 0 holds the input. A bidirectional recurrent layer takes a row for its wrapper, one for
    its two directions and, unless merge mode is None, one for the merge; the plain layer sits
    on the directions' row. Any other layer takes one row in both variants.
    """
    plan = _Rows()
    row = 1
    has_merge = bi.spec.merge_mode is not MergeMode.NONE
    for layer in bi.layers:
        if layer.is_recurrent:
            last = row + (2 if has_merge else 1)
            plan.layers.append((row, row + 1, last))
        else:
            last = row
            plan.layers.append((row, row, row))
        row = last + 1
    plan.outputs = row
    return plan


def _variant(variant: VariantAnalysis, prefix: str, rows: _Rows) -> _Drawing:
    """One variant's nodes and edges, each node on its planned row."""
    spec = variant.spec
    drawing = _Drawing()
    drawing.lines.append(
        _node(f"{prefix}_input", [f"Input · {spec.input.kind}"], fillcolor="#eeeeee")
    )
    drawing.place(f"{prefix}_input", 0)
    # `sources` are the nodes whose output feeds the next layer, with the shape on that edge;
    # the last layer's states skip the head and become model outputs (`states`).
    sources: list[Source] = [(f"{prefix}_input", variant.input_shape)]
    states: list[Source] = []
    # Bidirectional with merge_mode=None hands out two main tensors; every other layer one.
    main_count = 2 if variant.bidirectional and spec.merge_mode is MergeMode.NONE else 1
    recurrent_index = 0
    for position, row in enumerate(variant.layers):
        node = f"{prefix}{position}"
        first, middle, last = rows.layers[position]
        if row.is_recurrent and variant.bidirectional:
            outputs = _bidirectional_layer(
                drawing, node, row, spec, recurrent_index, sources, (first, middle, last)
            )
        else:
            index = recurrent_index if row.is_recurrent else None
            _plain_layer(drawing, node, row, spec, index, sources, middle)
            outputs = [(node, shape) for shape in row.output_shapes]
        if row.is_recurrent:
            recurrent_index += 1
            sources, states = outputs[:main_count], outputs[main_count:]
        else:
            sources = outputs
    _outputs(drawing, prefix, (sources, states), spec, variant.bidirectional, rows.outputs)
    return drawing


def _quote(text: str) -> str:
    """A DOT double-quoted string; ``\\n`` in ``text`` stays a DOT line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(name: str, lines: list[str], **attrs: str) -> str:
    """One DOT node statement; ``lines`` become the label's lines."""
    extra = "".join(f", {key}={_quote(value)}" for key, value in attrs.items())
    return f"  {name} [label={_quote(chr(10).join(lines))}{extra}];"


def _edge(source: str, target: str, shape: Shape | None, indent: str = "  ") -> str:
    """One DOT edge statement, labelled with the shape of the tensor it carries (if given)."""
    label = "" if shape is None else f" [label={_quote(' ' + format_shape((shape,)))}]"
    return f"{indent}{source} -> {target}{label};"


def _layer_title(row: LayerRow, spec: ModelSpec, index: int | None) -> str:
    """A box's first line: the layer's name and the Keras call that makes it."""
    if row.type == "Embedding" and isinstance(spec.input, TokenInput):
        return f"{row.name} · Embedding({fmt(spec.input.vocab)} → {spec.input.embedding_dim})"
    if row.type == "Dense" and spec.head is not None:
        return f"{row.name} · Dense({spec.head.units}, {spec.head.activation})"
    units = "" if index is None else str(spec.units[index])
    return f"{row.name} · {row.type}({units})"


def _plain_layer(
    drawing: _Drawing,
    node: str,
    row: LayerRow,
    spec: ModelSpec,
    index: int | None,
    sources: list[Source],
    on_row: int,
) -> None:
    """A layer drawn as one box (not bidirectional), and the edges into it.

    A recurrent box here is always a unidirectional layer, hence the forward colour.
    """
    color = COLORS["forward"] if row.is_recurrent else NEUTRAL
    title = _layer_title(row, spec, index)
    drawing.lines.append(_node(node, [title, f"{fmt(row.params)} params"], color=color))
    drawing.lines += [_edge(source, node, shape) for source, shape in sources]
    drawing.place(node, on_row)


def _direction_shape(spec: ModelSpec, index: int) -> Shape:
    """What one direction of recurrent layer ``index`` outputs before the merge."""
    units = spec.units[index]
    if spec.layer_returns_sequences(index):
        return (spec.batch_size, spec.input.seq_len, units)
    return (spec.batch_size, units)


def _bidirectional_layer(
    drawing: _Drawing,
    node: str,
    row: LayerRow,
    spec: ModelSpec,
    index: int,
    sources: list[Source],
    rows: tuple[int, int, int],
) -> list[Source]:
    """A bidirectional layer: wrapper, both directions and the merge in one frame.

    The wrapper is a box of its own (not the frame's label), so the arrows coming in end on
    it and never run through the layer's name. Returns the (node, shape) pairs leaving the
    layer, in Keras's output order.
    """
    units = spec.units[index]
    cell = spec.cell.keras_name
    half = fmt(row.params // 2)  # each direction owns exactly half the weights
    wrapper, forward, backward, merge = (f"{node}_{part}" for part in ("w", "f", "b", "m"))
    lines = [
        f"  subgraph cluster_{node} {{",
        f'    style="rounded,dashed"; color="{COLORS["merge"]}"; label="";',
        _node(
            wrapper,
            [f"{row.name} · Bidirectional({cell}({units}))", f"{fmt(row.params)} params"],
            color=COLORS["merge"],
        ),
        _node(
            forward,
            [f"forward {cell}({units})", "reads t = 1 → T", f"{half} params"],
            color=COLORS["forward"],
        ),
        _node(
            backward,
            [f"backward {cell}({units})", "reads t = T → 1", f"{half} params"],
            color=COLORS["backward"],
        ),
        f"    {wrapper} -> {forward}; {wrapper} -> {backward};",
    ]
    first, middle, last = rows
    drawing.place(wrapper, first)
    drawing.place(forward, middle, spine=False)
    drawing.place(backward, middle, spine=False)
    if spec.merge_mode is not MergeMode.NONE:
        lines.append(
            f'    {merge} [label={_quote(f"merge: {spec.merge_mode.value}")}, shape=ellipse, color="{COLORS["merge"]}"];'
        )
        direction_shape = _direction_shape(spec, index)
        lines += [
            _edge(direction, merge, direction_shape, "    ") for direction in (forward, backward)
        ]
        drawing.place(merge, last)
        main = [(merge, row.output_shapes[0])]
    else:
        main = [(forward, row.output_shapes[0]), (backward, row.output_shapes[1])]
    lines.append("  }")
    drawing.lines += lines + [_edge(source, wrapper, shape) for source, shape in sources]
    states = row.output_shapes[len(main) :]
    per_direction = len(states) // 2
    return (
        main
        + [(forward, shape) for shape in states[:per_direction]]
        + [(backward, shape) for shape in states[per_direction:]]
    )


def output_labels(spec: ModelSpec, bidirectional: bool, count: int) -> list[str]:
    """Names of the model's outputs in Keras's order: main output(s), then states."""
    states = list(spec.cell.state_names) if spec.return_state else []
    if bidirectional:
        state_labels = [f"forward {s}" for s in states] + [f"backward {s}" for s in states]
    else:
        state_labels = list(states)
    main_count = count - len(state_labels)
    main = ["forward output", "backward output"] if main_count == 2 else ["output"]
    return main + [f"state {label}" for label in state_labels]


def _outputs(
    drawing: _Drawing,
    prefix: str,
    tensors: tuple[list[Source], list[Source]],
    spec: ModelSpec,
    bidirectional: bool,
    row: int,
) -> None:
    """The model's outputs: one note listing every tensor (with its shape) and its arrows.

    ``tensors`` are the main outputs and the returned states, each as (node, shape) pairs. A
    single output keeps its shape on the arrow; several (return_state, merge mode None) are
    listed in the note, one per line, so the picture stays as narrow as one box.
    """
    mains, states = tensors
    sources = mains + states
    labels = output_labels(spec, bidirectional, len(sources))
    note = f"{prefix}_out"
    if len(sources) == 1:
        (source, shape), label = sources[0], labels[0]
        drawing.lines.append(
            _node(note, [label], shape="note", fillcolor="#f4fbf4", color=COLORS["output"])
        )
        drawing.lines.append(_edge(source, note, shape))
        drawing.place(note, row)
        return
    listing = "".join(
        f"{label}  {format_shape((shape,))}\\l"
        for (_, shape), label in zip(sources, labels, strict=True)
    )
    color = COLORS["state" if states else "output"]
    drawing.lines.append(
        f'  {note} [label="{len(sources)} outputs\\n{listing}", shape=note, '
        f'fillcolor="#f4fbf4", color="{color}"];'
    )
    for source in dict.fromkeys(source for source, _ in mains):
        drawing.lines.append(_edge(source, note, None))
    # The states leave the last recurrent layer directly (past any head): dashed arrows in the
    # state colour, weightless so they never bend the stack's straight spine.
    for source in dict.fromkeys(source for source, _ in states):
        drawing.lines.append(
            f'  {source} -> {note} [style=dashed, color="{COLORS["state"]}", weight=0];'
        )
    drawing.place(note, row)
