"""The unrolled picture laid out on the server, for its SVG and PNG downloads.

`bilstm_lab.render.unrolled.unrolled` already places every box on a grid (columns are time
steps, rows are inputs, chains, merges, outputs); this turns that grid into pixels, the same
boxes and arrows the plotly figure draws, plus a title and a legend. A plotly figure could only
be saved by a browser (or kaleido); this needs neither.
"""

from __future__ import annotations

import math

from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.render.layout import Arrow, Box, Label, Layout, Point, text_width
from bilstm_lab.render.style import COLORS

# The figure's own words (its title's step count and its legend), one copy for both pictures.
from bilstm_lab.render.unrolled import LEGEND, Edge, Node, steps_title, unrolled

#: Pixels per grid unit: across (one time step) and down (one row).
COLUMN, ROW = 120.0, 95.0
#: A node's size (cells are squares, the rest circles).
NODE = 52.0
#: Text sizes (px).
FONT, TITLE_FONT, LEGEND_FONT = 22.0, 24.0, 16.0
#: Room above the grid (title) and below it (legend), and round it.
TOP, BOTTOM, MARGIN = 70.0, 70.0, 30.0
#: Arrows from the inputs are pale: the chains are the story.
INPUT_ARROW = "#aaaaaa"


def unrolled_layout(spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6) -> Layout:
    """The last recurrent layer unrolled in time, as a placed `Layout`.

    Args:
        spec: the model.
        bidirectional: draw the bidirectional variant (else the plain one).
        max_steps: the most time columns before an ellipsis.

    Returns:
        The picture at scale 1.
    """
    picture = unrolled(spec, bidirectional, max_steps)
    xs = [node.x for node in picture.nodes]
    top_row = max(node.y for node in picture.nodes)
    left = min(xs)

    def at(node: Node) -> Point:
        # The figure's y axis points up (inputs at the bottom): pixels count down.
        return (
            MARGIN + NODE / 2 + (node.x - left) * COLUMN,
            TOP + NODE / 2 + (top_row - node.y) * ROW,
        )

    by_id = {node.id: node for node in picture.nodes}
    boxes, labels = [], []
    for node in picture.nodes:
        x, y = at(node)
        if node.kind == "ellipsis":
            labels.append(Label(x, y, node.label, "middle", FONT, COLORS["ellipsis"]))
        elif node.kind != "waypoint":
            shape = "rect" if node.kind in ("forward", "backward") else "ellipse"
            boxes.append(
                Box(x, y, NODE, NODE, (node.label,), COLORS[node.kind], shape=shape, size=FONT)
            )
    arrows = [
        _arrow([at(by_id[i]) for i in ids], kind, by_id[ids[0]], by_id[ids[-1]])
        for ids, kind in _paths(picture.edges, by_id)
    ]
    width = 2 * MARGIN + NODE + (max(xs) - left) * COLUMN
    grid_bottom = TOP + NODE + top_row * ROW
    variant = ("Bidirectional " if bidirectional else "") + spec.cell.keras_name
    title = f"{variant} unrolled over {steps_title(spec.input.seq_len)}"
    labels.append(
        Label(MARGIN, MARGIN + TITLE_FONT / 2, title, "start", TITLE_FONT, "#222222", True)
    )
    legend, legend_width = _legend(spec, picture.nodes, grid_bottom + BOTTOM / 2)
    return Layout(
        width=max(width, legend_width + 2 * MARGIN, text_width(title, TITLE_FONT) + 2 * MARGIN),
        height=grid_bottom + BOTTOM,
        title=title,
        frames=(),
        arrows=tuple(arrows),
        boxes=tuple(boxes) + tuple(box for box in legend if isinstance(box, Box)),
        labels=tuple(labels) + tuple(label for label in legend if isinstance(label, Label)),
    )


def _paths(edges: tuple[Edge, ...], by_id: dict[str, Node]) -> list[tuple[list[str], str]]:
    """Each arrow as the node ids it passes: an edge into a waypoint continues out of it."""
    leaving = {edge.source: edge for edge in edges if by_id[edge.source].kind == "waypoint"}
    paths = []
    for edge in edges:
        if by_id[edge.source].kind == "waypoint":
            continue  # drawn as the second leg of the edge coming in
        ids = [edge.source, edge.target]
        while by_id[ids[-1]].kind == "waypoint":
            ids.append(leaving[ids[-1]].target)
        paths.append((ids, edge.kind))
    return paths


def _arrow(points: list[Point], kind: str, source: Node, target: Node) -> Arrow:
    """An arrow through ``points``, starting and ending at the rim of its two nodes."""
    ends = [_rim(points[0], points[1], source), _rim(points[-1], points[-2], target)]
    color = INPUT_ARROW if kind == "input" else COLORS.get(kind, "#888888")
    return Arrow((ends[0], *points[1:-1], ends[1]), color)


def _rim(centre: Point, toward: Point, node: Node) -> Point:
    """Where the line from ``centre`` to ``toward`` leaves ``node``'s square or circle."""
    dx, dy = toward[0] - centre[0], toward[1] - centre[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    if node.kind == "waypoint":
        reach = 0.0
    elif node.kind in ("forward", "backward"):
        reach = NODE / 2 / max(abs(ux), abs(uy))
    else:
        reach = NODE / 2
    return (centre[0] + ux * reach, centre[1] + uy * reach)


def _legend(spec: ModelSpec, nodes: tuple[Node, ...], y: float) -> tuple[list[Box | Label], float]:
    """One small box and name per kind of node drawn, in a row; and the row's width."""
    items: list[Box | Label] = []
    x = MARGIN
    size = LEGEND_FONT
    for kind, name in LEGEND.items():
        if kind == "ellipsis" or not any(node.kind == kind for node in nodes):
            continue
        text = f"merge ({spec.merge_mode.value})" if kind == "merge" else name
        shape = "rect" if kind in ("forward", "backward") else "ellipse"
        items.append(Box(x + size / 2, y, size, size, ("",), COLORS[kind], shape=shape, size=size))
        items.append(Label(x + size * 1.5, y, text, "start", size))
        x += size * 2.5 + text_width(text, size)
    return items, x
