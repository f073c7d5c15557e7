"""The layer stack as Graphviz DOT text, with the tensor shapes on the edges.

Built from `bilstm_lab.core.analysis`, so the picture can never disagree with the table next to
it. ``st.graphviz_chart`` renders DOT text in the browser: no system Graphviz is needed.
"""

from __future__ import annotations

from bilstm_lab.core.analysis import LayerRow, Shape, VariantAnalysis
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput
from bilstm_lab.render.style import COLORS, NEUTRAL

#: A node's name and the shape of the tensor it hands to the next node.
Source = tuple[str, Shape]


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
    lines = _header(spec)
    # `sources` are the nodes whose output feeds the next layer, with the shape on that edge;
    # the last layer's states skip the head and become model outputs (`states`).
    sources: list[Source] = [("input", variant.input_shape)]
    states: list[Source] = []
    # Bidirectional with merge_mode=None hands out two main tensors; every other layer one.
    main_count = 2 if variant.bidirectional and spec.merge_mode is MergeMode.NONE else 1
    recurrent_index = 0
    for position, row in enumerate(variant.layers):
        node = f"n{position}"
        if row.is_recurrent and variant.bidirectional:
            lines += _bidirectional_cluster(node, row, spec, recurrent_index, sources)
            outputs = _cluster_outputs(node, row, spec, recurrent_index)
        else:
            index = recurrent_index if row.is_recurrent else None
            lines += _plain_layer(node, row, spec, index, sources)
            outputs = [(node, shape) for shape in row.output_shapes]
        if row.is_recurrent:
            recurrent_index += 1
            sources, states = outputs[:main_count], outputs[main_count:]
        else:
            sources = outputs
    lines += _output_nodes(sources + states, spec, variant.bidirectional)
    lines.append("}")
    return "\n".join(lines)


def _header(spec: ModelSpec) -> list[str]:
    """The graph's opening: layout and default styles, then the input node."""
    return [
        "digraph stack {",
        '  rankdir=TB; nodesep=0.3; ranksep=0.35; bgcolor="transparent";',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
        f'  edge [fontname="Helvetica", fontsize=10, color="{NEUTRAL}"];',
        f'  input [label={_quote(f"Input · {spec.input.kind}")}, fillcolor="#eeeeee"];',
    ]


def _quote(text: str) -> str:
    """A DOT double-quoted string; ``\\n`` in ``text`` stays a DOT line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(name: str, lines: list[str], **attrs: str) -> str:
    """One DOT node statement; ``lines`` become the label's lines."""
    extra = "".join(f", {key}={_quote(value)}" for key, value in attrs.items())
    return f"  {name} [label={_quote(chr(10).join(lines))}{extra}];"


def _edge(source: str, target: str, shape: Shape, indent: str = "  ") -> str:
    """One DOT edge statement labelled with the shape of the tensor it carries."""
    return f"{indent}{source} -> {target} [label={_quote(' ' + format_shape((shape,)))}];"


def _layer_title(row: LayerRow, spec: ModelSpec, index: int | None) -> str:
    """A box's first line: the layer's name and the Keras call that makes it."""
    if row.type == "Embedding" and isinstance(spec.input, TokenInput):
        return f"{row.name} · Embedding({fmt(spec.input.vocab)} → {spec.input.embedding_dim})"
    if row.type == "Dense" and spec.head is not None:
        return f"{row.name} · Dense({spec.head.units}, {spec.head.activation})"
    units = "" if index is None else str(spec.units[index])
    return f"{row.name} · {row.type}({units})"


def _plain_layer(
    node: str, row: LayerRow, spec: ModelSpec, index: int | None, sources: list[Source]
) -> list[str]:
    """A layer drawn as one box (not bidirectional), and the edges into it.

    A recurrent box here is always a unidirectional layer, hence the forward colour.
    """
    color = COLORS["forward"] if row.is_recurrent else NEUTRAL
    title = _layer_title(row, spec, index)
    lines = [_node(node, [title, f"{fmt(row.params)} params"], color=color)]
    return lines + [_edge(source, node, shape) for source, shape in sources]


def _direction_shape(spec: ModelSpec, index: int) -> Shape:
    """What one direction of recurrent layer ``index`` outputs before the merge."""
    units = spec.units[index]
    if spec.layer_returns_sequences(index):
        return (spec.batch_size, spec.input.seq_len, units)
    return (spec.batch_size, units)


def _bidirectional_cluster(
    node: str, row: LayerRow, spec: ModelSpec, index: int, sources: list[Source]
) -> list[str]:
    """A bidirectional layer as a box holding both directions and the merge, and the edges in."""
    units = spec.units[index]
    cell = spec.cell.keras_name
    half = fmt(row.params // 2)  # each direction owns exactly half the weights
    lines = [
        f"  subgraph cluster_{node} {{",
        f"    label={_quote(f'{row.name} · Bidirectional({cell}({units})) · {fmt(row.params)} params')};",
        f'    style="rounded"; color="{COLORS["merge"]}"; fontname="Helvetica"; fontsize=11; labeljust="l";',
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
    if spec.merge_mode is not MergeMode.NONE:
        lines.append(
            f'    {node}_m [label={_quote(f"merge: {spec.merge_mode.value}")}, shape=ellipse, color="{COLORS["merge"]}"];'
        )
        direction_shape = _direction_shape(spec, index)
        for direction in ("f", "b"):
            lines.append(_edge(f"{node}_{direction}", f"{node}_m", direction_shape, "    "))
    lines.append("  }")
    for source, shape in sources:
        lines += [_edge(source, f"{node}_{direction}", shape) for direction in ("f", "b")]
    return lines


def _cluster_outputs(node: str, row: LayerRow, spec: ModelSpec, index: int) -> list[Source]:
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


def _output_nodes(sources: list[Source], spec: ModelSpec, bidirectional: bool) -> list[str]:
    """One note-shaped node per model output, and the edge that feeds it."""
    lines = []
    labels = _output_labels(spec, bidirectional, len(sources))
    for number, ((source, shape), label) in enumerate(zip(sources, labels, strict=True)):
        kind = "state" if label.startswith("state") else "output"
        lines.append(
            f'  out{number} [label={_quote(label)}, shape=note, fillcolor="#f4fbf4", color="{COLORS[kind]}"];'
        )
        lines.append(_edge(source, f"out{number}", shape))
    return lines
