"""Real browser: upload a model on the Convert page, download the result, load it back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bilstm_lab.models.model_io import load_model_file
from labharness.browser import wait_for_app
from tests.helpers_models import D, T, bad_upload, make_model, save_bytes

pytestmark = pytest.mark.browser

SUCCESS = "loaded back with safe_mode=True"


def _choose_upload(page: object) -> None:
    page.get_by_text("Upload a .keras file", exact=True).click()  # type: ignore[attr-defined]
    wait_for_app(page)
    page.locator('input[type="file"]').wait_for(state="attached", timeout=60_000)  # type: ignore[attr-defined]


def test_upload_convert_and_download(
    page: object,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
    tmp_path: Path,
) -> None:
    source = tmp_path / "my_model.keras"
    source.write_bytes(save_bytes(make_model("sequential", 2)))
    open_page(page, "/Convert")
    _choose_upload(page)
    page.locator('input[type="file"]').set_input_files(str(source))  # type: ignore[attr-defined]
    page.get_by_text(SUCCESS).wait_for(timeout=180_000)  # type: ignore[attr-defined]
    wait_for_app(page)
    body = page.inner_text("body")  # type: ignore[attr-defined]
    # Tables are canvas-drawn; the warning and the SVG diagrams carry the layer names as text.
    assert "retrain these: bi_gru_2, head" in body
    # The graphviz charts render asynchronously (in the browser); wait for the converted node.
    page.locator("svg text", has_text="bi_lstm_1").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    svg_text = page.locator("svg text").all_text_contents()  # type: ignore[attr-defined]
    assert "bi_lstm_1" in svg_text and "lstm_1" in svg_text
    assert "Traceback" not in body
    screenshot(page, "convert-upload")

    with page.expect_download(timeout=60_000) as download_info:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download the converted .keras").click()  # type: ignore[attr-defined]
    download = download_info.value
    assert download.suggested_filename == "seq_model_bidirectional.keras"
    target = tmp_path / "downloaded.keras"
    download.save_as(str(target))
    converted = load_model_file(target)
    assert [type(layer).__name__ for layer in converted.layers] == [
        "Bidirectional",
        "Bidirectional",
        "Dense",
    ]
    prediction = converted.predict(np.zeros((3, T, D), dtype="float32"), verbose=0)
    assert prediction.shape == (3, 2)


def test_bad_upload_shows_one_message(
    page: object, open_page: Callable[[object, str], None], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.keras"
    bad.write_bytes(bad_upload("lambda"))
    open_page(page, "/Convert")
    _choose_upload(page)
    page.locator('input[type="file"]').set_input_files(str(bad))  # type: ignore[attr-defined]
    alert = page.locator('[data-testid="stAlertContentError"]')  # type: ignore[attr-defined]
    alert.wait_for(timeout=180_000)
    assert "Lambda layer" in alert.inner_text()
    assert "Traceback" not in page.inner_text("body")  # type: ignore[attr-defined]
