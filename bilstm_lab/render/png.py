"""A `Layout` as a PNG at projector size, drawn with Pillow (which Streamlit already installs).

No Graphviz, no headless browser, no kaleido: a fresh ``pip install`` can draw it offline. The
picture is scaled to fit the slide (aspect kept, centred on white), drawn at twice the size and
reduced, so lines and text are smooth.

The font is the one Pillow bundles (``ImageFont.load_default(size=...)``, Pillow ≥ 10.1), so the
output is the same on every machine. It lacks a few symbols the diagrams use (→, ×, —); those
(and ←, −) are written in ASCII instead of showing as empty boxes.
"""

from __future__ import annotations

import io
import itertools
import math
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from bilstm_lab.render.layout import (
    LINE_HEIGHT_EM,
    SUB_SCALE,
    Arrow,
    Box,
    Frame,
    Layout,
    Point,
    runs,
)

#: A projector slide: full HD, 16:9.
SLIDE_SIZE = (1920, 1080)
#: Empty border kept round the picture on the slide (px).
SLIDE_MARGIN = 40
#: Never enlarge a small picture more than this (a one-layer stack would get huge text).
MAX_SCALE = 3.0
#: Drawn this many times larger, then reduced: Pillow draws without anti-aliasing.
SUPERSAMPLE = 2
#: ASCII stand-ins for symbols the bundled font has no glyph for.
FALLBACKS = {"→": "->", "←": "<-", "×": "x", "—": "-", "–": "-", "−": "-", "…": "...", "≈": "~"}

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def layout_png(layout: Layout, size: tuple[int, int] = SLIDE_SIZE) -> bytes:
    """The picture as PNG bytes of exactly ``size`` pixels.

    Args:
        layout: the placed picture.
        size: (width, height) of the image; the picture is scaled to fit inside a margin.

    Returns:
        The encoded PNG.
    """
    width, height = size
    scale = min(
        (width - 2 * SLIDE_MARGIN) / layout.width,
        (height - 2 * SLIDE_MARGIN) / layout.height,
        MAX_SCALE,
    )
    offset = ((width - layout.width * scale) / 2, (height - layout.height * scale) / 2)
    canvas = _Canvas(scale * SUPERSAMPLE, (offset[0] * SUPERSAMPLE, offset[1] * SUPERSAMPLE))
    image = Image.new("RGB", (width * SUPERSAMPLE, height * SUPERSAMPLE), "#ffffff")
    canvas.draw = ImageDraw.Draw(image)
    for frame in layout.frames:
        canvas.frame(frame)
    for arrow in layout.arrows:
        canvas.arrow(arrow)
    for box in layout.boxes:
        canvas.box(box)
    for label in layout.labels:
        canvas.text(label.x, label.y, label.text, label.anchor, label.size, label.color, label.bold)
    image = image.reduce(SUPERSAMPLE)  # a box filter: averaging 2×2 pixels is all it takes
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@cache
def _font(size: int) -> _Font:
    return ImageFont.load_default(size=size)


@cache
def _missing(size: int) -> bytes:
    """The "no such glyph" box of the font at ``size`` (a private-use character has none)."""
    return bytes(_font(size).getmask("\ue000"))


def printable(text: str, size: int) -> str:
    """``text`` with every symbol the font cannot draw replaced by its ASCII stand-in."""
    font = _font(size)
    return "".join(
        FALLBACKS.get(char, char)
        if char in FALLBACKS and bytes(font.getmask(char)) == _missing(size)
        else char
        for char in text
    )


class _Canvas:
    """Draws layout items on a Pillow image at a scale and offset."""

    def __init__(self, scale: float, offset: tuple[float, float]) -> None:
        self.scale = scale
        self.offset = offset
        self.draw: ImageDraw.ImageDraw

    def at(self, x: float, y: float) -> Point:
        """A layout point in image pixels."""
        return (self.offset[0] + x * self.scale, self.offset[1] + y * self.scale)

    def width(self, line: float) -> int:
        """A line width in image pixels (at least one)."""
        return max(1, round(line * self.scale))

    def frame(self, frame: Frame) -> None:
        """A dashed rounded rectangle."""
        x0, y0 = frame.x - frame.width / 2, frame.y - frame.height / 2
        x1, y1 = x0 + frame.width, y0 + frame.height
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        for start, end in itertools.pairwise(corners):
            self._dashed(self.at(*start), self.at(*end), frame.stroke, self.width(1.2))

    def arrow(self, arrow: Arrow) -> None:
        """A polyline with a filled arrowhead at its end."""
        points = [self.at(x, y) for x, y in arrow.points]
        line = self.width(1.5)
        head = 9 * self.scale
        (x0, y0), (x1, y1) = points[-2], points[-1]
        angle = math.atan2(y1 - y0, x1 - x0)
        # The line stops where the head begins, so its end does not poke through the tip.
        base = (x1 - head * math.cos(angle), y1 - head * math.sin(angle))
        for start, end in itertools.pairwise([*points[:-1], base]):
            if arrow.dashed:
                self._dashed(start, end, arrow.color, line)
            else:
                self.draw.line([start, end], fill=arrow.color, width=line)
        spread = head * 0.5
        side = (-math.sin(angle) * spread, math.cos(angle) * spread)
        tip = [
            (x1, y1),
            (base[0] + side[0], base[1] + side[1]),
            (base[0] - side[0], base[1] - side[1]),
        ]
        self.draw.polygon(tip, fill=arrow.color)

    def box(self, box: Box) -> None:
        """A box and its lines of text."""
        corner = [self.at(box.left, box.top), self.at(box.right, box.bottom)]
        line = self.width(1.5)
        if box.shape == "ellipse":
            self.draw.ellipse(corner, fill=box.fill, outline=box.stroke, width=line)
        else:
            radius = 0 if box.shape == "note" else round(6 * self.scale)
            fill: str | None = box.fill
            if box.fill_right is not None:
                # A split box: the right colour everywhere, the left half over it (square at
                # the middle), then the outline alone.
                self.draw.rounded_rectangle(corner, radius=radius, fill=box.fill_right)
                middle = (self.at(box.x, box.bottom)[0], corner[1][1])
                self.draw.rounded_rectangle(
                    [corner[0], middle],
                    radius=radius,
                    fill=box.fill,
                    corners=(True, False, False, True),
                )
                fill = None
            self.draw.rounded_rectangle(
                corner, radius=radius, fill=fill, outline=box.stroke, width=line
            )
        line_height = box.size * LINE_HEIGHT_EM
        first = box.y - line_height * (len(box.lines) - 1) / 2
        x, anchor = (box.text_left, "start") if box.shape == "note" else (box.x, "middle")
        for number, text in enumerate(box.lines):
            self.text(x, first + number * line_height, text, anchor, box.size, "#222222", False)

    def text(
        self, x: float, y: float, text: str, anchor: str, size: float, color: str, bold: bool
    ) -> None:
        """One line of text, anchored like SVG's ``text-anchor`` and centred vertically."""
        pixels = max(1, round(size * self.scale))
        small = max(1, round(pixels * SUB_SCALE))
        pieces = [
            (printable(piece, small if sub else pixels), small if sub else pixels, sub)
            for piece, sub in runs(text)
        ]
        total = sum(_font(px).getlength(piece) for piece, px, _ in pieces)
        left, middle = self.at(x, y)
        left -= {"start": 0.0, "middle": total / 2, "end": total}[anchor]
        for piece, px, sub in pieces:
            # A subscript sits lower, by about a third of the line's font size.
            drop = pixels * 0.3 if sub else 0.0
            self.draw.text(
                (left, middle + drop),
                piece,
                font=_font(px),
                fill=color,
                anchor="lm",
                # The bundled font has no bold face: a stroke of the text's colour thickens it.
                stroke_width=max(1, px // 30) if bold else 0,
                stroke_fill=color,
            )
            left += _font(px).getlength(piece)

    def _dashed(self, start: Point, end: Point, color: str, width: int) -> None:
        """A dashed straight line (Pillow draws only solid ones)."""
        length = math.dist(start, end)
        dash, gap = 6 * self.scale, 4 * self.scale
        if length == 0:
            return
        ux, uy = (end[0] - start[0]) / length, (end[1] - start[1]) / length
        position = 0.0
        while position < length:
            stop = min(position + dash, length)
            self.draw.line(
                [
                    (start[0] + ux * position, start[1] + uy * position),
                    (start[0] + ux * stop, start[1] + uy * stop),
                ],
                fill=color,
                width=width,
            )
            position = stop + gap
