"""What the layer-stack diagram shows, decided once: its boxes, their words, colours and rows.

Two writers draw the diagram: `bilstm_lab.render.stack` as Graphviz DOT (laid out by the
browser) and `bilstm_lab.render.stack_layout` as placed boxes (the SVG and PNG downloads). Both
read the description built here, so the two pictures cannot name a layer, thread a tensor or
colour a box differently; each writer only decides how its format draws it.

Built from `bilstm_lab.core.analysis`, so the picture can never disagree with the tables next to
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bilstm_lab.core.analysis import Comparison, LayerRow, Shape, VariantAnalysis
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput
from bilstm_lab.render.style import COLORS, NEUTRAL

#: A node's id and the shape of the tensor it hands to the next node.
Source = tuple[str, Shape]

#: Fill of the input box and of the outputs note (every other box is white).
INPUT_FILL, OUTPUT_FILL = "#eeeeee", "#f4fbf4"


@dataclass
class RowPlan:
    """Which row each layer of the pair occupies, shared by both variants.

    Rows are numbered from 0 (the input) down to `outputs`, one after another.
    """

    #: layer position → (first row, row of the layer's main boxes, last row).
    layers: list[tuple[int, int, int]] = field(default_factory=list)
    #: The row of the model outputs.
    outputs: int = 0


@dataclass(frozen=True)
class Node:
    """One box of the diagram.

    Attributes:
        id: unique in the whole diagram (it starts with the variant's prefix).
        lines: its text, one entry per line.
        color: outline colour.
        row: its row of the `RowPlan`.
        fill: fill colour.
        shape: ``rect``, ``ellipse`` (a merge) or ``note`` (the outputs).
    """

    id: str
    lines: tuple[str, ...]
    color: str
    row: int
    fill: str = "#ffffff"
    shape: str = "rect"


@dataclass(frozen=True)
class Link:
    """An arrow from one node to another, labelled with the tensor's shape when given."""

    source: str
    target: str
    shape: Shape | None = None


@dataclass(frozen=True)
class PlainLayer:
    """A layer drawn as one box (a recurrent one is unidirectional), and the arrows into it."""

    box: Node
    inputs: tuple[Link, ...]


@dataclass(frozen=True)
class BiLayer:
    """A bidirectional layer, framed: wrapper, both directions and (unless None) the merge.

    The wrapper is a box of its own, so the arrows coming in (`inputs`) end on it; it feeds both
    directions, and `merging` carries each direction's output into the merge.
    """

    #: The layer's id; its nodes' ids add ``_w``, ``_f``, ``_b`` and ``_m``.
    id: str
    wrapper: Node
    forward: Node
    backward: Node
    merge: Node | None
    inputs: tuple[Link, ...]
    merging: tuple[Link, ...]

    @property
    def splits(self) -> tuple[Link, Link]:
        """The wrapper's arrows into its two directions (no shape: the same tensor comes in)."""
        return Link(self.wrapper.id, self.forward.id), Link(self.wrapper.id, self.backward.id)

    @property
    def members(self) -> tuple[Node, ...]:
        """The nodes inside the frame, in drawing order."""
        rest = () if self.merge is None else (self.merge,)
        return (self.wrapper, self.forward, self.backward, *rest)


@dataclass(frozen=True)
class Outputs:
    """The note naming the model's outputs, and the arrows into it.

    A single output is named in the note with its shape on the arrow; several (return_state,
    merge mode None) are listed in the note, one per line after a count, and `states` (the
    final states, leaving the last recurrent layer past any head) are drawn apart.
    """

    note: Node
    mains: tuple[Link, ...]
    states: tuple[Link, ...]

    @property
    def listed(self) -> bool:
        """Whether the note lists several tensors (its first line counts them)."""
        return len(self.note.lines) > 1


@dataclass(frozen=True)
class VariantStack:
    """One variant's column of the diagram, top to bottom."""

    label: str
    input: Node
    layers: tuple[PlainLayer | BiLayer, ...]
    outputs: Outputs


@dataclass(frozen=True)
class StackDiagram:
    """Both columns (plain left, bidirectional right) on the rows they share."""

    rows: RowPlan
    uni: VariantStack
    bi: VariantStack

    @property
    def columns(self) -> tuple[VariantStack, VariantStack]:
        """Left to right."""
        return self.uni, self.bi


def stack_diagram(comparison: Comparison) -> StackDiagram:
    """Both variants' layer stacks as nodes and links; node ids start with ``u`` and ``b``.

    Args:
        comparison: both variants, from `bilstm_lab.core.analysis.compare`.
    """
    rows = row_plan(comparison.bi)
    return StackDiagram(
        rows, _variant(comparison.uni, "u", rows), _variant(comparison.bi, "b", rows)
    )


def row_plan(bi: VariantAnalysis) -> RowPlan:
    """The rows of each layer, from the bidirectional variant (the taller of the two).

    Row 0 holds the input. A bidirectional recurrent layer takes a row for its wrapper, one for
    its two directions and, unless merge mode is None, one for the merge; the plain layer sits
    on the directions' row. Any other layer takes one row in both variants.
    """
    plan = RowPlan()
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


def _variant(variant: VariantAnalysis, prefix: str, rows: RowPlan) -> VariantStack:
    """One variant's nodes and links, each node on its planned row."""
    spec = variant.spec
    start = Node(f"{prefix}_input", (f"Input · {spec.input.kind}",), COLORS["input"], 0, INPUT_FILL)
    # `sources` are the nodes whose output feeds the next layer, with the shape on that edge;
    # the last layer's states skip the head and become model outputs (`states`).
    sources: list[Source] = [(start.id, variant.input_shape)]
    states: list[Source] = []
    # Bidirectional with merge_mode=None hands out two main tensors; every other layer one.
    main_count = 2 if variant.bidirectional and spec.merge_mode is MergeMode.NONE else 1
    recurrent_index = 0
    layers: list[PlainLayer | BiLayer] = []
    for position, row in enumerate(variant.layers):
        node = f"{prefix}{position}"
        layer: PlainLayer | BiLayer
        if row.is_recurrent and variant.bidirectional:
            layer, outputs = _bidirectional_layer(
                node, row, spec, recurrent_index, sources, rows.layers[position]
            )
        else:
            index = recurrent_index if row.is_recurrent else None
            layer = _plain_layer(node, row, spec, index, sources, rows.layers[position][1])
            outputs = [(node, shape) for shape in row.output_shapes]
        layers.append(layer)
        if row.is_recurrent:
            recurrent_index += 1
            sources, states = outputs[:main_count], outputs[main_count:]
        else:
            sources = outputs
    ends = _outputs(f"{prefix}_out", rows.outputs, (sources, states), spec, variant.bidirectional)
    return VariantStack(variant.label, start, tuple(layers), ends)


def layer_title(row: LayerRow, spec: ModelSpec, index: int | None) -> str:
    """A box's first line: the layer's name and the Keras call that makes it."""
    if row.type == "Embedding" and isinstance(spec.input, TokenInput):
        return f"{row.name} · Embedding({fmt(spec.input.vocab)} → {spec.input.embedding_dim})"
    if row.type == "Dense" and spec.head is not None:
        return f"{row.name} · Dense({spec.head.units}, {spec.head.activation})"
    units = "" if index is None else str(spec.units[index])
    return f"{row.name} · {row.type}({units})"


def _plain_layer(
    node: str,
    row: LayerRow,
    spec: ModelSpec,
    index: int | None,
    sources: list[Source],
    on_row: int,
) -> PlainLayer:
    """A layer drawn as one box; a recurrent one here is unidirectional: the forward colour."""
    color = COLORS["forward"] if row.is_recurrent else NEUTRAL
    title = layer_title(row, spec, index)
    box = Node(node, (title, f"{fmt(row.params)} params"), color, on_row)
    return PlainLayer(box, _links_into(node, sources))


def direction_shape(spec: ModelSpec, index: int) -> Shape:
    """What one direction of recurrent layer ``index`` outputs before the merge."""
    units = spec.units[index]
    if spec.layer_returns_sequences(index):
        return (spec.batch_size, spec.input.seq_len, units)
    return (spec.batch_size, units)


def _bidirectional_layer(
    node: str,
    row: LayerRow,
    spec: ModelSpec,
    index: int,
    sources: list[Source],
    rows: tuple[int, int, int],
) -> tuple[BiLayer, list[Source]]:
    """A bidirectional layer, and the (node, shape) pairs leaving it in Keras's output order."""
    units = spec.units[index]
    cell = spec.cell.keras_name
    half = fmt(row.params // 2)  # each direction owns exactly half the weights
    first, middle, last = rows
    wrapper = Node(
        f"{node}_w",
        (f"{row.name} · Bidirectional({cell}({units}))", f"{fmt(row.params)} params"),
        COLORS["merge"],
        first,
    )
    forward = Node(
        f"{node}_f",
        (f"forward {cell}({units})", "reads t = 1 → T", f"{half} params"),
        COLORS["forward"],
        middle,
    )
    backward = Node(
        f"{node}_b",
        (f"backward {cell}({units})", "reads t = T → 1", f"{half} params"),
        COLORS["backward"],
        middle,
    )
    merge = None
    merging: tuple[Link, ...] = ()
    if spec.merge_mode is not MergeMode.NONE:
        merge = Node(
            f"{node}_m",
            (f"merge: {spec.merge_mode.value}",),
            COLORS["merge"],
            last,
            shape="ellipse",
        )
        shape = direction_shape(spec, index)
        merging = (Link(forward.id, merge.id, shape), Link(backward.id, merge.id, shape))
        main = [(merge.id, row.output_shapes[0])]
    else:
        main = [(forward.id, row.output_shapes[0]), (backward.id, row.output_shapes[1])]
    states = row.output_shapes[len(main) :]
    per_direction = len(states) // 2
    leaving = (
        main
        + [(forward.id, shape) for shape in states[:per_direction]]
        + [(backward.id, shape) for shape in states[per_direction:]]
    )
    inputs = _links_into(wrapper.id, sources)
    return BiLayer(node, wrapper, forward, backward, merge, inputs, merging), leaving


def _links_into(target: str, sources: list[Source]) -> tuple[Link, ...]:
    """One arrow from each source into ``target``, labelled with the shape it carries."""
    return tuple(Link(source, target, shape) for source, shape in sources)


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
    note: str,
    row: int,
    tensors: tuple[list[Source], list[Source]],
    spec: ModelSpec,
    bidirectional: bool,
) -> Outputs:
    """The note ``note`` on ``row`` naming every output tensor, and the arrows into it.

    ``tensors`` are the main outputs and the returned states, each as (node, shape) pairs. A
    single output keeps its shape on the arrow; several are listed in the note with their
    shapes, so the picture stays as narrow as one box, and each node they leave sends one arrow.
    """
    mains, states = tensors
    sources = mains + states
    labels = output_labels(spec, bidirectional, len(sources))
    if len(sources) == 1:
        (source, shape), label = sources[0], labels[0]
        box = Node(note, (label,), COLORS["output"], row, OUTPUT_FILL, "note")
        return Outputs(box, (Link(source, note, shape),), ())
    listing = [
        f"{label}  {format_shape((shape,))}"
        for (_, shape), label in zip(sources, labels, strict=True)
    ]
    color = COLORS["state" if states else "output"]
    box = Node(note, (f"{len(sources)} outputs", *listing), color, row, OUTPUT_FILL, "note")
    return Outputs(
        box,
        tuple(Link(source, note) for source in dict.fromkeys(s for s, _ in mains)),
        tuple(Link(source, note) for source in dict.fromkeys(s for s, _ in states)),
    )
