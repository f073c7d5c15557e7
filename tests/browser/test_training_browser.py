"""Real browser: open the Training Lab, train a tiny configuration, see live progress and results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TRAIN_TIMEOUT_MS = 180_000  # first Train imports TensorFlow and compiles; CI machines are shared


def _set_slider(page: object, label: str, presses: int, key: str) -> None:
    """Move a Streamlit slider with the keyboard (``presses`` times ``key``)."""
    slider = page.get_by_role("slider", name=label)  # type: ignore[attr-defined]
    slider.focus()
    for _ in range(presses):
        slider.press(key)


def test_train_tiny_configuration_and_see_results(
    page: object,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
) -> None:
    open_page(page, "/Training_Lab")
    page.get_by_text("the label at t is the token at t+k").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    # A tiny run: 3 epochs (default 5) of 1000 samples (default 3000).
    _set_slider(page, "Epochs", 2, "ArrowLeft")
    _set_slider(page, "Training samples", 2, "ArrowLeft")
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Train").click()  # type: ignore[attr-defined]
    # The Stop button becomes active while training runs.
    page.get_by_role("button", name="Stop").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_text("Verdict").wait_for(timeout=TRAIN_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Held-out accuracy: BiLSTM" in body
    assert "Accuracy at each time step" in body
    assert "hidden states on that sequence" in body
    assert "Runs this session" in body
    assert "Traceback" not in body
    # The plotly charts rendered (per-step accuracy, hidden-state heatmaps).
    assert page.locator(".js-plotly-plot").count() >= 2  # type: ignore[attr-defined]
    # The run used the values set in the browser.
    epochs = page.get_by_role("slider", name="Epochs")  # type: ignore[attr-defined]
    assert epochs.get_attribute("aria-valuetext") == "3"
    screenshot(page, "training_lab_results")
