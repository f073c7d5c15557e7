"""The step-through figure: its frames draw exactly the rule of what each state has read."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import pytest

from bilstm_lab.core.spec import FeatureInput, MergeMode, ModelSpec
from bilstm_lab.render.unrolled import unrolled
from bilstm_lab.render.unrolled_steps import OVERLAYS, step_frames, step_through_figure
from bilstm_lab.ui.display import scale_fonts

SPECS = {
    "seq-false-T4": ModelSpec(units=(8,), return_sequences=False, input=FeatureInput(4, 3)),
    "seq-true-T10": ModelSpec(return_sequences=True),  # an ellipsis column
    "state-none-T": ModelSpec(
        return_state=True, merge_mode=MergeMode.NONE, input=FeatureInput(None, 3)
    ),
}


def _columns(picture: Any, row: float) -> list[tuple[float, float]]:
    """Positions of one row's boxes (inputs 0, forward 1, backward 2), left to right."""
    chains = ("input", "forward", "backward", "ellipsis")  # not a state box beside a chain
    nodes = [n for n in picture.nodes if n.y == row and n.kind in chains]
    return sorted((n.x, n.y) for n in nodes)


def _points(trace: Any) -> set[tuple[float, float]]:
    return set(zip(trace["x"], trace["y"], strict=True))


@pytest.mark.parametrize("name", list(SPECS))
def test_every_frame_highlights_the_inputs_its_newest_state_has_read(name: str) -> None:
    spec = SPECS[name]
    picture = unrolled(spec, True)
    inputs, forward, backward = (_columns(picture, row) for row in (0.0, 1.0, 2.0))
    n = len(inputs)
    figure = step_through_figure(spec, True)
    assert len(figure.frames) == 2 * n + 1
    overlay = {key: index for index, key in enumerate(OVERLAYS)}
    for index, frame in enumerate(figure.frames):
        traces = {OVERLAYS[i]: trace for i, trace in enumerate(frame.data)}
        assert frame.layout.to_plotly_json() == {}  # data only: presenter fonts survive playing
        lit = _points(traces["inputs read"])
        if index < n:  # forward at column index: has read columns 0…index
            assert lit == set(inputs[: index + 1])
            assert _points(traces["forward"]) == set(forward[: index + 1])
            assert _points(traces["backward"]) == set()
            assert _points(traces["newest"]) == {forward[index]}
        elif index < 2 * n:  # backward at column c = 2n-1-index: has read columns c…n-1
            column = 2 * n - 1 - index
            assert lit == set(inputs[column:])
            assert _points(traces["forward"]) == set(forward)
            assert _points(traces["backward"]) == set(backward[column:])
            assert _points(traces["newest"]) == {backward[column]}
        else:  # the last frame: every input, both chains, and the outputs shown
            assert lit == set(inputs)
            assert _points(traces["backward"]) == set(backward)
            assert len(traces["outputs"]["x"]) > 0
            if (
                not spec.return_sequences
            ):  # the two states Keras returns: forward at T, backward at 1
                assert _points(traces["newest"]) == {forward[-1], backward[0]}
        assert list(frame.traces) == [
            len(figure.data) - len(OVERLAYS) + overlay[k] for k in OVERLAYS
        ]


def test_plain_variant_has_one_pass() -> None:
    spec = SPECS["seq-false-T4"]
    frames = step_frames(spec, bidirectional=False)
    assert [frame.newest for frame in frames] == [("f1",), ("f2",), ("f3",), ("f4",), ("f4",)]
    assert all(frame.backward == () for frame in frames)


def test_slider_is_labelled_by_step_and_drives_the_frames() -> None:
    spec = SPECS["seq-false-T4"]
    figure = step_through_figure(spec, True)
    slider = figure.layout.sliders[0]
    labels = [step.label for step in slider.steps]
    assert labels == [
        *(f"h→<sub>{t}</sub>" for t in (1, 2, 3, 4)),
        *(f"h←<sub>{t}</sub>" for t in (4, 3, 2, 1)),
        "returned",
    ]
    assert [list(step.args[0]) for step in slider.steps] == [
        [frame.name] for frame in figure.frames
    ]
    methods = [button.method for button in figure.layout.updatemenus[0].buttons]
    assert methods == ["animate", "animate"]
    # Slider labels and buttons inherit the layout's font: 16 px, presenter-scaled with it.
    assert figure.layout.font.size >= 16 and slider.font.size is None
    scaled = scale_fonts(figure, 1.35)
    assert scaled.layout.font.size == pytest.approx(21.6)
    assert len(scaled.frames) == len(figure.frames)
    # The first frame is drawn before Play: the figure's overlays are frame 0's.
    assert isinstance(figure.data[-1], go.Scatter)
    assert figure.data[-1].text == figure.frames[0].data[-1].text
