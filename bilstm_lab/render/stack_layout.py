"""The layer-stack diagram laid out on the server, for the SVG and PNG downloads.

The same picture as `bilstm_lab.render.stack.stacks_dot` (which the browser lays out): the plain
stack on the left, the bidirectional one on the right, each plain layer on the row of its
bidirectional twin's directions, the shape of every tensor beside its arrow, the outputs in one
note per variant. Both read `bilstm_lab.render.stack_diagram` (the boxes, their words, colours,
rows and arrows), so the two cannot name a layer differently; this module only places them.

The layout is deliberately simple (straight arrows, rows shared by both columns): it is a slide
of a stack, not a general graph layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.formatting import format_shape
from bilstm_lab.render.layout import (
    LINE_HEIGHT_EM,
    Arrow,
    Box,
    Frame,
    Label,
    Layout,
    Point,
    text_width,
)
from bilstm_lab.render.stack_diagram import (
    BiLayer,
    Link,
    Node,
    RowPlan,
    VariantStack,
    stack_diagram,
)
from bilstm_lab.render.style import COLORS, NEUTRAL

#: Box text (px).
FONT = 16.0
#: Shapes beside arrows (px).
EDGE_FONT = 14.0
#: Column titles (px).
TITLE_FONT = 22.0
#: Padding inside a box.
PAD_X, PAD_Y = 12.0, 7.0
#: Vertical room for a labelled arrow between two rows; a plain arrow needs less.
ARROW_GAP, TIGHT_GAP = 46.0, 16.0
#: Space between the forward and backward boxes, around a frame, and between the two stacks.
SIDE_GAP, FRAME_PAD, COLUMN_GAP = 20.0, 10.0, 80.0
#: Margin around the picture.
MARGIN = 20.0
#: How far a state arrow runs outside its stack, so it passes the head instead of crossing it.
DETOUR = 18.0


@dataclass
class _Item:
    """A box before it is placed: its node and its local x (the stack's spine is 0)."""

    node: Node
    x: float = 0.0

    @property
    def lines(self) -> tuple[str, ...]:
        """The box's text."""
        return self.node.lines

    @property
    def width(self) -> float:
        """Outer width, from the longest line."""
        return max(text_width(line, FONT) for line in self.lines) + 2 * PAD_X

    @property
    def height(self) -> float:
        """Outer height, from the number of lines."""
        return len(self.lines) * FONT * LINE_HEIGHT_EM + 2 * PAD_Y


@dataclass
class _Link:
    """An arrow of the diagram before it is placed, and how this layout draws it."""

    link: Link
    color: str = NEUTRAL
    #: ``start`` puts the label right of the arrow, ``end`` left of it.
    side: str = "start"
    #: A state arrow: dashed, and routed round the stack on this side (-1 left, +1 right).
    detour: int = 0


@dataclass
class _Column:
    """One variant's items and links, in local coordinates."""

    title: str
    items: dict[str, _Item] = field(default_factory=dict)
    links: list[_Link] = field(default_factory=list)
    #: Bidirectional layers: the items each frame surrounds.
    frames: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, node: Node) -> None:
        """Give ``node`` a box on the stack's spine (x 0)."""
        self.items[node.id] = _Item(node)


def stack_layout(comparison: Comparison) -> Layout:
    """Both layer stacks, side by side, as a placed `Layout` (LSTM left, BiLSTM right).

    Args:
        comparison: both variants, from `bilstm_lab.core.analysis.compare`.

    Returns:
        The picture, at scale 1 (text 16 px).
    """
    diagram = stack_diagram(comparison)
    columns = [_column(column) for column in diagram.columns]
    row_y, height = _row_positions(columns, diagram.rows)
    frames: list[Frame] = []
    arrows: list[Arrow] = []
    boxes: list[Box] = []
    labels: list[Label] = []
    left = MARGIN
    for column in columns:
        placed = {name: _place(item, row_y) for name, item in column.items.items()}
        column_arrows, column_labels = _arrows(column, placed)
        low, high = _extent(list(placed.values()), column_arrows, column_labels, column.title)
        dx = left - low
        frames += [_frame(placed, members, dx) for members in column.frames]
        arrows += [
            replace(arrow, points=tuple((x + dx, y) for x, y in arrow.points))
            for arrow in column_arrows
        ]
        boxes += [replace(box, x=box.x + dx) for box in placed.values()]
        labels += [replace(label, x=label.x + dx) for label in column_labels]
        labels.append(
            Label(dx, MARGIN + TITLE_FONT / 2, column.title, "middle", TITLE_FONT, "#222222", True)
        )
        left += high - low + COLUMN_GAP
    title = f"{comparison.uni.label} and {comparison.bi.label} layer stacks"
    return Layout(
        width=left - COLUMN_GAP + MARGIN,
        height=height + MARGIN,
        title=title,
        frames=tuple(frames),
        arrows=tuple(arrows),
        boxes=tuple(boxes),
        labels=tuple(labels),
    )


def _column(stack: VariantStack) -> _Column:
    """One variant's boxes and arrows in drawing order; a framed layer's directions side by side."""
    column = _Column(title=stack.label)
    column.add(stack.input)
    for layer in stack.layers:
        if not isinstance(layer, BiLayer):
            column.add(layer.box)
            column.links += [_Link(link) for link in layer.inputs]
            continue
        for node in layer.members:
            column.add(node)
        forward, backward = column.items[layer.forward.id], column.items[layer.backward.id]
        offset = (max(forward.width, backward.width) + SIDE_GAP) / 2
        forward.x, backward.x = -offset, offset
        column.links += [_Link(link) for link in layer.inputs]
        column.links += [_Link(link) for link in layer.splits]
        # The forward arrow into the merge has its shape on its left, clear of the backward one.
        column.links += [
            _Link(link, side="end" if link.source == layer.forward.id else "start")
            for link in layer.merging
        ]
        column.frames.append(tuple(node.id for node in layer.members))
    column.add(stack.outputs.note)
    column.links += [_Link(link) for link in stack.outputs.mains]
    forwards = {layer.forward.id for layer in stack.layers if isinstance(layer, BiLayer)}
    # The states leave the last recurrent layer past any head: routed round the stack, forward
    # on the left, the rest on the right.
    column.links += [
        _Link(link, COLORS["state"], detour=-1 if link.source in forwards else 1)
        for link in stack.outputs.states
    ]
    return column


def _row_positions(columns: list[_Column], plan: RowPlan) -> tuple[dict[int, float], float]:
    """The centre y of every row (shared by both columns), and the bottom of the last row."""
    rows = range(plan.outputs + 1)
    heights = dict.fromkeys(rows, 0.0)
    for column in columns:
        for item in column.items.values():
            heights[item.node.row] = max(heights[item.node.row], item.height)
    # Inside a bidirectional layer the wrapper's arrows carry no shape: a tight gap above the
    # directions' row.
    directions = {middle for first, middle, _ in plan.layers if middle != first}
    y = MARGIN + TITLE_FONT * LINE_HEIGHT_EM + TIGHT_GAP
    centres = {}
    for row in rows:
        if row:
            y += TIGHT_GAP if row in directions else ARROW_GAP
        centres[row] = y + heights[row] / 2
        y += heights[row]
    return centres, y


def _place(item: _Item, row_y: dict[int, float]) -> Box:
    """The item as a box on its row (still in the column's local x)."""
    node = item.node
    return Box(
        item.x,
        row_y[node.row],
        item.width,
        item.height,
        node.lines,
        node.color,
        node.fill,
        node.shape,
        FONT,
    )


def _arrows(column: _Column, boxes: dict[str, Box]) -> tuple[list[Arrow], list[Label]]:
    """Every arrow of a column and the shape label beside it."""
    arrows, labels = [], []
    outer = (
        min(box.left for box in boxes.values()) - DETOUR,
        max(box.right for box in boxes.values()) + DETOUR,
    )
    for drawn in column.links:
        link = drawn.link
        source, target = boxes[link.source], boxes[link.target]
        if drawn.detour:
            x_out = outer[0] if drawn.detour < 0 else outer[1]
            side_x = source.left if drawn.detour < 0 else source.right
            into_x = target.left if drawn.detour < 0 else target.right
            points: tuple[Point, ...] = (
                (side_x, source.y),
                (x_out, source.y),
                (x_out, target.y),
                (into_x, target.y),
            )
            arrows.append(Arrow(points, drawn.color, dashed=True))
            continue
        start, end = (source.x, source.bottom), (target.x, target.top)
        arrows.append(Arrow((start, end), drawn.color))
        if link.shape is not None:
            mid_x, mid_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            gap = 6.0 if drawn.side == "start" else -6.0
            text = format_shape((link.shape,))
            labels.append(Label(mid_x + gap, mid_y, text, drawn.side, EDGE_FONT, "#333333"))
    return arrows, labels


def _extent(
    boxes: list[Box], arrows: list[Arrow], labels: list[Label], title: str
) -> tuple[float, float]:
    """The leftmost and rightmost x a column's drawing reaches (local coordinates)."""
    xs = [box.left for box in boxes] + [box.right for box in boxes]
    xs += [x for arrow in arrows for x, _ in arrow.points]
    for label in labels:
        width = text_width(label.text, label.size)
        start = label.x - (width if label.anchor == "end" else 0.0)
        xs += [start, start + width]
    half_title = text_width(title, TITLE_FONT) / 2
    xs += [-half_title, half_title, min(xs) - FRAME_PAD, max(xs) + FRAME_PAD]
    return min(xs), max(xs)


def _frame(boxes: dict[str, Box], members: tuple[str, ...], dx: float) -> Frame:
    """The dashed frame round a bidirectional layer's boxes, moved right by ``dx``."""
    inner = [boxes[name] for name in members]
    left = min(box.left for box in inner) - FRAME_PAD
    right = max(box.right for box in inner) + FRAME_PAD
    top = min(box.top for box in inner) - FRAME_PAD
    bottom = max(box.bottom for box in inner) + FRAME_PAD
    return Frame(
        (left + right) / 2 + dx, (top + bottom) / 2, right - left, bottom - top, COLORS["merge"]
    )
