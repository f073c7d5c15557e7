"""The Explorer's slide downloads, run headless: there on a normal page, gone on a locked link."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.ui.explorer import VIEW_KEY
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")
BUTTONS = (
    explain.DOWNLOAD_SVG_LABEL,
    explain.DOWNLOAD_PNG_LABEL,
    explain.DOWNLOAD_LATEX_LABEL,
)


@pytest.mark.parametrize("locked", [False, True])
def test_stack_downloads_follow_the_lock(locked: bool) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    if locked:
        at.query_params["lock"] = "1"
    at.session_state[VIEW_KEY] = "Layer stack"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {button.proto.label for button in at.get("download_button")}
    assert all((label in labels) != locked for label in BUTTONS), labels
    assert "1920×1080" in explain.DOWNLOAD_PNG_LABEL  # the size is stated on the button


def _chart_page() -> None:
    import plotly.graph_objects as go

    from bilstm_lab.ui import downloads

    downloads.downloadable_chart(go.Figure(go.Scatter(y=[1, 2])), "chart", "accuracy_per_step")


@pytest.mark.parametrize("locked", [False, True])
def test_a_downloadable_chart_shows_its_camera_unless_locked(locked: bool) -> None:
    at = AppTest.from_function(_chart_page, default_timeout=60)
    if locked:
        at.query_params["lock"] = "1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    if locked:
        assert config["displayModeBar"] is False
    else:
        options = config["toImageButtonOptions"]
        assert config["displayModeBar"] is True and config["modeBarButtons"] == [["toImage"]]
        assert (options["width"] * options["scale"], options["height"] * options["scale"]) == (
            1920,
            1080,
        )
