"""How every page looks on a classroom projector: trimmed padding, presenter mode, locked view.

`bilstm_lab.ui.common.declare_pages` calls `prepare` before any page draws, so all of this
applies to every page from one place:

- **Padding.** Streamlit's main block starts ~6rem below the top and keeps 5rem on each side in
  the wide layout; on a 1280×720 projector that is a tenth of the screen. The page's style
  sheet trims both (the title stays clear of the toolbar's menu at the top right).
- **Presenter mode** (`presenting`): the "Presenter mode" toggle at the bottom of the sidebar,
  or ``?present=1`` in the URL. The two stay in step: switching the toggle rewrites the URL (so
  the link can be shared or bookmarked) and a page reached through the navigation, whose URL
  starts bare, gets the flag back. The sidebar collapses (its ``»`` button at the top left
  reopens it, and the toggle turns the mode off), body text grows a little, and chart text
  grows by `text_scale` (`plotly_chart`; the diagrams read `text_scale` too).
- **Locked view** (`locked`, ``?lock=1``): a classroom link shows the result, not the knobs.
  Every input widget in the sidebar and the main area is hidden, the sidebar's page content
  with them; what stays is the page navigation, the presenter toggle and `LOCK_KEEPS` (Train
  and Stop, and the Explorer's choice of view). A lock belongs to one link: it is read from
  the URL only, so it does not follow the navigation.

The two flags are the pages' display flags (`DISPLAY_FLAGS`): pages that keep their settings in
the URL skip them when they read it and keep them when they rewrite it. So is the Explorer's
``?quiz=1`` (`bilstm_lab.ui.quiz`); a locked quiz keeps its answers and Reveal buttons
(`LOCK_KEEP_PREFIXES`).
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import plotly.graph_objects as go
import streamlit as st

from bilstm_lab.core import explain
from bilstm_lab.core.train_fields import PAGE_FLAGS
from bilstm_lab.ui.common import url_flag

#: ``?lock=1``: hide the controls (a classroom link).
LOCK_FLAG = "lock"
#: ``?present=1``: presenter mode.
PRESENT_FLAG = "present"
#: ``?quiz=1``: the Explorer hides its numbers and asks about them (`bilstm_lab.ui.quiz`).
QUIZ_FLAG = "quiz"
#: URL keys that change how a page looks, not what it shows: the Training Lab's `PAGE_FLAGS`,
#: and the Explorer's quiz (the Training Lab has none: there it is an unknown setting).
DISPLAY_FLAGS: tuple[str, ...] = (*PAGE_FLAGS, QUIZ_FLAG)

#: How much larger chart and diagram text is in presenter mode.
PRESENTER_SCALE = 1.35
#: The root font size in presenter mode (Streamlit's is 16px and its text sizes are in rem, so
#: body text, tables, metrics and widgets all grow by 18/16).
PRESENTER_ROOT_FONT_PX = 18

#: Session key of this session's presenter mode (the toggle's own state is dropped on pages
#: that fail before drawing it; this is not).
PRESENT_KEY = "display_presenting"
#: Session key: the mode the sidebar was last sent to (a change moves the sidebar once).
SIDEBAR_SENT_KEY = "display_sidebar_sent"
#: The toggle's widget key (its element carries the CSS class ``st-key-<key>``).
PRESENT_TOGGLE = "display_present_toggle"
#: The toggle's Material icon (its label is `explain.PRESENTER_LABEL`).
PRESENTER_ICON = ":material/co_present:"
#: Key of the sidebar container with the lock note and the toggle (drawn first, shown last).
SIDEBAR_BOX = "display_sidebar"

#: Widgets a locked page keeps, by key: the Training Lab's Train and Stop (the locked settings
#: are trained only on request; without them the link would show nothing), and the Explorer's
#: choices of what to look at — its row of views, the variant to unroll, the step-through —
#: which change no setting of the model.
LOCK_KEEPS: tuple[str, ...] = (
    "tl_train", "tl_stop", "ex_view", "ex_unrolled_variant", "ex_step_through",
)  # fmt: skip
#: Widgets a locked page keeps, by key prefix: the Explorer's quiz (a locked quiz link hides
#: the model's controls, not the answers and Reveal buttons).
LOCK_KEEP_PREFIXES: tuple[str, ...] = ("quiz_q_",)

#: Streamlit's test ids of input widgets (a toggle is a ``stCheckbox``; segmented controls and
#: pills are ``stButtonGroup``; sliders and select sliders are ``stSlider``).
WIDGET_TEST_IDS: tuple[str, ...] = (
    "stButton",
    "stDownloadButton",
    "stFileUploader",
    "stRadio",
    "stSelectbox",
    "stMultiSelect",
    "stCheckbox",
    "stSlider",
    "stNumberInput",
    "stTextInput",
    "stTextArea",
    "stButtonGroup",
    "stDateInput",
    "stTimeInput",
    "stColorPicker",
    "stChatInput",
)

#: The font sizes of Streamlit's plotly theme (px), for text a figure leaves unset.
THEME_FONT_PX = {"font": 12, "title": 16, "legend": 12, "axis_title": 14, "ticks": 12}

SidebarState = Literal["auto", "collapsed"]

_sequence = itertools.count()


def _key_class(key: str) -> str:
    """The CSS class Streamlit gives the element of the widget or container ``key``."""
    return "st-key-" + "".join(c if c.isalnum() or c in "_-" else "-" for c in key.strip())


# --- the modes -------------------------------------------------------------------------------


def locked() -> bool:
    """Whether this page was opened with ``?lock=1`` (the controls are hidden)."""
    return url_flag(LOCK_FLAG)


def presenting() -> bool:
    """Whether presenter mode is on: ``?present=`` when the URL has it, else the session's."""
    if PRESENT_FLAG in st.query_params:
        return url_flag(PRESENT_FLAG)
    return bool(st.session_state.get(PRESENT_KEY, False))


def text_scale() -> float:
    """How much to enlarge chart and diagram text: 1.0, or `PRESENTER_SCALE` when presenting.

    Multiply a font size by it (``fontsize=f"{14 * text_scale():g}"`` in a DOT graph).
    """
    return PRESENTER_SCALE if presenting() else 1.0


def sidebar_state() -> SidebarState:
    """The sidebar state for ``st.set_page_config``: collapsed while presenting."""
    return "collapsed" if presenting() else "auto"


def sync_presenter() -> bool:
    """Keep the session's presenter mode and the URL in step; return the mode.

    A ``present`` key in the URL wins (a shared link, or ``?present=0``). Without one — a page
    reached through the navigation starts with a bare URL — the session's mode stands, and the
    URL gets ``present=1`` back.
    """
    on = presenting()
    st.session_state[PRESENT_KEY] = on
    if on and PRESENT_FLAG not in st.query_params:
        st.query_params[PRESENT_FLAG] = "1"
    return on


def _on_toggle() -> None:
    """The toggle changed: the session and the URL follow it."""
    on = bool(st.session_state[PRESENT_TOGGLE])
    st.session_state[PRESENT_KEY] = on
    if on:
        st.query_params[PRESENT_FLAG] = "1"
    elif PRESENT_FLAG in st.query_params:
        del st.query_params[PRESENT_FLAG]


# --- the page's style sheet --------------------------------------------------------------------


def _base_css() -> str:
    # Streamlit's defaults: 6rem above the main block, 5rem each side in the wide layout. The
    # header (toolbar menu top right, the sidebar's » button top left when it is collapsed)
    # goes transparent and lets clicks through, so the title may sit under its empty middle.
    # Streamlit draws every Graphviz text at 0.6rem (9.6 px), overriding the SVG's own size;
    # `revert-layer` gives each diagram's text back the size its layout was computed for.
    box = _key_class(SIDEBAR_BOX)
    return f"""
.stApp [data-testid="stMainBlockContainer"] {{
    padding-top: 2rem;
    padding-left: 3rem;
    padding-right: 3rem;
    padding-bottom: 4rem;
}}
.stApp [data-testid="stGraphVizChart"] svg text {{
    font-size: revert-layer;
}}
.stApp [data-testid="stHeader"], .stApp [data-testid="stToolbar"] {{
    background: transparent;
    pointer-events: none;
}}
.stApp [data-testid="stHeader"] :is(button, a, [role="button"]) {{
    pointer-events: auto;
}}
.stApp [data-testid="stSidebarUserContent"] :is(.{box}, :has(> .{box})) {{
    order: 1000;
}}
.stApp [data-testid="stSidebarUserContent"] .{box} {{
    margin-top: 1rem;
}}
"""


def _presenter_css() -> str:
    # Root font size: every rem-sized text grows (body, tables, metrics, widgets). The main
    # block has the whole width once the sidebar is collapsed, and leaves room at the left
    # for the sidebar's » button in the header.
    return f"""
:root {{ font-size: {PRESENTER_ROOT_FONT_PX}px; }}
.stApp [data-testid="stMainBlockContainer"] {{
    padding-top: 1.75rem;
    padding-left: 4rem;
    padding-right: 3rem;
}}
"""


def _locked_css() -> str:
    widgets = ", ".join(f'[data-testid="{test_id}"]' for test_id in WIDGET_TEST_IDS)
    keep = ", ".join(
        [f".{_key_class(key)}" for key in (*LOCK_KEEPS, PRESENT_TOGGLE)]
        + [f'[class*="{_key_class(prefix)}"]' for prefix in LOCK_KEEP_PREFIXES]
    )
    box = _key_class(SIDEBAR_BOX)
    return f"""
.stApp :is([data-testid="stMain"], [data-testid="stSidebarUserContent"])
    [data-testid="stElementContainer"]:has({widgets}):not({keep}) {{
    display: none !important;
}}
.stApp [data-testid="stSidebarUserContent"] [data-testid="stVerticalBlock"]:not(.{box}, .{box} *)
    > :not(.{box}, :has(.{box})) {{
    display: none !important;
}}
"""


def page_css(presenter: bool, lock: bool) -> str:
    """The style sheet of one run: padding always, then presenter mode's and the lock's."""
    return _base_css() + (_presenter_css() if presenter else "") + (_locked_css() if lock else "")


_SIDEBAR_SCRIPT = """<script>/* %(seq)d */
(() => {
  const collapse = %(collapse)s;
  const move = (tries) => {
    const expand = document.querySelector('[data-testid="stExpandSidebarButton"]');
    const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (collapse && close && !expand) { close.click(); return; }
    if (!collapse && expand) { expand.click(); return; }
    if (tries > 0 && !expand && !close) setTimeout(() => move(tries - 1), 100);
  };
  setTimeout(() => move(30), 150);
})();
</script>"""


def _move_sidebar(presenter: bool) -> None:
    """Collapse (or reopen) the sidebar when presenter mode changes in this session.

    ``st.set_page_config(initial_sidebar_state=...)`` does it for a browser that never moved
    the sidebar itself, but once a user has, Streamlit prefers what the browser remembers;
    this presses the sidebar's own button, once per change, so the user can still reopen it.
    """
    previous = st.session_state.get(SIDEBAR_SENT_KEY)
    st.session_state[SIDEBAR_SENT_KEY] = presenter
    if previous == presenter or (previous is None and not presenter):
        return
    script = _SIDEBAR_SCRIPT % {
        "seq": next(_sequence),
        "collapse": "true" if presenter else "false",
    }
    st.html(script, unsafe_allow_javascript=True)


def prepare() -> None:
    """Everything a page needs before it draws: the style sheet, the lock note, the toggle.

    Called by `bilstm_lab.ui.common.declare_pages` after ``st.set_page_config``.
    """
    presenter, lock = presenting(), locked()
    st.html(f"<style>{page_css(presenter, lock)}</style>")
    # Drawn before the page's own sidebar content (so it exists even when a page fails),
    # shown after it (CSS order).
    with st.sidebar.container(key=SIDEBAR_BOX):
        if lock:
            st.caption(explain.LOCKED_VIEW)
        st.session_state[PRESENT_TOGGLE] = presenter
        st.toggle(
            f"{PRESENTER_ICON} {explain.PRESENTER_LABEL}",
            key=PRESENT_TOGGLE,
            on_change=_on_toggle,
            help=explain.PRESENTER_HELP,
        )
        _move_sidebar(presenter)


# --- charts --------------------------------------------------------------------------------------


def _scaled(size: float | None, default: float, scale: float) -> float:
    return round((size or default) * scale, 1)


def scale_fonts(figure: go.Figure, scale: float) -> go.Figure:
    """A copy of ``figure`` with its text ``scale`` times larger.

    The layout's font, the title, the legend, every axis's title and ticks, colour bars and
    annotations; text a figure leaves unset starts from Streamlit's theme (`THEME_FONT_PX`).
    Text drawn inside markers (a trace's ``textfont``) keeps its size: it must fit its marker.
    """
    scaled = go.Figure(figure)
    if scale == 1.0:
        return scaled
    layout = scaled.layout
    sizes = THEME_FONT_PX
    body = layout.font.size or sizes["font"]
    layout.font.size = _scaled(body, sizes["font"], scale)
    layout.title.font.size = _scaled(layout.title.font.size, sizes["title"], scale)
    layout.legend.font.size = _scaled(layout.legend.font.size, sizes["legend"], scale)
    layout.legend.title.font.size = _scaled(layout.legend.title.font.size, sizes["legend"], scale)
    layout.hoverlabel.font.size = _scaled(layout.hoverlabel.font.size, sizes["font"], scale)
    for axis in (*scaled.select_xaxes(), *scaled.select_yaxes()):
        axis.tickfont.size = _scaled(axis.tickfont.size, sizes["ticks"], scale)
        axis.title.font.size = _scaled(axis.title.font.size, sizes["axis_title"], scale)
    for annotation in layout.annotations:
        annotation.font.size = _scaled(annotation.font.size, body, scale)
    uses_coloraxis = any(getattr(trace, "coloraxis", None) for trace in scaled.data)
    bars = [layout.coloraxis.colorbar] if uses_coloraxis else []
    bars += [trace.colorbar for trace in scaled.data if "colorbar" in trace]
    for bar in bars:
        bar.tickfont.size = _scaled(bar.tickfont.size, sizes["ticks"], scale)
        bar.title.font.size = _scaled(bar.title.font.size, sizes["axis_title"], scale)
    return scaled


def plotly_chart(figure: go.Figure, **kwargs: Any) -> Any:
    """``st.plotly_chart`` with the chart's text enlarged by `text_scale` (presenter mode)."""
    scale = text_scale()
    # At scale 1 the figure goes as it is: a copy costs ~6 ms of the server's time, and the live
    # panel draws two charts per watching page every second.
    return st.plotly_chart(figure if scale == 1.0 else scale_fonts(figure, scale), **kwargs)
