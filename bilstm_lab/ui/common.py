"""Widgets and helpers shared by every page, and the one list of the lab's pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

#: Where the page scripts are (`bilstm_lab.ui.page_scripts`).
PAGE_DIR = Path(__file__).resolve().parent / "page_scripts"

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
        script: the page script's file name in `PAGE_DIR`; ``None`` for the home page, which
            is a function (`bilstm_lab.ui.home.render`).
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
        script="architecture_explorer.py",
    ),
    PageInfo(
        title="Training Lab",
        icon=":material/model_training:",
        url_path="Training_Lab",
        description="Both variants trained live on toy tasks: where does the future context help?",
        script="training_lab.py",
    ),
    PageInfo(
        title="Convert",
        icon=":material/swap_horiz:",
        url_path="Convert",
        description="Turn a saved model's LSTMs into BiLSTMs, with a per-layer report.",
        script="convert.py",
    ),
    PageInfo(
        title="Pitfalls",
        icon=":material/warning:",
        url_path="Pitfalls",
        description="The classic mistakes, each demonstrated live by real Keras.",
        script="pitfalls.py",
    ),
)


def st_page(info: PageInfo, home: Callable[[], None] | None = None) -> st.Page:
    """The `st.Page` for ``info``: its script, or ``home`` for the home page (the default, at ``/``)."""
    if info.script is None:
        if home is None:
            raise ValueError(f"page {info.title!r} has no script: pass its render function")
        return st.Page(home, title=info.title, icon=info.icon, url_path=info.url_path, default=True)
    return st.Page(page_script(info), title=info.title, icon=info.icon, url_path=info.url_path)


def page_script(info: PageInfo) -> Path:
    """The absolute path of a page's script (works from a checkout and an installed package)."""
    if info.script is None:
        raise ValueError(f"page {info.title!r} is a function, not a script")
    return PAGE_DIR / info.script


def tab_title(page_title: str) -> str:
    """The browser tab's text for a page: ``BiLSTM Lab`` for Home, ``<page> · BiLSTM Lab`` else."""
    return APP_TITLE if page_title == HOME.title else f"{page_title} · {APP_TITLE}"


#: Session key: this session's `st.Page` objects, built on its first run.
PAGES_KEY = "lab_pages"


def session_pages(home: Callable[[], None]) -> list[st.Page]:
    """The app's pages, Home first, built once per session.

    `st.Page` resolves a script's path on the disk, component by component: building the
    five pages on every rerun of every session was 15% of an Explorer rerun's server time with
    a class at work (issue 14). Kept per session, not shared: `st.navigation` marks the page a
    run may call on the object itself.
    """
    pages: list[st.Page] | None = st.session_state.get(PAGES_KEY)
    if pages is None:
        pages = [st_page(HOME, home), *(st_page(info) for info in PAGES)]
        st.session_state[PAGES_KEY] = pages
    return pages


def declare_pages() -> st.Page:
    """Declare the app's pages (Home first) and its one page config; return the page to run.

    Called by ``app.py`` on every run. Also sets up how every page is displayed (padding,
    presenter mode, the locked view: `bilstm_lab.ui.display`).
    """
    from bilstm_lab.ui import display, home  # both import this module

    current = st.navigation(session_pages(home.render))
    display.sync_presenter()
    st.set_page_config(
        page_title=tab_title(current.title),
        page_icon=APP_ICON,
        layout="wide",
        initial_sidebar_state=display.sidebar_state(),
    )
    display.prepare()
    return current


def url_flag(name: str) -> bool:
    """Whether the page's URL turns a display flag on: ``?lock=1`` (also true, yes, on)."""
    return str(st.query_params.get(name, "")).strip().lower() in {"1", "true", "yes", "on"}


def show_input_error(error: ValueError) -> None:
    """Show a validation error as a readable message (never a traceback)."""
    st.error(str(error), icon=":material/error:")
