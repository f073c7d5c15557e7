"""Presenter mode, the locked view and chart text scaling (`bilstm_lab.ui.display`), without a
browser: the app run by Streamlit's `AppTest`, and the figures as plotly objects.

The browser side (padding, the collapsed sidebar, hidden controls) is
``tests/browser/test_projector.py``.
"""

from __future__ import annotations

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.spec import FeatureInput, ModelSpec
from bilstm_lab.core.train_fields import PAGE_FLAGS
from bilstm_lab.render.unrolled import unrolled_figure
from bilstm_lab.ui import display, explorer, step_through
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def _home(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _toggle(at: AppTest) -> bool:
    return bool(at.toggle(key=display.PRESENT_TOGGLE).value)


def test_the_flags_are_the_training_labs_page_flags() -> None:
    # The Training Lab skips and keeps them in its URL; so must every page (the quiz is the
    # Explorer's alone).
    flags = {display.LOCK_FLAG, display.PRESENT_FLAG, display.QUIZ_FLAG}
    assert set(display.DISPLAY_FLAGS) == flags
    assert set(PAGE_FLAGS) == flags - {display.QUIZ_FLAG}


def test_a_present_link_turns_the_toggle_on_and_the_toggle_keeps_the_url_in_step() -> None:
    at = _home(present="1")
    assert _toggle(at)
    assert at.session_state[display.PRESENT_KEY] is True
    at.toggle(key=display.PRESENT_TOGGLE).set_value(False).run()
    assert not at.exception
    assert display.PRESENT_FLAG not in at.query_params
    assert not _toggle(at)
    at.toggle(key=display.PRESENT_TOGGLE).set_value(True).run()
    assert at.query_params[display.PRESENT_FLAG] in ("1", ["1"])
    assert _toggle(at)


def test_present_zero_and_no_flag_mean_off() -> None:
    assert not _toggle(_home())
    assert not _toggle(_home(present="0"))


def test_the_lock_note_is_shown_only_when_locked() -> None:
    assert explain.LOCKED_VIEW in [c.value for c in _home(lock="1").sidebar.caption]
    assert explain.LOCKED_VIEW not in [c.value for c in _home().sidebar.caption]


def test_the_style_sheet_trims_padding_always_and_adds_each_mode() -> None:
    plain = display.page_css(presenter=False, lock=False)
    assert "stMainBlockContainer" in plain and "padding-top: 2rem" in plain
    # The only size in the plain sheet gives the diagrams back their own text size.
    assert "font-size: revert-layer" in plain and "font-size: 1" not in plain
    assert f"font-size: {display.PRESENTER_ROOT_FONT_PX}px" not in plain
    assert "display: none" not in plain
    presenting = display.page_css(presenter=True, lock=False)
    assert f"font-size: {display.PRESENTER_ROOT_FONT_PX}px" in presenting
    locked = display.page_css(presenter=False, lock=True)
    assert "display: none" in locked
    for key in (*display.LOCK_KEEPS, display.PRESENT_TOGGLE):
        assert f".st-key-{key}" in locked  # kept visible
    # The Explorer's choices of what to look at are kept by the keys its widgets really have.
    explorer_keeps = {
        explorer.VIEW_KEY,
        explorer.UNROLLED_VARIANT_KEY,
        step_through.TOGGLE_KEY,
    }
    assert explorer_keeps <= set(display.LOCK_KEEPS)


def _scatter() -> go.Figure:
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="a"))
    figure.update_layout(
        title={"text": "t"},
        xaxis={"title": {"text": "x"}},
        yaxis={"title": {"text": "y"}, "tickfont": {"size": 10}},
        annotations=[{"text": "note", "x": 1, "y": 3}, {"text": "big", "font": {"size": 20}}],
    )
    return figure


def test_scale_fonts_enlarges_every_layout_text_on_a_copy() -> None:
    figure = _scatter()
    scaled = display.scale_fonts(figure, 1.5)
    theme = display.THEME_FONT_PX
    layout = scaled.layout
    assert layout.font.size == theme["font"] * 1.5
    assert layout.title.font.size == theme["title"] * 1.5
    assert layout.legend.font.size == theme["legend"] * 1.5
    assert layout.xaxis.tickfont.size == theme["ticks"] * 1.5
    assert layout.xaxis.title.font.size == theme["axis_title"] * 1.5
    assert layout.yaxis.tickfont.size == 15  # its own 10, scaled
    assert [a.font.size for a in layout.annotations] == [theme["font"] * 1.5, 30]
    # The caller's figure is untouched.
    assert figure.layout.font.size is None and figure.layout.yaxis.tickfont.size == 10


def test_scale_one_is_an_unchanged_copy() -> None:
    figure = _scatter()
    same = display.scale_fonts(figure, 1.0)
    assert same is not figure and same.to_dict() == figure.to_dict()


def test_scale_fonts_reaches_subplot_axes_and_colour_bars() -> None:
    figure = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]], xaxis="x2", yaxis="y2"))
    figure.update_layout(xaxis2={"anchor": "y2"}, yaxis2={"anchor": "x2"})
    scaled = display.scale_fonts(figure, 2.0)
    assert scaled.layout.xaxis2.tickfont.size == display.THEME_FONT_PX["ticks"] * 2
    assert scaled.data[0].colorbar.tickfont.size == display.THEME_FONT_PX["ticks"] * 2


def test_a_lab_figure_keeps_its_marker_text() -> None:
    # The unrolled diagram writes inside its markers: that text must still fit them.
    figure = unrolled_figure(ModelSpec(units=(8,), input=FeatureInput(seq_len=4, features=3)), True)
    scaled = display.scale_fonts(figure, display.PRESENTER_SCALE)
    assert [t.textfont.size for t in scaled.data] == [t.textfont.size for t in figure.data]
    assert scaled.layout.legend.font.size > (figure.layout.legend.font.size or 12)


def test_the_explorer_keeps_the_display_flags_and_does_not_take_them_for_settings() -> None:
    at = AppTest.from_file(str(ROOT / "bilstm_lab/ui/page_scripts/architecture_explorer.py"))
    at.query_params.update({"units": "32", "present": "1", "lock": "1"})
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]  # no "ignored unknown URL parameter"
    assert at.number_input(key="ex_units_0").value == 32
    params = {key: at.query_params[key] for key in at.query_params}
    assert {"present", "lock", "units", "cell"} <= set(params), params
