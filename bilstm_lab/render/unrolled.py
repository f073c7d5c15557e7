"""The last recurrent layer unrolled in time: the boxes and arrows (`unrolled`) and their figure.

Draws exactly the outputs Keras returns for the spec, so the picture answers "what comes out of a
bidirectional layer" the same way the shape table does. Plotly only (no TensorFlow, no
Streamlit), so the Explorer and the home page paint it before TensorFlow is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from bilstm_lab.core.spec import MergeMode, ModelSpec
from bilstm_lab.render.style import COLORS

#: The note every return_sequences=False bidirectional figure carries (tests look for it).
LAST_STEP_NOTE = "forward state at t=T and backward state at t=1"

_MERGE_SYMBOL = {
    MergeMode.CONCAT: "[ ; ]",
    MergeMode.SUM: "+",
    MergeMode.MUL: "×",
    MergeMode.AVE: "avg",
}

#: Row (y) of the inputs and of each chain; merges, outputs and states go below or beside them.
_ROWS = {"input": 0.0, "forward": 1.0, "backward": 2.0}

#: Legend entry per node kind, in the order the figure draws them.
LEGEND = {
    "input": "inputs",
    "forward": "forward cell (t = 1 → T)",
    "backward": "backward cell (t = T → 1)",
    "merge": "merge",
    "output": "returned outputs",
    "state": "returned states",
    "ellipsis": "steps not drawn",
}


@dataclass(frozen=True)
class Node:
    """One box of the unrolled picture.

    Attributes:
        id: a unique name (``f3``: forward cell at t=3).
        label: the text drawn in the box (plotly HTML subset).
        x: column position.
        y: row position.
        kind: input, forward, backward, merge, output, state, ellipsis, or waypoint (where
            an arrow turns; not drawn).
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
    steps: tuple[Step | None, ...]

    def node(self, node_id: str) -> Node:
        """The node called ``node_id``."""
        return next(node for node in self.nodes if node.id == node_id)

    def output_tensors(self) -> set[int]:
        """Indices of the model outputs that appear in the picture."""
        return {node.tensor for node in self.nodes if node.tensor is not None}


#: A time step: 1-based, or counted from the end (``"T"``, ``"T−1"``) when T is None.
Step = int | str


def shown_steps(seq_len: int | None, max_steps: int = 6) -> tuple[Step | None, ...]:
    """The time steps to draw: all of them, or the first few, ``None`` (an ellipsis), the last few.

    Args:
        seq_len: T; ``None`` for a variable length, whose last steps are named ``"T−1"``,
            ``"T"`` (they have no number).
        max_steps: the most columns to draw (an ellipsis counts as one); at least 4.

    Returns:
        1-based steps, with ``None`` where the ellipsis goes.
    """
    max_steps = max(max_steps, 4)
    if seq_len is not None and seq_len <= max_steps:
        return tuple(range(1, seq_len + 1))
    head = max_steps // 2
    tail = max_steps - head - 1
    if seq_len is None:
        last: tuple[Step, ...] = tuple(f"T−{k}" if k else "T" for k in range(tail - 1, -1, -1))
    else:
        last = tuple(range(seq_len - tail + 1, seq_len + 1))
    return (*range(1, head + 1), None, *last)


def _length_text(seq_len: int | None) -> str:
    """How many steps there are, for the figure's words: the number, or ``T``."""
    return "T" if seq_len is None else str(seq_len)


# --------------------------------------------------------------------------------------------
# the picture as nodes and edges
# --------------------------------------------------------------------------------------------


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
    grid = _Grid(spec, bidirectional, shown_steps(spec.input.seq_len, max_steps))
    canvas = _Canvas()
    for column, step in enumerate(grid.steps):
        _draw_column(grid, canvas, column, step)
    if spec.return_sequences:
        for column, step in enumerate(grid.steps):
            _draw_step_output(grid, canvas, column, step)
    else:
        _draw_summary_output(grid, canvas)
    if spec.return_state:
        _draw_states(grid, canvas)
    note = _note(spec, bidirectional)
    return Unrolled(tuple(canvas.nodes), tuple(canvas.edges), note, grid.steps)


@dataclass(frozen=True)
class _Grid:
    """Where the boxes of one picture go: the time columns drawn and the rows below the chains."""

    spec: ModelSpec
    bidirectional: bool
    steps: tuple[Step | None, ...]

    @property
    def merged(self) -> bool:
        """Both directions meet in a merge box before the output."""
        return self.bidirectional and self.spec.merge_mode is not MergeMode.NONE

    @property
    def split(self) -> bool:
        """Bidirectional with merge_mode=None: each direction is its own output tensor."""
        return self.bidirectional and self.spec.merge_mode is MergeMode.NONE

    @property
    def merge_y(self) -> float:
        """Row of the merge boxes, just below the last chain."""
        return 3.0 if self.bidirectional else 2.0

    @property
    def out_y(self) -> float:
        """Row of the outputs: below the merges when there are any, else in their place."""
        return self.merge_y + (1.0 if self.merged else 0.0)

    @property
    def right(self) -> int:
        """The column right of the last step, where the summary output and the states go."""
        return len(self.steps)

    def x(self, kind: str, column: int) -> float:
        """Where a box of row ``kind`` sits in ``column``.

        The two chains are staggered so the arrow from x_t to the backward cell passes beside
        the forward cell instead of through it.
        """
        stagger = 0.25 if self.bidirectional else 0.0
        return column + {"input": 0.0, "forward": -stagger, "backward": stagger}[kind]


@dataclass
class _Canvas:
    """The nodes and edges drawn so far, in drawing order (the figure keeps that order)."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def arrow(self, source: str, target: str, kind: str) -> None:
        """Add an edge from node ``source`` to node ``target``."""
        self.edges.append(Edge(source, target, kind))


def _sub(text: str, index: int | str) -> str:
    """``text`` with a subscript, in plotly's HTML subset."""
    return f"{text}<sub>{index}</sub>"


def chain_id(kind: str, step: Step | None, column: int) -> str:
    """Id of a chain box: ``f3`` for a step, ``f_dots2`` for the ellipsis in column 2."""
    return f"{kind[0]}{step}" if step is not None else f"{kind[0]}_dots{column}"


def _draw_column(grid: _Grid, canvas: _Canvas, column: int, step: Step | None) -> None:
    """One time column (an input and its cells, or an ellipsis), and the chain arrows into it."""
    chains = ["forward", "backward"] if grid.bidirectional else ["forward"]
    if step is None:
        for kind in ["input", *chains]:
            node_id = chain_id(kind, None, column)
            canvas.nodes.append(Node(node_id, "…", grid.x(kind, column), _ROWS[kind], "ellipsis"))
    else:
        _draw_cells(grid, canvas, column, step)
    if column > 0:
        previous = grid.steps[column - 1]
        canvas.arrow(chain_id("forward", previous, column - 1), chain_id("forward", step, column), "forward")  # fmt: skip
        if grid.bidirectional:
            # The backward chain carries its state from later steps to earlier ones.
            canvas.arrow(chain_id("backward", step, column), chain_id("backward", previous, column - 1), "backward")  # fmt: skip


def _draw_cells(grid: _Grid, canvas: _Canvas, column: int, step: Step) -> None:
    """The input at ``step`` and the cell(s) that read it."""
    spec = grid.spec
    cell = spec.cell.keras_name
    # An upper layer reads the outputs h of the layer below, not the model's inputs x.
    x_name = "x" if spec.depth == 1 else "h"
    source = "input" if spec.depth == 1 else f"layer {spec.depth - 1} (below)"
    canvas.nodes.append(Node(f"i{step}", _sub(x_name, step), column, _ROWS["input"], "input",
                             hover=f"{x_name}_{step}: step {step} from the {source}"))  # fmt: skip
    canvas.nodes.append(Node(f"f{step}", "→", grid.x("forward", column), _ROWS["forward"], "forward",
                             hover=f"forward {cell} at t={step}: has read x_1 … x_{step}"))  # fmt: skip
    canvas.arrow(f"i{step}", f"f{step}", "input")
    if grid.bidirectional:
        T = grid.steps[-1]  # the last step: its number, or "T" for a variable length
        canvas.nodes.append(Node(f"b{step}", "←", grid.x("backward", column), _ROWS["backward"], "backward",
                                 hover=f"backward {cell} at t={step}: has read x_{T} … x_{step}"))  # fmt: skip
        canvas.arrow(f"i{step}", f"b{step}", "input")


def _draw_step_output(grid: _Grid, canvas: _Canvas, column: int, step: Step | None) -> None:
    """return_sequences=True: the output(s) at one time column."""
    out_y = grid.out_y
    if step is None:
        canvas.nodes.append(Node(f"y_dots{column}", "…", column, out_y, "ellipsis"))
    elif grid.merged:
        mode = grid.spec.merge_mode
        canvas.nodes.append(Node(f"m{step}", _MERGE_SYMBOL[mode], column, grid.merge_y, "merge",
                                 hover=f"merge ({mode.value}) of both directions at t={step}"))  # fmt: skip
        canvas.arrow(f"f{step}", f"m{step}", "merge")
        canvas.arrow(f"b{step}", f"m{step}", "merge")
        canvas.nodes.append(Node(f"y{step}", _sub("y", step), column, out_y, "output", 0,
                                 hover=f"output at t={step}: sees the whole sequence"))  # fmt: skip
        canvas.arrow(f"m{step}", f"y{step}", "output")
    elif grid.split:
        canvas.nodes.append(Node(f"yf{step}", _sub("y→", step), column - 0.22, out_y, "output", 0,
                                 hover=f"forward output at t={step} (first tensor)"))  # fmt: skip
        canvas.nodes.append(Node(f"yb{step}", _sub("y←", step), column + 0.22, out_y, "output", 1,
                                 hover=f"backward output at t={step} (second tensor)"))  # fmt: skip
        canvas.arrow(f"f{step}", f"yf{step}", "output")
        canvas.arrow(f"b{step}", f"yb{step}", "output")
    else:
        canvas.nodes.append(Node(f"y{step}", _sub("y", step), column, out_y, "output", 0,
                                 hover=f"output at t={step}: has seen x_1 … x_{step} only"))  # fmt: skip
        canvas.arrow(f"f{step}", f"y{step}", "output")


def _draw_summary_output(grid: _Grid, canvas: _Canvas) -> None:
    """return_sequences=False: one output, read from the forward chain's last step and the
    backward chain's first (each direction's final state)."""
    first, final = grid.steps[0], grid.steps[-1]
    right, out_y = grid.right, grid.out_y
    if grid.bidirectional:
        # A straight arrow from the last forward cell down to the summary would cross the last
        # backward cell, as if that cell fed the output (the misconception Pitfall 1 is about):
        # it turns at a waypoint right of the chains instead. The backward chain's final state
        # (at t=1, far left) drops below the chains and runs along the empty row to the right.
        kind = "merge" if grid.merged else "output"
        canvas.nodes.append(Node("wf", "", right, _ROWS["forward"], "waypoint"))
        canvas.arrow(f"f{final}", "wf", kind)
    if grid.merged:
        mode = grid.spec.merge_mode
        canvas.nodes.append(Node("m", _MERGE_SYMBOL[mode], right, grid.merge_y, "merge",
                                 hover=f"merge ({mode.value}) of the two final states"))  # fmt: skip
        canvas.nodes.append(Node("wb", "", grid.x("backward", 0), grid.merge_y, "waypoint"))
        canvas.arrow("wf", "m", "merge")
        canvas.arrow(f"b{first}", "wb", "merge")
        canvas.arrow("wb", "m", "merge")
        canvas.nodes.append(Node("y", "y", right, out_y, "output", 0, hover="the one output"))
        canvas.arrow("m", "y", "output")
    elif grid.split:
        canvas.nodes.append(Node("yf", "y→", right, out_y, "output", 0, hover="forward state at t=T"))  # fmt: skip
        canvas.nodes.append(Node("yb", "y←", -1, out_y, "output", 1, hover="backward state at t=1"))  # fmt: skip
        canvas.arrow("wf", "yf", "output")
        canvas.arrow(f"b{first}", "yb", "output")
    else:
        canvas.nodes.append(Node("y", "y", right, out_y, "output", 0, hover="the state at t=T"))
        canvas.arrow(f"f{final}", "y", "output")


def _draw_states(grid: _Grid, canvas: _Canvas) -> None:
    """return_state=True: each direction's final states, beside the step that produced them."""
    names = grid.spec.cell.state_names
    # States follow the main output(s) in Keras's output list.
    tensor = 2 if grid.split else 1
    for offset, name in enumerate(names):
        canvas.nodes.append(Node(f"sf_{name}", _sub(f"{name}→", "T"), grid.right + 0.9,
                                 _ROWS["forward"] - 0.55 * offset, "state", tensor + offset,
                                 hover=f"forward state {name} after t=T"))  # fmt: skip
        canvas.arrow(f"f{grid.steps[-1]}", f"sf_{name}", "state")
    if grid.bidirectional:
        tensor += len(names)
        for offset, name in enumerate(names):
            canvas.nodes.append(Node(f"sb_{name}", _sub(f"{name}←", "1"), -1.0,
                                     _ROWS["backward"] + 0.55 * offset, "state", tensor + offset,
                                     hover=f"backward state {name} after t=1"))  # fmt: skip
            canvas.arrow(f"b{grid.steps[0]}", f"sb_{name}", "state")


def _note(spec: ModelSpec, bidirectional: bool) -> str:
    """The sentence under the figure's title: what comes out, and which layer is drawn."""
    if spec.return_sequences:
        count = _length_text(spec.input.seq_len)
        parts = [f"return_sequences=True: one output per step, all {count} of them"]
    elif bidirectional:
        parts = [f"return_sequences=False: the output is the {LAST_STEP_NOTE}"]
    else:
        parts = ["return_sequences=False: the output is the state at t=T"]
    if spec.return_state:
        parts.append("return_state=True: the final states come out too, never merged")
    if spec.depth > 1:
        below = (
            "the layer below it returns"
            if spec.depth == 2
            else f"the {spec.depth - 1} below it return"
        )
        parts.append(f"showing the top layer ({below} every step)")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# the figure
# --------------------------------------------------------------------------------------------


def unrolled_figure(spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6) -> go.Figure:
    """Plotly figure of `unrolled`: boxes for cells, arrows for data flow.

    The picture's note is not drawn in the figure (a plotly title never wraps, so a long note
    was cut off mid-word on a projector): show ``unrolled(...).note`` beside it as text.

    Args:
        spec: the model.
        bidirectional: draw the bidirectional variant (else the plain one).
        max_steps: the most time columns before an ellipsis.

    Returns:
        A figure ready for ``st.plotly_chart``.
    """
    picture = unrolled(spec, bidirectional, max_steps)
    figure = go.Figure()
    for kind, legend in LEGEND.items():
        members = [node for node in picture.nodes if node.kind == kind]
        if members:
            name = legend if kind != "merge" else f"merge ({spec.merge_mode.value})"
            figure.add_trace(_node_trace(kind, name, members))
    variant = ("Bidirectional " if bidirectional else "") + spec.cell.keras_name
    xs = [node.x for node in picture.nodes]
    bottom = max(node.y for node in picture.nodes)
    figure.update_layout(
        annotations=_arrows(picture),
        title={"text": f"{variant} unrolled over {steps_title(spec.input.seq_len)}",
               "x": 0.0, "xanchor": "left"},
        xaxis={"visible": False, "range": [min(xs) - 0.6, max(xs) + 0.6]},
        yaxis={"visible": False, "range": [-0.6, bottom + 0.6]},
        height=200 + 70 * int(bottom),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
        plot_bgcolor="#ffffff",
    )  # fmt: skip
    return figure


def steps_title(seq_len: int | None) -> str:
    """``T = 10 steps``, or the words for a variable length."""
    return "T steps (T = None: any length)" if seq_len is None else f"T = {seq_len} steps"


def _node_trace(kind: str, name: str, members: list[Node]) -> go.Scatter:
    """All boxes of one kind as one trace (one legend entry per kind)."""
    is_dots = kind == "ellipsis"
    is_cell = kind in ("forward", "backward")
    return go.Scatter(
        x=[node.x for node in members],
        y=[node.y for node in members],
        mode="text" if is_dots else "markers+text",
        text=[node.label for node in members],
        hovertext=[node.hover or node.label for node in members],
        hoverinfo="text",
        # 18 px labels keep their subscripts (plotly draws them at 70%) above 12 px.
        textfont={"size": 22 if is_dots or is_cell else 18, "color": "#222222"},
        marker={
            "symbol": "square" if is_cell else "circle",
            "size": 46,
            "color": "#ffffff",
            "line": {"width": 2.5, "color": COLORS[kind]},
        },
        name=name,
        showlegend=not is_dots,
    )


def _arrows(picture: Unrolled) -> list[dict[str, object]]:
    """One plotly annotation per edge.

    Returned as one list for a single update_layout(): add_annotation() per arrow re-validates
    the layout every time and made this figure the slowest thing on the page (~180 ms for 40
    arrows).
    """
    by_id = {node.id: node for node in picture.nodes}
    arrows = []
    for edge in picture.edges:
        source, target = by_id[edge.source], by_id[edge.target]
        # A waypoint is where an arrow turns: no box to stand off from, no head there.
        into_turn, from_turn = target.kind == "waypoint", source.kind == "waypoint"
        arrows.append({
            "x": target.x, "y": target.y, "ax": source.x, "ay": source.y,
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "showarrow": True, "arrowhead": 0 if into_turn else 2, "arrowsize": 1, "arrowwidth": 1.6,
            "arrowcolor": COLORS.get(edge.kind, "#888888") if edge.kind != "input" else "#aaaaaa",
            "standoff": 0 if into_turn else 21, "startstandoff": 0 if from_turn else 21, "text": "",
        })  # fmt: skip
    return arrows
