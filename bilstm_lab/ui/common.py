"""Widgets and helpers shared by every page, and the one list of the lab's pages."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

#: The app's name: the browser tab of the home page, and the suffix of every other page's tab.
APP_TITLE = "BiLSTM Lab"
#: The favicon. Material icons rather than emoji everywhere: they render on every machine
#: (kiosk and CI Chromium have no emoji font).
APP_ICON = ":material/swap_horiz:"


@dataclass(frozen=True)
class PageInfo:
    """One entry of the navigation: everything the sidebar, the tab and the home page show.

    Attributes:
        title: the label in the sidebar and on the home page's link.
        icon: a Material icon, ``:material/<name>:``.
        url_path: the page's URL below the app root, without slashes (``""`` for the home page).
        description: one line for the home page's list of pages.
        script: the page script, relative to ``app.py``; ``None`` for the home page, which is
            a function (`bilstm_lab.ui.home.render`).
    """

    title: str
    icon: str
    url_path: str
    description: str
    script: str | None = None


HOME = PageInfo(
    title="Home",
    icon=":material/home:",
    url_path="",
    description="What the lab is, LSTM vs BiLSTM in one minute, and the pages.",
)

#: The lab's pages after Home, in sidebar order. The URLs are public (shared links, bookmarks,
#: the browser tests): keep them stable.
PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        title="Architecture Explorer",
        icon=":material/search:",
        url_path="Architecture_Explorer",
        description="LSTM and BiLSTM side by side: shapes, parameters with formulas, diagrams, code.",
        script="pages/1_Architecture_Explorer.py",
    ),
    PageInfo(
        title="Training Lab",
        icon=":material/model_training:",
        url_path="Training_Lab",
        description="Both variants trained live on toy tasks: where does the future context help?",
        script="pages/2_Training_Lab.py",
    ),
    PageInfo(
        title="Convert",
        icon=":material/swap_horiz:",
        url_path="Convert",
        description="Turn a saved model's LSTMs into BiLSTMs, with a per-layer report.",
        script="pages/3_Convert.py",
    ),
    PageInfo(
        title="Pitfalls",
        icon=":material/warning:",
        url_path="Pitfalls",
        description="The classic mistakes, each demonstrated live by real Keras.",
        script="pages/4_Pitfalls.py",
    ),
)


def st_page(info: PageInfo, home: Callable[[], None] | None = None) -> st.Page:
    """The `st.Page` for ``info``: its script, or ``home`` for the home page (the default, at ``/``).

    Must be called during a script run (Streamlit resolves the script path against ``app.py``).
    """
    if info.script is None:
        if home is None:
            raise ValueError(f"page {info.title!r} has no script: pass its render function")
        return st.Page(home, title=info.title, icon=info.icon, url_path=info.url_path, default=True)
    return st.Page(info.script, title=info.title, icon=info.icon, url_path=info.url_path)


def tab_title(page_title: str) -> str:
    """The browser tab's text for a page: ``BiLSTM Lab`` for Home, ``<page> · BiLSTM Lab`` else."""
    return APP_TITLE if page_title == HOME.title else f"{page_title} · {APP_TITLE}"


def declare_pages() -> st.Page:
    """Declare the app's pages (Home first) and its one page config; return the page to run.

    Called by ``app.py`` on every run, and by `page_setup` when Streamlit ran a page without it.
    """
    from bilstm_lab.ui import home  # home.py imports this module

    current = st.navigation([st_page(HOME, home.render), *(st_page(info) for info in PAGES)])
    st.set_page_config(page_title=tab_title(current.title), page_icon=APP_ICON, layout="wide")
    return current


# Set while app.py runs the current page (the script thread's own flag: sessions run in
# separate threads), so `page_setup` can tell a routed run from one that bypassed app.py.
_routing = threading.local()


@contextmanager
def routing() -> Iterator[None]:
    """Mark the page run inside this block as started by ``app.py``'s `st.navigation`."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def page_setup() -> None:
    """Call first in every ``pages/`` script: makes sure the page is inside the app's navigation.

    Normally ``app.py`` declared the pages and runs this script, and there is nothing to do. But
    a Streamlit server uses its legacy ``pages/``-directory mode until the first run that calls
    `st.navigation`: if a fresh server's first visitor opens a page's URL rather than ``/``,
    Streamlit runs the page script directly, with a sidebar that starts with "app", no icons and
    no page config, and keeps doing so for every session until someone opens ``/``. Declaring
    the pages here ends that mode at once, for this run and all later ones.

    A page script run on its own (``AppTest.from_file("pages/...")``) has no ``app.py`` to
    resolve the page scripts against; it renders without the navigation.
    """
    if getattr(_routing, "active", False):
        return
    try:
        declare_pages()
    except StreamlitPageNotFoundError:
        return


def show_input_error(error: ValueError) -> None:
    """Show a validation error as a readable message (never a traceback)."""
    st.error(str(error), icon=":material/error:")
