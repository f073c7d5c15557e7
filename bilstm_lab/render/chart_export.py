"""Slide-sized PNG downloads of plotly charts, drawn by plotly.js in the browser.

The server cannot draw a plotly figure without kaleido (and a browser behind it), which a fresh
``pip install`` does not bring. The browser already has the figure and plotly.js, whose modebar
camera button saves it as an image: this config shows that one button, always (not only on
hover), and makes it save a projector-sized PNG.

The figure is laid out at half the slide and saved at scale 2: a 1920×1080 PNG whose text is
twice the on-screen size, so it stays readable from the back of a room.
"""

from __future__ import annotations

from typing import Any

#: Width and height of the saved PNG (px).
SLIDE_WIDTH, SLIDE_HEIGHT = 1920, 1080
#: Layout size = slide / scale: text in the PNG is this many times its layout size.
EXPORT_SCALE = 2


def png_download_config(file_name: str) -> dict[str, Any]:
    """A plotly config whose only modebar button saves a 1920×1080 PNG of the chart.

    Args:
        file_name: the saved file's name, without ``.png``.

    Returns:
        The ``config`` for ``st.plotly_chart`` (or ``Figure.show``).
    """
    return {
        "displayModeBar": True,
        "displaylogo": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {
            "format": "png",
            "filename": file_name,
            "width": SLIDE_WIDTH // EXPORT_SCALE,
            "height": SLIDE_HEIGHT // EXPORT_SCALE,
            "scale": EXPORT_SCALE,
        },
    }
