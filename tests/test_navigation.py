"""The app's navigation (`app.py` + `bilstm_lab.ui.common`): Home first, stable URLs, Material icons.

The tests record what `st.navigation` and `st.set_page_config` receive (the public `st.Page`
attributes), so they check what the app declares rather than Streamlit's internals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from bilstm_lab.ui.common import (
    APP_ICON,
    HOME,
    PAGES,
    PAGES_KEY,
    PageInfo,
    page_script,
    tab_title,
)
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
#: The public URLs (shared links, bookmarks, the browser tests): changing one breaks them.
URL_PATHS = {
    "Architecture Explorer": "Architecture_Explorer",
    "Training Lab": "Training_Lab",
    "Convert": "Convert",
    "Pitfalls": "Pitfalls",
}
MATERIAL_ICON = re.compile(r":material/[a-z0-9_]+:")


@dataclass
class Declared:
    """What the app passed to `st.navigation` and `st.set_page_config`, run by run."""

    navigations: list[list[Any]] = field(default_factory=list)
    current: list[Any] = field(default_factory=list)
    page_configs: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture()
def declared(monkeypatch: pytest.MonkeyPatch) -> Declared:
    record = Declared()
    navigation, set_page_config = streamlit.navigation, streamlit.set_page_config

    def recording_navigation(pages: Sequence[Any], **kwargs: Any) -> Any:
        record.navigations.append(list(pages))
        current = navigation(pages, **kwargs)
        record.current.append(current)
        return current

    def recording_page_config(**kwargs: Any) -> None:
        record.page_configs.append(kwargs)
        set_page_config(**kwargs)

    monkeypatch.setattr(streamlit, "navigation", recording_navigation)
    monkeypatch.setattr(streamlit, "set_page_config", recording_page_config)
    return record


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _has_emoji(text: str) -> bool:
    # Symbols ("So": 🔍, ⚠, ✅ …) and the emoji variation selector: what the kiosk can't draw.
    return any(unicodedata.category(ch) == "So" or ch == "\ufe0f" for ch in text)


def test_home_is_the_default_page_and_renders_first(declared: Declared) -> None:
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert [t.value for t in at.title] == ["BiLSTM Lab"]
    assert len(declared.navigations) == 1  # declared once per run
    home = declared.navigations[0][0]
    assert (home.title, home.url_path) == ("Home", "")  # first in the sidebar, served at /
    assert declared.current[0].title == "Home"
    assert declared.page_configs == [
        {
            "page_title": "BiLSTM Lab",
            "page_icon": APP_ICON,
            "layout": "wide",
            "initial_sidebar_state": "auto",  # "collapsed" in presenter mode (ui/display.py)
        }
    ]


def test_the_four_pages_are_registered_with_their_urls(declared: Declared) -> None:
    _run(AppTest.from_file(APP, default_timeout=120))
    pages = declared.navigations[0]
    assert [page.title for page in pages] == ["Home", *URL_PATHS]
    assert {page.title: page.url_path for page in pages[1:]} == URL_PATHS
    assert [page.visibility for page in pages] == ["visible"] * len(pages)
    # The declaration is the one list in ui/common.py, and every page script exists.
    assert [(page.title, page.icon) for page in pages] == [
        (info.title, info.icon) for info in (HOME, *PAGES)
    ]
    for info in PAGES:
        assert info.script is not None and page_script(info).is_file(), info


def test_icons_are_material_and_labels_have_no_emoji(declared: Declared) -> None:
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert MATERIAL_ICON.fullmatch(APP_ICON)
    for page in declared.navigations[0]:
        assert MATERIAL_ICON.fullmatch(page.icon), page.title
        assert not _has_emoji(page.title), page.title
    for info in (HOME, *PAGES):
        assert not _has_emoji(info.title + info.description), info
    for link in at.get("page_link"):
        assert not _has_emoji(link.value), link.value
        assert MATERIAL_ICON.fullmatch(link.proto.icon), link.value


def test_no_pages_folder_puts_a_fresh_server_in_legacy_routing() -> None:
    # A pages/ directory next to app.py makes a fresh Streamlit server route by folder until
    # app.py first runs: a first visitor opening /Convert lost their first widget change.
    assert not (ROOT / "pages").exists()


@pytest.mark.parametrize("info", PAGES, ids=lambda info: info.url_path)
def test_every_page_runs_inside_the_navigation(declared: Declared, info: PageInfo) -> None:
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page(str(page_script(info).relative_to(ROOT))))
    assert at.title[0].value.startswith(info.title)
    assert declared.navigations[-1][0].title == "Home"
    assert declared.current[-1].url_path == info.url_path
    assert declared.page_configs[-1]["page_title"] == tab_title(info.title)
    assert declared.page_configs[-1]["layout"] == "wide"


def test_tab_titles() -> None:
    assert tab_title("Home") == "BiLSTM Lab"
    assert tab_title("Training Lab") == "Training Lab · BiLSTM Lab"


def test_no_streamlit_internals_are_patched() -> None:
    # Keras runs in worker processes, so nothing in Streamlit needs patching (DESIGN.md).
    for path in [
        ROOT / "app.py",
        *(ROOT / "bilstm_lab").rglob("*.py"),
    ]:
        source = path.read_text(encoding="utf-8")
        assert "_clean_problem_modules" not in source, path
        assert "scriptrunner import script_runner" not in source, path


def test_a_session_builds_its_pages_once() -> None:
    # st.Page resolves a script's path on the disk: five pages on every rerun of every session
    # were a sixth of a rerun's server time with a class at work (issue 14).
    at = _run(AppTest.from_file(APP, default_timeout=120))
    pages = at.session_state[PAGES_KEY]
    assert [page.url_path for page in pages] == ["", *(info.url_path for info in PAGES)]
    _run(at.switch_page(str(page_script(PAGES[0]).relative_to(ROOT))))
    _run(at)
    assert at.session_state[PAGES_KEY] is pages
