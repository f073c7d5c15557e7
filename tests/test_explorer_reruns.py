"""Explorer reruns do only the work the view needs (issue 14): the hidden diagrams are not built,
and a rerun that keeps the model reuses its figures (`bilstm_lab.ui.spec_cache`).

How fast that is is measured by ``bench/explorer_latency.py``, never asserted here.
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from bilstm_lab.core.spec import DEFAULT_SPEC, MergeMode
from bilstm_lab.ui import display, spec_cache
from bilstm_lab.ui.explorer import DIAGRAM_TABS
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")
TAB = "ex_diagram_tab"  # the diagram tabs' key: the open tab's label


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state[TAB] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _builds() -> dict[str, int]:
    """How many times each cached function has computed (cache misses)."""
    functions = (spec_cache.stack_dot, spec_cache.unrolled_chart, spec_cache.breakdown_chart)
    return {f.__name__: f.cache_info().misses for f in functions}


def test_only_the_open_diagram_is_built_and_a_kept_model_reuses_it() -> None:
    spec_cache.clear()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert [tab.label for tab in at.tabs][:3] == list(DIAGRAM_TABS)
    assert len(at.get("graphviz_chart")) == 1 and not at.get("plotly_chart")
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 0, "breakdown_chart": 0}

    _open(at, "Unrolled in time")
    assert not at.get("graphviz_chart") and len(at.get("plotly_chart")) == 1
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 1, "breakdown_chart": 0}

    # The variant is remembered while its tab is closed; each variant is built once.
    at.segmented_control(key="ex_unrolled_variant").set_value("uni").run()
    _open(at, "Where the parameters go")
    assert len(at.get("plotly_chart")) == 1 and len(at.table) == 3  # two layer tables + gates
    _open(at, "Unrolled in time")
    assert at.segmented_control(key="ex_unrolled_variant").value == "uni"
    at.run()  # a rerun with nothing changed
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 2, "breakdown_chart": 1}

    # A new model builds the open diagram only.
    at.segmented_control(key="ex_merge_mode").set_value(MergeMode.SUM.value).run()
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 3, "breakdown_chart": 1}


def test_only_the_open_code_tab_is_drawn() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert len(at.code) == 1 and "layers.LSTM(" in at.code[0].value
    at.session_state["ex_code_tab"] = "PyTorch"
    at.run()
    assert len(at.code) == 1 and "import torch" in at.code[0].value


def test_presenter_mode_enlarges_the_cached_figures() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    _open(at, "Where the parameters go")
    plain = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    at.query_params["present"] = "1"
    at.run()
    large = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    size = plain.get("font", {}).get("size", display.THEME_FONT_PX["font"])
    assert large["font"]["size"] == round(size * display.PRESENTER_SCALE, 1)


def test_the_caches_are_bounded() -> None:
    spec_cache.clear()
    for units in range(1, spec_cache.MAX_SPECS + 10):
        spec_cache.stack_dot(DEFAULT_SPEC.with_changes(units=(units,)), 1.0)
    assert spec_cache.sizes()["stack_dot"] == spec_cache.MAX_SPECS


def test_the_websocket_filter_lets_the_open_tab_through() -> None:
    # The browser sends the open tab's label as the tabs' widget state; a filter that did not
    # know stateful tabs dropped it, and the diagram tabs opened empty.
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from bilstm_lab.ui.widget_filter import WidgetBook

    message = ForwardMsg()
    message.delta.add_block.tab_container.id = "tabs-id"
    book = WidgetBook()
    book.learn(message.SerializeToString())
    assert book.fits(WidgetState(id="tabs-id", string_value=DIAGRAM_TABS[1]))
    assert not book.fits(WidgetState(id="tabs-id", bool_value=True))
