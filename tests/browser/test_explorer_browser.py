"""The Explorer in a real headless Chromium, against a real `streamlit run app.py` server.

Changes units and merge mode as a user would (typing, clicking) and checks the displayed
totals against `bilstm_lab.core.analysis`; saves a screenshot of every page that exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.spec import DEFAULT_SPEC, MergeMode, ModelSpec
from bilstm_lab.ui.common import PAGES
from labharness.browser import open_view
from labharness.text import emoji_in

pytestmark = pytest.mark.browser

EXPLORER = "/Architecture_Explorer"
TIMEOUT_MS = 60_000


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _totals_shown(page: Any, spec: ModelSpec) -> None:
    """Wait until both totals show the analysis's values for ``spec`` (fails on timeout)."""
    comparison = compare(spec)
    expect = _expect()
    for label, total in (
        (f"{comparison.uni.label} total (Keras)", comparison.uni.total_params),
        (f"{comparison.bi.label} total (Keras)", comparison.bi.total_params),
    ):
        metric = page.locator('[data-testid="stMetric"]').filter(
            has=page.get_by_text(label, exact=True)
        )
        expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(
            fmt(total), timeout=TIMEOUT_MS
        )


def _url_param(page: Any, key: str) -> str:
    return str(page.evaluate(f"() => new URL(location.href).searchParams.get({key!r})"))


def test_explorer_totals_follow_units_and_merge_mode(
    page: Any, open_page: Callable[[Any, str], None], screenshot: Callable[[Any, str], Path]
) -> None:
    open_page(page, EXPLORER)
    _totals_shown(page, DEFAULT_SPEC)
    screenshot(page, "explorer")

    units_box = page.get_by_label("units, layer 1", exact=True)
    units_box.fill("32")
    units_box.press("Enter")
    spec = DEFAULT_SPEC.with_changes(units=(32,))
    _totals_shown(page, spec)

    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="sum", exact=True).click()
    spec = spec.with_changes(merge_mode=MergeMode.SUM)
    _totals_shown(page, spec)
    # The URL follows, so a copied link reopens this view.
    _expect()(page).to_have_url(re.compile(r"merge_mode=sum"), timeout=TIMEOUT_MS)
    assert _url_param(page, "units") == "32"

    # A stacked model: the BiLSTM's second layer grows by more than 2×, and the page says why.
    depth_box = page.get_by_label("Stacking depth (recurrent layers)", exact=True)
    depth_box.fill("2")
    depth_box.press("Enter")
    page.locator('[data-testid="stSidebar"]').get_by_role(
        "radio", name="concat", exact=True
    ).click()
    spec = spec.with_changes(units=(32, 32), merge_mode=MergeMode.CONCAT)
    _totals_shown(page, spec)
    ratio = compare(spec).layer_ratios()[1]
    _expect()(page.get_by_text(f"({ratio.ratio:.2f}×)", exact=False).first).to_be_visible()
    screenshot(page, "explorer-stacked")
    assert not page.locator('[data-testid="stException"]').count()


def test_more_options_open_and_keep_their_values_when_closed(
    page: Any, open_page: Callable[[Any, str], None], screenshot: Callable[[Any, str], Path]
) -> None:
    # Through the real websocket and its widget filter: an expander's open state must reach the
    # page (a filter that did not know keyed expanders dropped it, and it opened empty).
    open_page(page, EXPLORER)
    _totals_shown(page, DEFAULT_SPEC)
    sidebar = page.locator('[data-testid="stSidebar"]')
    more = sidebar.get_by_text("More options", exact=False)
    more.click()
    sidebar.get_by_text("Use bias", exact=True).click()
    spec = DEFAULT_SPEC.with_changes(use_bias=False)
    _totals_shown(page, spec)
    screenshot(page, "explorer-more-options")
    more.click()  # closed: the option keeps its value through the next change
    _expect()(sidebar.get_by_text("Use bias", exact=True)).to_have_count(0, timeout=TIMEOUT_MS)
    units_box = page.get_by_label("units, layer 1", exact=True)
    units_box.fill("32")
    units_box.press("Enter")
    _totals_shown(page, spec.with_changes(units=(32,)))
    assert _url_param(page, "use_bias") == "false"
    more.click()  # open again: the browser is handed the kept value, not the box's default
    _expect()(sidebar.get_by_role("switch", name="Use bias")).not_to_be_checked(timeout=TIMEOUT_MS)
    _totals_shown(page, spec.with_changes(units=(32,)))


def test_shared_link_reopens_the_same_view(
    page: Any, open_page: Callable[[Any, str], None], screenshot: Callable[[Any, str], Path]
) -> None:
    from urllib.parse import urlencode

    spec = ModelSpec(units=(64, 32), return_sequences=False).with_changes(merge_mode="ave")
    open_page(page, f"{EXPLORER}?{urlencode(spec.to_query())}")
    _totals_shown(page, spec)
    open_view(page, "Unrolled in time")
    page.wait_for_selector('.st-key-ex_unrolled_chart [data-testid="stPlotlyChart"] svg text')
    page.wait_for_timeout(500)  # plotly lays out after the element appears
    screenshot(page, "explorer-unrolled")


def test_bad_link_shows_a_warning_not_a_traceback(
    page: Any, open_page: Callable[[Any, str], None]
) -> None:
    open_page(page, f"{EXPLORER}?units=lots&merge_mode=sideways")
    _expect()(page.get_by_text("fell back to defaults", exact=False)).to_be_visible()
    _totals_shown(page, DEFAULT_SPEC)
    assert not page.locator('[data-testid="stException"]').count()


def test_every_page_renders_and_is_photographed(
    page: Any, open_page: Callable[[Any, str], None], screenshot: Callable[[Any, str], Path]
) -> None:
    open_page(page, "/")
    _expect()(page.get_by_role("heading", name="BiLSTM Lab")).to_be_visible()
    assert emoji_in(page.inner_text("body")) == [], "Home"
    screenshot(page, "home")
    for info in PAGES:
        open_page(page, "/" + info.url_path)
        if info.title == "Architecture Explorer":
            _totals_shown(page, DEFAULT_SPEC)
        assert not page.locator('[data-testid="stException"]').count(), info.title
        assert emoji_in(page.inner_text("body")) == [], info.title
        screenshot(page, f"page-{info.url_path}")


def test_coming_back_from_another_page_keeps_the_model(
    page: Any, open_page: Callable[[Any, str], None]
) -> None:
    open_page(page, EXPLORER)
    units_box = page.get_by_label("units, layer 1", exact=True)
    units_box.fill("24")
    units_box.press("Enter")
    spec = DEFAULT_SPEC.with_changes(units=(24,))
    _totals_shown(page, spec)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link").first.click()  # the home page
    _expect()(page.get_by_role("heading", name="BiLSTM Lab")).to_be_visible(timeout=TIMEOUT_MS)
    nav.get_by_role("link", name="Architecture Explorer").click()
    _totals_shown(page, spec)
