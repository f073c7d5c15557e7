"""The Explorer's step-through panel, headless: the toggle draws the animation, PyTorch's view is there."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.spec import ModelSpec
from bilstm_lab.ui.explorer import VIEW_KEY
from bilstm_lab.ui.step_through import TOGGLE_KEY
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")


def _figures(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_toggle_adds_the_animation_below_the_static_picture() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in ModelSpec(units=(16, 16), return_sequences=False).to_query().items():
        at.query_params[key] = value
    at.session_state[VIEW_KEY] = "Unrolled in time"
    at.run()
    assert [figure.get("frames") for figure in _figures(at)] == [None]  # the static one only
    markdown = " ".join(m.value for m in at.markdown)
    assert explain.TORCH_VIEW_TITLE in markdown and "`h_n[3]`" in markdown

    at.toggle(key=TOGGLE_KEY).set_value(True).run()
    assert not at.exception
    static, animated = _figures(at)
    assert "frames" not in static and len(animated["frames"]) == 2 * 6 + 1  # type: ignore[arg-type]
