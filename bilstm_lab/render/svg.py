"""A `Layout` as an SVG document: the vector download of a diagram (slides scale it freely).

Every line of text is its own ``<text>`` element, so a slide tool (and a test) finds every layer
name as text, not as outlines. Pure string building: no drawing library.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from bilstm_lab.render.layout import (
    LINE_HEIGHT_EM,
    SUB_SCALE,
    Arrow,
    Box,
    Frame,
    Label,
    Layout,
    runs,
)

#: The font every text asks for; SVG viewers fall back to their own sans-serif.
FONT_FAMILY = "Helvetica, Arial, DejaVu Sans, sans-serif"
#: Box corner radius.
RADIUS = 6
#: Arrowhead length.
HEAD = 9


def layout_svg(layout: Layout) -> str:
    """The picture as a standalone SVG document (UTF-8 text, white background).

    Args:
        layout: the placed picture.

    Returns:
        SVG source; its size is the layout's, in px.
    """
    width, height = round(layout.width), round(layout.height)
    colors = sorted({arrow.color for arrow in layout.arrows})
    splits = sorted({_split(box) for box in layout.boxes if box.fill_right is not None})
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT_FAMILY)}>',
        f"<title>{escape(layout.title)}</title>",
        "<defs>",
        *(_marker(index, color) for index, color in enumerate(colors)),
        *(_gradient(index, left, right) for index, (left, right) in enumerate(splits)),
        "</defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *(_frame(frame) for frame in layout.frames),
        *(_arrow(arrow, colors.index(arrow.color)) for arrow in layout.arrows),
        *(_box(box, splits) for box in layout.boxes),
        *(_label(label) for label in layout.labels),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _n(value: float) -> str:
    """A coordinate, one decimal at most (keeps the file small and diff-able)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker(index: int, color: str) -> str:
    # One arrowhead marker per arrow colour (SVG 1.1 markers cannot inherit the stroke).
    return (
        f'<marker id="head{index}" markerWidth="{HEAD}" markerHeight="{HEAD}" refX="{HEAD}" '
        f'refY="{HEAD / 2:g}" orient="auto" markerUnits="userSpaceOnUse">'
        f'<path d="M0,0 L{HEAD},{HEAD / 2:g} L0,{HEAD} z" fill="{color}"/></marker>'
    )


def _split(box: Box) -> tuple[str, str]:
    """A split box's two fills, left and right."""
    return box.fill, box.fill_right or box.fill


def _gradient(index: int, left: str, right: str) -> str:
    # A split box: two hard stops at the middle, so each half is one flat colour.
    return (
        f'<linearGradient id="split{index}" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="0.5" stop-color="{left}"/><stop offset="0.5" stop-color="{right}"/>'
        "</linearGradient>"
    )


def _frame(frame: Frame) -> str:
    x, y = frame.x - frame.width / 2, frame.y - frame.height / 2
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(frame.width)}" height="{_n(frame.height)}" '
        f'rx="{RADIUS * 2}" fill="none" stroke="{frame.stroke}" stroke-dasharray="6 4"/>'
    )


def _arrow(arrow: Arrow, marker: int) -> str:
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in arrow.points)
    dash = ' stroke-dasharray="6 4"' if arrow.dashed else ""
    return (
        f'<polyline points="{points}" fill="none" stroke="{arrow.color}" stroke-width="1.5"'
        f'{dash} marker-end="url(#head{marker})"/>'
    )


def _box(box: Box, splits: list[tuple[str, str]]) -> str:
    if box.shape == "ellipse":
        outline = (
            f'<ellipse cx="{_n(box.x)}" cy="{_n(box.y)}" rx="{_n(box.width / 2)}" '
            f'ry="{_n(box.height / 2)}"'
        )
    else:
        radius = 0 if box.shape == "note" else RADIUS
        outline = (
            f'<rect x="{_n(box.left)}" y="{_n(box.top)}" width="{_n(box.width)}" '
            f'height="{_n(box.height)}" rx="{radius}"'
        )
    fill = box.fill if box.fill_right is None else f"url(#split{splits.index(_split(box))})"
    outline += f' fill="{fill}" stroke="{box.stroke}" stroke-width="1.5"/>'
    return "\n".join([outline, *_box_texts(box)])


def _box_texts(box: Box) -> list[str]:
    """One ``<text>`` per line, centred (left-aligned in a note)."""
    line_height = box.size * LINE_HEIGHT_EM
    first = box.y - line_height * (len(box.lines) - 1) / 2
    if box.shape == "note":
        x, anchor = box.text_left, "start"
    else:
        x, anchor = box.x, "middle"
    return [
        _text(x, first + number * line_height, line, anchor, box.size, "#222222", False)
        for number, line in enumerate(box.lines)
    ]


def _label(label: Label) -> str:
    return _text(label.x, label.y, label.text, label.anchor, label.size, label.color, label.bold)


def _text(x: float, y: float, text: str, anchor: str, size: float, color: str, bold: bool) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="central" '
        f'font-size="{_n(size)}" fill="{color}"{weight}>{_content(text, size)}</text>'
    )


def _content(text: str, size: float) -> str:
    """The text's characters, escaped; subscripts as lowered, smaller ``<tspan>``s."""
    return "".join(
        f'<tspan font-size="{_n(size * SUB_SCALE)}" dy="{_n(size * 0.3)}">{escape(piece)}</tspan>'
        f'<tspan dy="{_n(-size * 0.3)}"></tspan>'
        if sub
        else escape(piece)
        for piece, sub in runs(text)
    )
