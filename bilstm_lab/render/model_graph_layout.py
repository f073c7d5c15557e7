"""A real model's layer graph laid out on the server, for the Convert page's SVG and PNG downloads.

The same picture as `bilstm_lab.render.model_graph.model_dot` (which the browser lays out): one
box per node with the same lines and colours (both read `node_lines`, `edge_text` and `HALVES`
there), arrows with the output shape beside them, and the colour key beside a converted graph.

A plain layered drawing, top to bottom: a layer's row is the longest path to it from the
inputs; within a row, layers keep the model's order. An arrow that skips rows (a residual
connection, a second input used late) passes each row it crosses at a reserved place of its
own, so it never runs through a box. Each box sits as near the mean x of its inputs as the row
leaves room for, so a chain is one straight column.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bilstm_lab.core import explain
from bilstm_lab.core.model_info import GraphEdge, ModelInfo
from bilstm_lab.render.layout import (
    LINE_HEIGHT_EM,
    Arrow,
    Box,
    Label,
    Layout,
    Point,
    text_width,
)
from bilstm_lab.render.model_graph import HALVES, Role, edge_text, node_lines

#: Box text (px): DOT's 13 pt is about 17 px.
FONT = 16.0
#: Shapes beside arrows (px).
EDGE_FONT = 14.0
#: The heading and the key (px).
TITLE_FONT, KEY_FONT = 22.0, 14.0
#: Padding inside a box.
PAD_X, PAD_Y = 12.0, 7.0
#: Space between two places of a row, and between rows (room for a shape label).
SLOT_GAP, ROW_GAP = 28.0, 46.0
#: Width kept for an arrow crossing a row.
PASS_WIDTH = 12.0
#: Largest spacing of the arrows meeting one side of a box.
PORT_GAP = 18.0
#: How far a self-loop (a shared layer fed its own output) or a backward arrow reaches out.
LOOP = 20.0
#: Margin around the picture.
MARGIN = 20.0
#: Box outlines and arrows.
STROKE, ARROW_COLOR = "#333333", "#555555"


@dataclass
class _Slot:
    """A place in a row: a layer's box, or where one arrow crosses the row (``node`` None)."""

    node: str | None
    row: int
    width: float
    height: float = 0.0
    #: Where its inputs would like it (the mean x of what feeds it); None when nothing does.
    want: float | None = None
    x: float = 0.0
    predecessors: list[_Slot] = field(default_factory=list)


def ranks(names: list[str], edges: list[GraphEdge]) -> dict[str, int]:
    """Each node's row: the longest path to it from a node nothing feeds.

    A cycle (a shared layer called on outputs of its own) is broken at its earliest node in
    model order; a self-loop does not count.
    """
    order = {name: number for number, name in enumerate(names)}
    targets: dict[str, dict[str, None]] = {name: {} for name in names}
    for edge in edges:
        if edge.source != edge.target:
            targets[edge.source][edge.target] = None
    waiting = dict.fromkeys(names, 0)
    for outgoing in targets.values():
        for target in outgoing:
            waiting[target] += 1
    rank = dict.fromkeys(names, 0)
    ready = [order[name] for name in names if not waiting[name]]
    done: set[str] = set()
    while len(done) < len(names):
        if not ready:
            ready = [min(order[name] for name in names if name not in done)]
        name = names[heapq.heappop(ready)]
        if name in done:
            continue
        done.add(name)
        for target in targets[name]:
            if target in done:
                continue  # an arrow back up a broken cycle
            rank[target] = max(rank[target], rank[name] + 1)
            waiting[target] -= 1
            if not waiting[target]:
                heapq.heappush(ready, order[target])
    return rank


def model_graph_layout(
    info: ModelInfo, roles: Mapping[str, Role] | None = None, title: str | None = None
) -> Layout:
    """The model's layer graph as a placed `Layout`, top to bottom.

    Args:
        info: the model's graph (`bilstm_lab.core.model_info.ModelInfo`).
        roles: layer name → where its weights come from (`model_graph.layer_roles`); a layer
            not named is drawn unchanged. A graph with a converted layer gets the colour key.
        title: the heading drawn above the graph; the model's name when None.

    Returns:
        The picture, at scale 1 (box text 16 px).
    """
    roles = roles or {}
    title = info.name if title is None else title
    lines = {node.name: tuple(node_lines(node)) for node in info.nodes}
    for edge in info.edges:  # an arrow's end that is no node: a box with its name, as DOT does
        for name in (edge.source, edge.target):
            lines.setdefault(name, (name,))
    names = list(lines)
    rank = ranks(names, list(info.edges))
    slots, chains = _slots(names, lines, rank, info.edges)
    rows = _place(slots, chains, max(rank.values(), default=0) + 1)
    boxes = {name: _box(slot, rows, lines[name], roles) for name, slot in slots.items()}
    arrows, labels = _arrows(info.edges, chains, boxes, rows)
    # The key starts right of everything the graph draws, its shape labels included.
    drawn = {roles.get(name, Role.UNCHANGED) for name in names}
    key_x = _extent(list(boxes.values()), arrows, labels)[1] + 2 * SLOT_GAP
    key_boxes, key_labels = _key(drawn, key_x, rows.top[0])
    every_box = [*boxes.values(), *key_boxes]
    labels += key_labels
    left, right = _extent(every_box, arrows, labels)
    spare = text_width(title, TITLE_FONT) - (right - left)
    if spare > 0:  # a heading wider than the drawing: the drawing centred under it
        left, right = left - spare / 2, right + spare / 2
    dx = MARGIN - left
    width = right - left + 2 * MARGIN
    heading = Label(
        width / 2, MARGIN + TITLE_FONT / 2, title, "middle", TITLE_FONT, "#222222", bold=True
    )
    bottom = max([box.bottom for box in every_box], default=rows.top[0])
    return Layout(
        width=width,
        height=bottom + MARGIN,
        title=title,
        frames=(),
        arrows=tuple(
            replace(arrow, points=tuple((x + dx, y) for x, y in arrow.points)) for arrow in arrows
        ),
        boxes=tuple(replace(box, x=box.x + dx) for box in every_box),
        labels=(heading, *(replace(label, x=label.x + dx) for label in labels)),
    )


def _slots(
    names: list[str],
    lines: dict[str, tuple[str, ...]],
    rank: dict[str, int],
    edges: tuple[GraphEdge, ...],
) -> tuple[dict[str, _Slot], list[list[_Slot]]]:
    """Each layer's slot, and each edge's crossings of the rows between its ends."""
    slots = {
        name: _Slot(
            name,
            rank[name],
            max(text_width(line, FONT) for line in lines[name]) + 2 * PAD_X,
            len(lines[name]) * FONT * LINE_HEIGHT_EM + 2 * PAD_Y,
        )
        for name in names
    }
    chains = []
    for edge in edges:
        previous, chain = slots[edge.source], []
        for row in range(rank[edge.source] + 1, rank[edge.target]):
            crossing = _Slot(None, row, PASS_WIDTH, predecessors=[previous])
            chain.append(crossing)
            previous = crossing
        if rank[edge.target] > rank[edge.source]:
            slots[edge.target].predecessors.append(previous)
        chains.append(chain)
    return slots, chains


@dataclass(frozen=True)
class _Rows:
    """Each row's top y and height."""

    top: list[float]
    height: list[float]


def _place(slots: dict[str, _Slot], chains: list[list[_Slot]], count: int) -> _Rows:
    """Give every slot its x, row by row, top down; return where the rows are."""
    rows: list[list[_Slot]] = [[] for _ in range(count)]
    for slot in [*slots.values(), *(crossing for chain in chains for crossing in chain)]:
        rows[slot.row].append(slot)
    top = MARGIN + TITLE_FONT * LINE_HEIGHT_EM + ROW_GAP / 2
    tops, heights = [], []
    for row in rows:
        for slot in row:
            xs = [before.x for before in slot.predecessors]
            slot.want = sum(xs) / len(xs) if xs else None
        layers = [slot for slot in row if slot.node is not None]  # in model order
        crossings = sorted((slot for slot in row if slot.node is None), key=_want)
        ordered: list[_Slot] = []
        for layer in layers:  # each crossing goes before the first layer wanted right of it
            while crossings and _want(crossings[0]) < _want(layer):
                ordered.append(crossings.pop(0))
            ordered.append(layer)
        _pack(ordered + crossings)
        height = max((slot.height for slot in row), default=0.0)
        tops.append(top)
        heights.append(height)
        top += height + ROW_GAP
    return _Rows(tops, heights)


def _want(slot: _Slot) -> float:
    return math.inf if slot.want is None else slot.want


def _pack(row: list[_Slot]) -> None:
    """Place a row's slots, in their order and apart, as near their wishes as can be.

    Least squares under "each slot right of the one before": the centres minus the least room
    the slots before need must not decrease, which is isotonic regression (pool adjacent
    violators). A slot nothing feeds follows the one before it; a row of such (the inputs) is
    centred on 0.
    """
    if not row:
        return
    offsets = [0.0]
    for before, after in itertools.pairwise(row):
        offsets.append(offsets[-1] + before.width / 2 + SLOT_GAP + after.width / 2)
    targets = [
        None if slot.want is None else slot.want - offset
        for slot, offset in zip(row, offsets, strict=True)
    ]
    known = [target for target in targets if target is not None]
    previous = known[0] if known else -offsets[-1] / 2
    blocks: list[list[float]] = []  # [sum of targets, count]: runs of slots moved as one
    for target in targets:
        previous = previous if target is None else target
        blocks.append([previous, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    shifts = [total / count for total, count in blocks for _ in range(round(count))]
    for slot, shift, offset in zip(row, shifts, offsets, strict=True):
        slot.x = shift + offset


def _fills(role: Role) -> tuple[str, str | None]:
    """A box's ``fill`` and ``fill_right`` for ``role``: a second colour only for a split box."""
    left, right = HALVES[role]
    return left, None if left == right else right


def _box(slot: _Slot, rows: _Rows, lines: tuple[str, ...], roles: Mapping[str, Role]) -> Box:
    """A layer's box, centred in its row, in its role's colours."""
    fill, fill_right = _fills(roles.get(slot.node or "", Role.UNCHANGED))
    return Box(
        slot.x,
        rows.top[slot.row] + rows.height[slot.row] / 2,
        slot.width,
        slot.height,
        lines,
        STROKE,
        fill,
        size=FONT,
        fill_right=fill_right,
    )


def _ports(box: Box, others: list[tuple[float, int]]) -> dict[int, float]:
    """Where each arrow meets one side of a box: spread, in the order of their other ends' x."""
    step = min(PORT_GAP, (box.width - 2 * PAD_X) / max(len(others) - 1, 1))
    middle = (len(others) - 1) / 2
    return {
        edge: box.x + (number - middle) * step for number, (_, edge) in enumerate(sorted(others))
    }


def _arrows(
    edges: tuple[GraphEdge, ...],
    chains: list[list[_Slot]],
    boxes: dict[str, Box],
    rows: _Rows,
) -> tuple[list[Arrow], list[Label]]:
    """Every arrow, through its crossings, and the shape label on its first stretch."""
    leaving: dict[str, list[tuple[float, int]]] = {name: [] for name in boxes}
    entering: dict[str, list[tuple[float, int]]] = {name: [] for name in boxes}
    for number, (edge, chain) in enumerate(zip(edges, chains, strict=True)):
        source, target = boxes[edge.source], boxes[edge.target]
        if target.top > source.bottom:  # a downward arrow (not a loop, not back up a cycle)
            leaving[edge.source].append((chain[0].x if chain else target.x, number))
            entering[edge.target].append((chain[-1].x if chain else source.x, number))
    starts = {
        k: v for name, others in leaving.items() for k, v in _ports(boxes[name], others).items()
    }
    ends = {
        k: v for name, others in entering.items() for k, v in _ports(boxes[name], others).items()
    }
    arrows = []
    for number, (edge, chain) in enumerate(zip(edges, chains, strict=True)):
        source, target = boxes[edge.source], boxes[edge.target]
        points: list[Point]
        if number in starts:
            points = [(starts[number], source.bottom)]
            for crossing in chain:
                top = rows.top[crossing.row]
                points += [(crossing.x, top), (crossing.x, top + rows.height[crossing.row])]
            points.append((ends[number], target.top))
        else:
            # A self-loop (a shared layer fed its own output) or an arrow back up a cycle:
            # out of the right side and round.
            reach = max(source.right, target.right) + LOOP
            rise = 8.0 if source is target else 0.0
            points = [
                (source.right, source.y - rise),
                (reach, source.y - rise),
                (reach, target.y + rise),
                (target.right, target.y + rise),
            ]
        arrows.append(Arrow(tuple(points), ARROW_COLOR))
    labels = []
    for edge, arrow in zip(edges, arrows, strict=True):
        text = edge_text(edge)
        if text is None:
            continue
        (x0, y0), (x1, y1) = arrow.points[:2]
        if y0 == y1:  # a loop: the shape right of its outer stretch
            reach, y2 = arrow.points[2]
            labels.append(Label(reach + 6.0, (y1 + y2) / 2, text, "start", EDGE_FONT))
            continue
        side = _label_side(arrows, (x0 + x1) / 2, (y0 + y1) / 2, text)
        gap = 6.0 if side == "start" else -6.0
        labels.append(Label((x0 + x1) / 2 + gap, (y0 + y1) / 2, text, side, EDGE_FONT))
    return arrows, labels


def _label_side(arrows: list[Arrow], x: float, y: float, text: str) -> str:
    """``start`` (right of the arrow) if the label fits before the next arrow there, else the
    side with more room: two arrows meeting in one gap get their shapes on their outer sides."""
    xs = [
        x0 + (x1 - x0) * (y - y0) / (y1 - y0)
        for arrow in arrows
        for (x0, y0), (x1, y1) in itertools.pairwise(arrow.points)
        if min(y0, y1) < y < max(y0, y1)
    ]
    right = min((other - x for other in xs if other > x + 0.5), default=math.inf)
    left = min((x - other for other in xs if other < x - 0.5), default=math.inf)
    if right >= text_width(text, EDGE_FONT) + 12.0 or right >= left:
        return "start"
    return "end"


def _key(drawn: set[Role], x: float, top: float) -> tuple[list[Box], list[Label]]:
    """The colour key, one entry a line, from ``x``, ``top``; none when nothing was converted."""
    if not drawn - {Role.UNCHANGED}:
        return [], []
    y = top + KEY_FONT / 2
    labels = [Label(x, y, explain.CONVERT_KEY_TITLE, "start", KEY_FONT)]
    height = KEY_FONT * LINE_HEIGHT_EM + PAD_Y
    shown = [role for role in Role if role in drawn | {Role.UNCHANGED}]
    texts = [explain.CONVERT_KEY[role.value] for role in shown]
    width = max(text_width(text, KEY_FONT) for text in texts) + 2 * PAD_X  # one width: a column
    chips = []
    for role, text in zip(shown, texts, strict=True):
        y += height + PAD_Y
        fill, fill_right = _fills(role)
        chips.append(
            Box(
                x + width / 2, y, width, height, (text,), STROKE, fill, "rect", KEY_FONT, fill_right
            )
        )
    return chips, labels


def _extent(boxes: list[Box], arrows: list[Arrow], labels: list[Label]) -> tuple[float, float]:
    """The leftmost and rightmost x the drawing reaches."""
    xs = [box.left for box in boxes] + [box.right for box in boxes]
    xs += [x for arrow in arrows for x, _ in arrow.points]
    for label in labels:
        width = text_width(label.text, label.size)
        start = label.x - {"start": 0.0, "middle": width / 2, "end": width}[label.anchor]
        xs += [start, start + width]
    return min(xs, default=0.0), max(xs, default=0.0)
