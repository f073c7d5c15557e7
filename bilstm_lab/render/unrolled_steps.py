"""The unrolled picture as an animation: the two passes filling in, step by step.

Draws `bilstm_lab.core.passes.pass_schedule` over the boxes of `bilstm_lab.render.unrolled`:
every box starts grey (not computed yet); each frame colours the states computed so far, rings
the newest one and lights up the inputs it has read; the last frame shows the outputs (or the
two states Keras returns). Plotly's own frames, Play/Pause buttons and slider: the browser
animates it, with no round-trip to the server.

Frames change trace data only, never the layout: presenter mode enlarges the layout's fonts
(`bilstm_lab.ui.display.scale_fonts`), and a frame carrying layout would undo that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from bilstm_lab.core import explain
from bilstm_lab.core.passes import Direction, PassFrame, Phase, pass_schedule
from bilstm_lab.core.spec import MergeMode, ModelSpec
from bilstm_lab.render.style import COLORS
from bilstm_lab.render.unrolled import Node, Step, Unrolled, chain_id, unrolled, unrolled_figure

#: A box not computed yet.
PENDING = "#d0d0d0"
#: The inputs the newest state has read, and the ring around that state.
HIGHLIGHT = "#f2a900"
HIGHLIGHT_FILL = "#fff1c2"
#: The fill of a computed state, per chain (a light tint of its colour).
FILLS = {Direction.FORWARD: "#dcebf7", Direction.BACKWARD: "#f9dcdc"}
#: Slider labels and buttons inherit the layout's font: 16 px, scaled again in presenter mode.
FONT_PX = 16
#: How long one frame stays on screen while playing (ms).
FRAME_MS = 900

#: The overlay traces every frame rewrites, in drawing order (their index follows the base's).
OVERLAYS = ("inputs read", "forward", "backward", "outputs", "newest", "caption")

_KINDS_OUT = ("merge", "output", "state")


@dataclass(frozen=True)
class StepFrame:
    """One frame as the figure draws it: node ids per overlay, the caption and the slider label.

    Attributes:
        name: the frame's name (``"3"``: the fourth frame).
        label: the slider label.
        caption: the sentence drawn over the picture.
        inputs: ids of the input boxes the newest state(s) have read.
        forward: ids of the forward states computed so far.
        backward: ids of the backward states computed so far.
        outputs: ids of the output, merge and state boxes shown (last frame only).
        newest: ids of the states this frame is about (ringed).
    """

    name: str
    label: str
    caption: str
    inputs: tuple[str, ...]
    forward: tuple[str, ...]
    backward: tuple[str, ...]
    outputs: tuple[str, ...]
    newest: tuple[str, ...]


def _step_text(step: Step | None) -> str:
    return explain.STEPS_NOT_DRAWN if step is None else str(step)


def step_frames(
    spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6
) -> tuple[StepFrame, ...]:
    """Every frame of the step-through, as node ids of the `unrolled` picture.

    Args:
        spec: the model (its last recurrent layer is drawn).
        bidirectional: the bidirectional variant (else only the forward pass).
        max_steps: the most time columns before an ellipsis (as `unrolled`).
    """
    picture = unrolled(spec, bidirectional, max_steps)
    steps = picture.steps
    schedule = pass_schedule(len(steps), bidirectional, spec.return_sequences)
    return tuple(
        _step_frame(picture, spec, bidirectional, index, frame)
        for index, frame in enumerate(schedule)
    )


def _state_id(direction: Direction, column: int, steps: Sequence[Step | None]) -> str:
    return chain_id(direction.value, steps[column], column)


def _step_frame(
    picture: Unrolled, spec: ModelSpec, bidirectional: bool, index: int, frame: PassFrame
) -> StepFrame:
    steps = picture.steps
    merged = bidirectional and spec.merge_mode is not MergeMode.NONE
    first, last = _step_text(steps[0]), _step_text(steps[-1])
    column = frame.column
    step = _step_text(steps[column]) if column is not None else ""
    if column is not None:
        direction = frame.current[0][0]
        label = explain.pass_tick(direction, step)
    else:
        label = explain.pass_last_tick(frame.phase, merged)
    # The inputs' name as the picture writes it: x, or h when the layer reads the one below.
    x_name = picture.node(chain_id("input", steps[0], 0)).label.split("<sub>")[0]
    merge = spec.merge_mode.value if merged else None
    caption = explain.pass_caption(frame.phase, step, first, last, merge, bidirectional, x_name)
    last_frame = frame.phase in (Phase.OUTPUTS, Phase.RETURNED)
    # The outputs frame is about every state at once: rings on all of them would say nothing.
    ringed = () if frame.phase is Phase.OUTPUTS else frame.current
    newest = tuple(_state_id(d, c, steps) for d, c in ringed)
    return StepFrame(
        name=str(index),
        label=label,
        caption=caption,
        inputs=tuple(chain_id("input", steps[c], c) for c in frame.highlighted),
        forward=tuple(_state_id(d, c, steps) for d, c in frame.filled if d is Direction.FORWARD),
        backward=tuple(_state_id(d, c, steps) for d, c in frame.filled if d is Direction.BACKWARD),
        outputs=tuple(n.id for n in picture.nodes if n.kind in _KINDS_OUT) if last_frame else (),
        newest=newest,
    )


# --------------------------------------------------------------------------------------------
# the figure
# --------------------------------------------------------------------------------------------


def step_through_figure(
    spec: ModelSpec, bidirectional: bool = True, max_steps: int = 6
) -> go.Figure:
    """The unrolled picture with Play/Pause and a slider that step through the two passes.

    Args:
        spec: the model.
        bidirectional: the bidirectional variant (else the plain one's single pass).
        max_steps: the most time columns before an ellipsis.

    Returns:
        A figure with one plotly frame per `step_frames` entry, showing the first.
    """
    picture = unrolled(spec, bidirectional, max_steps)
    frames = step_frames(spec, bidirectional, max_steps)
    figure = unrolled_figure(spec, bidirectional, max_steps)
    for trace in figure.data:  # the base: every box grey, no legend (the static picture has it)
        trace.update(showlegend=False, hoverinfo="skip")
        if trace.mode != "text":
            trace.marker.line.color = PENDING
    by_id = {node.id: node for node in picture.nodes}
    top = max(node.y for node in picture.nodes) + 0.9  # the caption's row, above every box
    left = min(node.x for node in picture.nodes) - 0.5
    base = len(figure.data)
    figure.add_traces(_overlays(frames[0], by_id, (left, top)))
    overlay_indices = list(range(base, base + len(OVERLAYS)))
    # Plain dicts, validated once by the figure: go.Scatter and go.Frame objects were each
    # validated again when the figure took them (3× the time of the whole figure).
    figure.frames = [
        {
            "name": frame.name,
            "data": _overlays(frame, by_id, (left, top)),
            "traces": overlay_indices,
        }
        for frame in frames
    ]
    figure.update_layout(
        title={
            "text": f"{explain.step_through_heading(bidirectional)}: {figure.layout.title.text}"
        },
        font={"size": FONT_PX},
        showlegend=False,
        yaxis={"range": [-0.6, top + 0.4]},
        height=figure.layout.height + 130,
        margin={"l": 10, "r": 10, "t": 50, "b": 110},
        updatemenus=[_buttons()],
        sliders=[_slider(frames)],
    )
    return figure


#: A plotly trace as a plain dict.
Trace = dict[str, Any]


def _overlays(
    frame: StepFrame, by_id: dict[str, Node], caption_at: tuple[float, float]
) -> list[Trace]:
    """The traces one frame rewrites, in `OVERLAYS` order (always all of them, maybe empty)."""
    outputs = [by_id[i] for i in frame.outputs]
    forward, backward = Direction.FORWARD, Direction.BACKWARD
    return [
        _boxes([by_id[i] for i in frame.inputs], "circle", HIGHLIGHT, HIGHLIGHT_FILL, 3.5),
        _boxes([by_id[i] for i in frame.forward], "square", COLORS["forward"], FILLS[forward], 3.0),
        _boxes(
            [by_id[i] for i in frame.backward], "square", COLORS["backward"], FILLS[backward], 3.0
        ),
        _boxes(outputs, "circle", [COLORS[node.kind] for node in outputs], "#ffffff", 3.0),
        _ring([by_id[i] for i in frame.newest]),
        {
            "type": "scatter",
            "x": [caption_at[0]],
            "y": [caption_at[1]],
            "mode": "text",
            "text": [frame.caption],
            "textposition": "middle right",
            "textfont": {"size": 18, "color": "#222222"},
            "hoverinfo": "skip",
            "showlegend": False,
        },
    ]


def _boxes(nodes: list[Node], symbol: str, line: str | list[str], fill: str, width: float) -> Trace:
    """Coloured boxes over the grey ones; an ellipsis stays text only, in the colour."""
    dots = [node.kind == "ellipsis" for node in nodes]
    colour = [line] * len(nodes) if isinstance(line, str) else line
    return {
        "type": "scatter",
        "x": [node.x for node in nodes],
        "y": [node.y for node in nodes],
        "mode": "markers+text",
        "text": [node.label for node in nodes],
        # Same sizes as the static picture's boxes (18 px labels, 22 px arrows and dots).
        "textfont": {
            "size": [
                22 if dot or node.kind in ("forward", "backward") else 18
                for dot, node in zip(dots, nodes, strict=True)
            ],
            "color": [c if dot else "#222222" for c, dot in zip(colour, dots, strict=True)],
        },
        "marker": {
            "symbol": symbol,
            "size": [0 if dot else 46 for dot in dots],
            "color": fill,
            "line": {"width": width, "color": colour},
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _ring(nodes: list[Node]) -> Trace:
    """A highlight ring around the states a frame is about."""
    return {
        "type": "scatter",
        "x": [node.x for node in nodes],
        "y": [node.y for node in nodes],
        "mode": "markers",
        "marker": {
            "symbol": "square-open",
            "size": [0 if node.kind == "ellipsis" else 60 for node in nodes],
            "line": {"width": 4, "color": HIGHLIGHT},
            "color": HIGHLIGHT,
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _animate_args(frame: str | None, duration: int) -> list[Any]:
    """Arguments of plotly's ``animate`` method: go to ``frame`` (``None``: play them all)."""
    options = {
        "frame": {"duration": duration, "redraw": True},
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    return [[frame] if frame is not None else None, options]


def _buttons() -> dict[str, Any]:
    """Play and Pause, left of the slider."""
    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0.0,
        "xanchor": "left",
        "y": 0.0,
        "yanchor": "top",
        "pad": {"t": 50, "r": 10},
        "buttons": [
            {
                "label": explain.PLAY_LABEL,
                "method": "animate",
                "args": _animate_args(None, FRAME_MS),
            },
            {
                "label": explain.PAUSE_LABEL,
                "method": "animate",
                "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
            },
        ],
    }


def _slider(frames: Sequence[StepFrame]) -> dict[str, Any]:
    """One slider step per frame, labelled by the state it adds."""
    return {
        "active": 0,
        "x": 0.2,
        "len": 0.8,
        "xanchor": "left",
        "y": 0.0,
        "yanchor": "top",
        "pad": {"t": 30, "r": 50},
        "currentvalue": {"prefix": explain.STEP_PREFIX, "xanchor": "left"},
        "steps": [
            # A unique value per step: the labels of the steps not drawn are all "…".
            {
                "label": frame.label,
                "value": frame.name,
                "method": "animate",
                "args": _animate_args(frame.name, 0),
            }
            for frame in frames
        ],
    }
