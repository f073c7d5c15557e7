"""A diagram as placed boxes, arrows and text: what the SVG and PNG writers draw.

The on-screen layer stack is Graphviz DOT laid out by the browser, which the server cannot run
(there is no ``dot`` binary on a fresh machine). A download needs the picture on the server, so
the diagram is also laid out here, in plain numbers, and `bilstm_lab.render.svg` and
`bilstm_lab.render.png` write the same layout two ways: the two files can never disagree.

Coordinates are pixels at scale 1, origin top left, y downwards; ``x, y`` of a box is its
centre. Pure Python: no drawing library here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A point (x, y).
Point = tuple[float, float]

#: Estimated advance of one character, as a fraction of the font size. Sans-serif fonts average
#: about 0.5 em; 0.58 leaves room for wider fonts, so text never runs out of its box.
CHAR_WIDTH_EM = 0.58
#: Line height as a multiple of the font size.
LINE_HEIGHT_EM = 1.3


#: Text may mark subscripts as plotly does, ``h<sub>1</sub>``; the writers draw them smaller.
SUB_OPEN, SUB_CLOSE = "<sub>", "</sub>"
#: A subscript's size relative to its line.
SUB_SCALE = 0.7


def runs(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_subscript) runs: ``h<sub>1</sub>`` -> ``[(h, F), (1, T)]``."""
    pieces = re.split(f"({SUB_OPEN}.*?{SUB_CLOSE})", text)
    return [
        (piece[len(SUB_OPEN) : -len(SUB_CLOSE)], True)
        if piece.startswith(SUB_OPEN)
        else (piece, False)
        for piece in pieces
        if piece
    ]


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width at font ``size`` (px), subscripts included."""
    return sum(len(piece) * size * (SUB_SCALE if sub else 1.0) for piece, sub in runs(text)) * (
        CHAR_WIDTH_EM
    )


@dataclass(frozen=True)
class Box:
    """A box with one or more centred lines of text.

    Attributes:
        x: centre x.
        y: centre y.
        width: outer width.
        height: outer height.
        lines: the text, one entry per line.
        stroke: outline colour.
        fill: fill colour.
        shape: ``rect`` (rounded), ``ellipse`` or ``note`` (text left-aligned).
        size: font size (px).
        fill_right: a second fill for the right half (a box split in two, ``rect`` only);
            None for one fill.
    """

    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]
    stroke: str
    fill: str = "#ffffff"
    shape: str = "rect"
    size: float = 16.0
    fill_right: str | None = None

    @property
    def top(self) -> float:
        """The y of the upper edge."""
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        """The y of the lower edge."""
        return self.y + self.height / 2

    @property
    def text_left(self) -> float:
        """Where left-aligned lines start: the widest line centred in the box."""
        widest = max(text_width(line, self.size) for line in self.lines)
        return self.left + (self.width - widest) / 2

    @property
    def left(self) -> float:
        """The x of the left edge."""
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        """The x of the right edge."""
        return self.x + self.width / 2


@dataclass(frozen=True)
class Label:
    """Free text: a title, a frame's heading, the shape beside an arrow.

    Attributes:
        x: the anchor's x.
        y: the text's vertical centre.
        text: one line.
        anchor: ``start``, ``middle`` or ``end`` (which end of the text sits at ``x``).
        size: font size (px).
        color: text colour.
        bold: drawn heavier (titles).
    """

    x: float
    y: float
    text: str
    anchor: str = "start"
    size: float = 14.0
    color: str = "#333333"
    bold: bool = False


@dataclass(frozen=True)
class Arrow:
    """A polyline with an arrowhead at its last point."""

    points: tuple[Point, ...]
    color: str
    dashed: bool = False


@dataclass(frozen=True)
class Frame:
    """A dashed rounded rectangle grouping boxes (a bidirectional layer)."""

    x: float
    y: float
    width: float
    height: float
    stroke: str


@dataclass(frozen=True)
class Layout:
    """A whole picture.

    Attributes:
        width: the picture's width (px at scale 1).
        height: its height.
        title: what the picture shows, one line (the SVG's ``<title>``).
        frames: drawn first, under everything.
        arrows: drawn next.
        boxes: drawn over the arrows.
        labels: drawn last.
    """

    width: float
    height: float
    title: str
    frames: tuple[Frame, ...]
    arrows: tuple[Arrow, ...]
    boxes: tuple[Box, ...]
    labels: tuple[Label, ...]

    def texts(self) -> list[str]:
        """Every line of text in the picture, boxes first."""
        return [line for box in self.boxes for line in box.lines] + [
            label.text for label in self.labels
        ]
