"""Explorer reruns do only the work the view needs (issue 14): only the open view is drawn, the
hidden diagrams are not built, the closed "More options" draws no widgets, and a rerun that
keeps the model reuses its figures (`bilstm_lab.ui.spec_cache`).

How fast that is is measured by ``bench/explorer_latency.py``, never asserted here.
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from bilstm_lab.core.spec import DEFAULT_SPEC, MergeMode
from bilstm_lab.ui import display, spec_cache
from bilstm_lab.ui.explorer import VIEW_KEY, VIEWS
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")


def _open(at: AppTest, view: str) -> AppTest:
    at.session_state[VIEW_KEY] = view  # the views' state is the open one's label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _builds() -> dict[str, int]:
    """How many times each cached function has computed (cache misses)."""
    functions = (spec_cache.stack_dot, spec_cache.unrolled_chart, spec_cache.breakdown_chart)
    return {f.__name__: f.cache_info().misses for f in functions}


def test_only_the_open_view_is_built_and_a_kept_model_reuses_it() -> None:
    spec_cache.clear()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert at.segmented_control(key=VIEW_KEY).options == list(VIEWS)
    # A fresh page shows the totals and the layer tables; no diagram, no code.
    assert len(at.metric) == 4 and len(at.table) == 2
    assert not at.get("graphviz_chart") and not at.get("plotly_chart") and not at.code
    assert _builds() == {"stack_dot": 0, "unrolled_chart": 0, "breakdown_chart": 0}

    _open(at, "Layer stack")
    assert len(at.get("graphviz_chart")) == 1 and not at.table and len(at.metric) == 4
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 0, "breakdown_chart": 0}

    _open(at, "Unrolled in time")
    assert not at.get("graphviz_chart") and len(at.get("plotly_chart")) == 1
    assert _builds() == {"stack_dot": 1, "unrolled_chart": 1, "breakdown_chart": 0}

    # The variant is remembered while its view is closed; each variant is built once.
    at.segmented_control(key="ex_unrolled_variant").set_value("uni").run()
    _open(at, "Where the parameters go")
    assert len(at.get("plotly_chart")) == 1 and len(at.table) == 1  # the gates
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
    _open(at, "Code")
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
    # The browser sends the open tab's label as the tabs' widget state (the Code view's
    # Keras / PyTorch tabs); a filter that did not know stateful tabs dropped it, and the
    # tabs opened empty.
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from bilstm_lab.ui.widget_filter import WidgetBook

    message = ForwardMsg()
    message.delta.add_block.tab_container.id = "tabs-id"
    book = WidgetBook()
    book.learn(message.SerializeToString())
    assert book.fits(WidgetState(id="tabs-id", string_value="PyTorch"))
    assert not book.fits(WidgetState(id="tabs-id", bool_value=True))
    # The same for a keyed expander ("More options"): its state says whether it is open. A
    # filter that did not know it dropped the state, and the expander opened empty.
    message = ForwardMsg()
    message.delta.add_block.expandable.id = "more-id"
    book.learn(message.SerializeToString())
    assert book.fits(WidgetState(id="more-id", bool_value=True))
    assert not book.fits(WidgetState(id="more-id", string_value="open"))


def test_more_options_are_drawn_only_while_open_and_keep_their_values_closed() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not [t for t in at.sidebar.toggle if t.key == "ex_use_bias"]  # closed: not drawn
    at.session_state["ex_more_options"] = True
    at.run()
    at.toggle(key="ex_use_bias").set_value(False)
    at.toggle(key="ex_fixed_batch").set_value(True).run()
    at.number_input(key="ex_batch").set_value(16).run()
    assert "batch 16" in at.caption[0].value
    at.session_state["ex_more_options"] = False
    at.run()
    # Closed, the options keep their values through reruns and other changes.
    for units in (48, 49):
        at.number_input(key="ex_units_0").set_value(units).run()
        assert not at.exception
        assert "use_bias=False" in at.caption[0].value and "batch 16" in at.caption[0].value
    assert at.query_params["use_bias"] == "false" and at.query_params["batch"] == "16"


def test_a_bad_value_under_closed_more_options_is_still_shown() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["ex_more_options"] = True
    at.run()
    at.toggle(key="ex_fixed_batch").set_value(True).run()
    at.number_input(key="ex_batch").set_value(0).run()
    at.session_state["ex_more_options"] = False
    at.run()
    assert any("Batch size" in e.value for e in at.sidebar.error)
    assert not at.metric  # nothing drawn from a model that cannot be built


def test_reopened_more_options_show_the_values_they_kept() -> None:
    # The browser forgets a widget that is not drawn; Streamlit must hand the kept value back
    # when "More options" opens again, or the box shows its built-in default (0, off).
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["ex_more_options"] = True
    at.run()
    at.segmented_control(key="ex_cell").set_value("gru").run()
    at.toggle(key="ex_fixed_batch").set_value(True).run()
    at.number_input(key="ex_batch").set_value(16).run()
    at.session_state["ex_more_options"] = False
    at.run()
    at.session_state["ex_more_options"] = True
    at.run()
    batch = at.number_input(key="ex_batch")
    assert batch.proto.set_value and batch.proto.value == 16
    reset_after = at.toggle(key="ex_reset_after")
    assert reset_after.proto.set_value and reset_after.proto.value is True
    at.number_input(key="ex_units_0").set_value(48).run()
    assert not at.sidebar.error and "batch 16" in at.caption[0].value


def test_the_open_view_survives_a_run_without_views() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[VIEW_KEY] = "Layer stack"
    at.run()
    at.number_input(key="ex_units_0").set_value(0).run()  # an error: no views drawn
    assert VIEW_KEY not in [control.key for control in at.segmented_control]
    at.number_input(key="ex_units_0").set_value(32).run()
    assert len(at.get("graphviz_chart")) == 1  # still on the layer stacks
