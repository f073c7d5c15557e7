"""Every page on a 1280×720 classroom projector (`bilstm_lab.ui.display`).

- The title sits near the top (no ~100 px of empty padding) and clear of the toolbar's menu.
- ``?present=1``: the sidebar collapses, the "Presenter mode" toggle reads on, the flag follows
  the navigation, chart text is larger, and the mode can be left from the sidebar.
- ``?lock=1``: no control is visible in the sidebar or the main area, except the page
  navigation, the presenter toggle, the Training Lab's Train/Stop and the Explorer's choice of
  view (`display.LOCK_KEEPS`).

Screenshots: ``test-artifacts/screenshots/projector-<page>-{normal,present,locked}.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bilstm_lab.core import explain
from bilstm_lab.ui import display
from labharness.browser import wait_for_app

pytestmark = pytest.mark.browser

#: (screenshot name, path) of every page, Home first.
PAGES = (
    ("home", "/"),
    ("explorer", "/Architecture_Explorer"),
    ("training", "/Training_Lab"),
    ("convert", "/Convert"),
    ("pitfalls", "/Pitfalls"),
)
#: The main block's first heading starts at most this far below the viewport's top.
HEADING_TOP_MAX_PX = 60
TIMEOUT_MS = 60_000

#: Where the title is, and whether its text overlaps the header's buttons (menu, sidebar »).
LAYOUT_JS = """() => {
    const box = e => { const r = e.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    const h1 = document.querySelector('[data-testid="stMainBlockContainer"] h1');
    const range = document.createRange();
    range.selectNodeContents(h1);
    const text = box(range);
    const buttons = Array.from(document.querySelectorAll(
        '[data-testid="stMainMenu"], [data-testid="stExpandSidebarButton"]')).map(box);
    const overlaps = buttons.filter(b => b.left < text.right && text.left < b.right
        && b.top < text.bottom && text.top < b.bottom);
    return {heading: box(h1), text, overlaps: overlaps.length};
}"""

#: The input widgets that are visible, by key (or test id and text); hidden tabs do not count
#: as hiding.
VISIBLE_WIDGETS_JS = """(testIds) => {
    const selector = testIds.map(id => `[data-testid="${id}"]`).join(', ');
    const roots = document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stSidebarUserContent"]');
    const hiddenBy = (element, root) => {
        for (let e = element; e && e !== root; e = e.parentElement) {
            if (getComputedStyle(e).display === 'none') return e;
        }
        return null;
    };
    const shown = [];
    for (const root of roots) {
        for (const widget of root.querySelectorAll(selector)) {
            const hidden = hiddenBy(widget, root);
            if (hidden && hidden.getAttribute('role') !== 'tabpanel') continue;
            const box = widget.closest('[data-testid="stElementContainer"]');
            const key = box && Array.from(box.classList).find(c => c.startsWith('st-key-'));
            shown.push(key || `${widget.dataset.testid}: ${widget.innerText.slice(0, 40)}`);
        }
    }
    return shown;
}"""

#: Presenter mode's style sheet is in force (the root font size).
PRESENTER_FONT_JS = (
    "() => getComputedStyle(document.documentElement).fontSize"
    f" === '{display.PRESENTER_ROOT_FONT_PX}px'"
)
#: The home page's chart legend.
LEGEND = ".legendtext"

SIDEBAR_COLLAPSED_JS = """() => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    return !!document.querySelector('[data-testid="stExpandSidebarButton"]')
        && (!sidebar || sidebar.getBoundingClientRect().right <= 1);
}"""

#: The computed font size (px) of the first element matching the selector, or null.
FONT_PX_JS = """(selector) => {
    const element = document.querySelector(selector);
    return element ? parseFloat(getComputedStyle(element).fontSize) : null;
}"""


def _check_title(page: Any) -> None:
    layout = page.evaluate(LAYOUT_JS)
    assert 0 <= layout["heading"]["top"] <= HEADING_TOP_MAX_PX, layout
    assert layout["overlaps"] == 0, layout


def _toggle(page: Any) -> Any:
    return page.get_by_role("switch", name=explain.PRESENTER_LABEL)


def _presenter_switch(page: Any) -> None:
    """Flip the presenter toggle (its label: the switch itself is visually hidden)."""
    sidebar = page.locator('[data-testid="stSidebarUserContent"]')
    sidebar.get_by_text(explain.PRESENTER_LABEL).click()


def _present_in_url(page: Any) -> bool:
    return bool(page.evaluate("() => new URL(location.href).searchParams.get('present') === '1'"))


def test_every_page_normal_then_in_presenter_mode(
    projector: Any,
    open_page: Callable[[Any, str], None],
    screenshot: Callable[[Any, str], Path],
) -> None:
    for name, path in PAGES:
        open_page(projector, path)
        _check_title(projector)
        assert not projector.evaluate(SIDEBAR_COLLAPSED_JS), name
        assert not _toggle(projector).is_checked(), name
        legend = projector.evaluate(FONT_PX_JS, LEGEND) if name == "home" else None
        screenshot(projector, f"projector-{name}-normal")

        _presenter_switch(projector)
        projector.wait_for_function(SIDEBAR_COLLAPSED_JS, timeout=TIMEOUT_MS)
        projector.wait_for_function(PRESENTER_FONT_JS, timeout=TIMEOUT_MS)
        wait_for_app(projector)
        assert _toggle(projector).is_checked(), name
        assert _present_in_url(projector), (name, projector.url)
        _check_title(projector)
        if legend is not None:  # the chart's text is larger
            larger = projector.evaluate(FONT_PX_JS, LEGEND)
            assert larger >= legend * 1.25, (legend, larger)
        screenshot(projector, f"projector-{name}-present")


def test_a_presenter_link_follows_the_navigation_and_can_be_left(
    projector: Any, open_page: Callable[[Any, str], None]
) -> None:
    open_page(projector, f"/?{display.PRESENT_FLAG}=1")
    projector.wait_for_function(SIDEBAR_COLLAPSED_JS, timeout=TIMEOUT_MS)
    assert _toggle(projector).is_checked()
    # A page reached through a link of the session (its URL starts bare) stays in the mode,
    # and its URL gets the flag back, so it can be shared.
    main = projector.locator('[data-testid="stMain"]')
    main.get_by_role("link", name=re.compile(r"^Training Lab")).click()
    projector.wait_for_url(re.compile(r"/Training_Lab\?.*present=1"), timeout=TIMEOUT_MS)
    wait_for_app(projector)
    assert projector.evaluate(SIDEBAR_COLLAPSED_JS)
    assert _toggle(projector).is_checked()
    # The teacher is never stuck: » reopens the sidebar, and the toggle turns the mode off.
    projector.locator('[data-testid="stExpandSidebarButton"]').click()
    _presenter_switch(projector)
    projector.wait_for_function(
        "() => !new URL(location.href).searchParams.has('present')", timeout=TIMEOUT_MS
    )
    projector.wait_for_function(
        "() => getComputedStyle(document.documentElement).fontSize === '16px'",
        timeout=TIMEOUT_MS,
    )
    assert not projector.evaluate(SIDEBAR_COLLAPSED_JS)
    assert not _toggle(projector).is_checked()


def _no_controls_shown(page: Any, name: str) -> None:
    shown = page.evaluate(VISIBLE_WIDGETS_JS, list(display.WIDGET_TEST_IDS))
    allowed = {f"st-key-{key}" for key in (*display.LOCK_KEEPS, display.PRESENT_TOGGLE)}
    assert set(shown) <= allowed, (name, shown)


def test_lock_hides_the_controls_on_every_page_and_combines_with_presenter_mode(
    projector: Any,
    open_page: Callable[[Any, str], None],
    screenshot: Callable[[Any, str], Path],
) -> None:
    for name, path in PAGES:
        open_page(projector, f"{path}?{display.LOCK_FLAG}=1")
        if name == "pitfalls":  # no button to press: the leakage card trains by itself
            projector.get_by_text("only the prefix, as a generator").wait_for(timeout=TIMEOUT_MS)
        _no_controls_shown(projector, name)
        assert projector.get_by_text(explain.LOCKED_VIEW).is_visible(), name
        assert projector.locator('[data-testid="stSidebarNav"]').is_visible(), name
        _check_title(projector)
        screenshot(projector, f"projector-{name}-locked")
        if name != "explorer":
            continue
        # The views stay: which one to look at changes no setting of the model.
        assert projector.locator(".st-key-ex_view").is_visible()
        # Locked and presenting: the toggle stays, and the page keeps both flags in the URL
        # it rewrites with the model's settings (neither taken for a bad setting).
        _presenter_switch(projector)
        projector.wait_for_function(SIDEBAR_COLLAPSED_JS, timeout=TIMEOUT_MS)
        projector.wait_for_function(PRESENTER_FONT_JS, timeout=TIMEOUT_MS)
        wait_for_app(projector)
        _no_controls_shown(projector, name)
        params = projector.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
        assert params["lock"] == "1" and params["present"] == "1" and "cell" in params, params
        assert "ignored unknown" not in projector.inner_text("body")
        screenshot(projector, f"projector-{name}-locked-present")
