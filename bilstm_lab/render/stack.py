"""Both layer stacks in one Graphviz DOT picture, aligned layer by layer, shapes on the arrows.

What the picture shows (boxes, words, colours, rows, arrows) comes from
`bilstm_lab.render.stack_diagram`, shared with the SVG and PNG downloads; this module only writes
it as DOT. ``st.graphviz_chart`` renders DOT text in the browser: no system Graphviz is needed.

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

from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.formatting import format_shape
from bilstm_lab.render.stack_diagram import (
    BiLayer,
    Link,
    Node,
    Outputs,
    PlainLayer,
    VariantStack,
    stack_diagram,
)
from bilstm_lab.render.style import COLORS, NEUTRAL

#: Node text size in points at text scale 1 (the browser draws 1 pt as 4/3 px).
NODE_FONT_PT = 13
#: Edge (shape) label size in points at text scale 1.
EDGE_FONT_PT = 12


@dataclass
class _Drawing:
    """One variant's DOT statements and the nodes on each row."""

    lines: list[str] = field(default_factory=list)
    rows: dict[int, list[str]] = field(default_factory=dict)
    #: The boxes the data passes through in the middle of the stack (input, layers, wrappers,
    #: merges, outputs): one Graphviz ``group``, so they stand on one straight vertical line.
    spine: list[str] = field(default_factory=list)

    def place(self, node: Node, spine: bool = True) -> None:
        """Record that ``node`` sits on its row (and on the stack's spine, unless told not)."""
        self.rows.setdefault(node.row, []).append(node.id)
        if spine:
            self.spine.append(node.id)


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
    diagram = stack_diagram(comparison)
    node_pt = round(NODE_FONT_PT * text_scale)
    edge_pt = round(EDGE_FONT_PT * text_scale)
    lines = [
        "digraph stacks {",
        '  rankdir=TB; newrank=true; nodesep=0.25; ranksep=0.3; bgcolor="transparent";',
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize={node_pt}];',
        f'  edge [fontname="Helvetica", fontsize={edge_pt}, color="{NEUTRAL}"];',
    ]
    drawings = [_variant(column) for column in diagram.columns]
    for drawing, column, prefix in zip(drawings, diagram.columns, ("u", "b"), strict=True):
        title = f"{prefix}_title"
        lines.append(
            f'  {title} [label={_quote(column.label)}, shape=plaintext, style="", '
            f'fontname="Helvetica-Bold", fontsize={round(node_pt * 1.3)}];'
        )
        lines.append(f"  {title} -> {column.input.id} [style=invis];")
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


def _variant(column: VariantStack) -> _Drawing:
    """One variant's nodes and edges, each node on its planned row."""
    drawing = _Drawing()
    drawing.lines.append(_node(column.input, fillcolor=column.input.fill))
    drawing.place(column.input)
    for layer in column.layers:
        if isinstance(layer, BiLayer):
            _bidirectional_layer(drawing, layer)
        else:
            _plain_layer(drawing, layer)
    _outputs(drawing, column.outputs)
    return drawing


def _quote(text: str) -> str:
    """A DOT double-quoted string; ``\\n`` in ``text`` stays a DOT line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(node: Node, **attrs: str) -> str:
    """One DOT node statement; the node's lines become the label's lines."""
    extra = "".join(f", {key}={_quote(value)}" for key, value in attrs.items())
    return f"  {node.id} [label={_quote(chr(10).join(node.lines))}{extra}];"


def _edge(link: Link, indent: str = "  ") -> str:
    """One DOT edge statement, labelled with the shape of the tensor it carries (if given)."""
    label = "" if link.shape is None else f" [label={_quote(' ' + format_shape((link.shape,)))}]"
    return f"{indent}{link.source} -> {link.target}{label};"


def _plain_layer(drawing: _Drawing, layer: PlainLayer) -> None:
    """A layer drawn as one box (not bidirectional), and the edges into it."""
    drawing.lines.append(_node(layer.box, color=layer.box.color))
    drawing.lines += [_edge(link) for link in layer.inputs]
    drawing.place(layer.box)


def _bidirectional_layer(drawing: _Drawing, layer: BiLayer) -> None:
    """A bidirectional layer: wrapper, both directions and the merge in one frame (a cluster).

    The wrapper is a box of its own (not the frame's label), so the arrows coming in end on
    it and never run through the layer's name.
    """
    lines = [
        f"  subgraph cluster_{layer.id} {{",
        f'    style="rounded,dashed"; color="{COLORS["merge"]}"; label="";',
        *(_node(node, color=node.color) for node in (layer.wrapper, layer.forward, layer.backward)),
        "    " + " ".join(f"{link.source} -> {link.target};" for link in layer.splits),
    ]
    drawing.place(layer.wrapper)
    drawing.place(layer.forward, spine=False)
    drawing.place(layer.backward, spine=False)
    if layer.merge is not None:
        merge = layer.merge
        lines.append(
            f'    {merge.id} [label={_quote(chr(10).join(merge.lines))}, shape={merge.shape}, color="{merge.color}"];'
        )
        lines += [_edge(link, "    ") for link in layer.merging]
        drawing.place(merge)
    lines.append("  }")
    drawing.lines += lines + [_edge(link) for link in layer.inputs]


def _outputs(drawing: _Drawing, outputs: Outputs) -> None:
    """The model's outputs: one note (every tensor with its shape when several) and its arrows."""
    note = outputs.note
    if not outputs.listed:
        drawing.lines.append(_node(note, shape=note.shape, fillcolor=note.fill, color=note.color))
        drawing.lines += [_edge(link) for link in outputs.mains]
        drawing.place(note)
        return
    # Left-aligned lines (``\\l``) under the centred count.
    listing = "".join(f"{line}\\l" for line in note.lines[1:])
    drawing.lines.append(
        f'  {note.id} [label="{note.lines[0]}\\n{listing}", shape={note.shape}, '
        f'fillcolor="{note.fill}", color="{note.color}"];'
    )
    drawing.lines += [_edge(link) for link in outputs.mains]  # listed: no shapes
    # The states leave the last recurrent layer directly (past any head): dashed arrows in the
    # state colour, weightless so they never bend the stack's straight spine.
    drawing.lines += [
        f'  {link.source} -> {link.target} [style=dashed, color="{COLORS["state"]}", weight=0];'
        for link in outputs.states
    ]
    drawing.place(note)
