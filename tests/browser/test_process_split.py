"""Real browser: train, verify with Keras and convert an upload; the server never loads TensorFlow.

Everything Keras does for these three pages runs in the worker processes. After all three have
run, the Streamlit server's own memory map (``/proc/<pid>/maps``) must hold no TensorFlow
library, while a worker's does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labharness.browser import wait_for_app
from labharness.processes import children, mapped_libraries
from labharness.server import StreamlitServer
from tests.helpers_models import make_model, save_bytes

pytestmark = pytest.mark.browser

TIMEOUT_MS = 180_000


def test_train_verify_and_convert_leave_tensorflow_out_of_the_server(
    page: object,
    app_server: StreamlitServer,
    open_page: Callable[[object, str], None],
    screenshot: Callable[[object, str], Path],
    tmp_path: Path,
) -> None:
    # 1. Train a small run on the Training Lab.
    open_page(page, "/Training_Lab")
    epochs = page.get_by_role("slider", name="Epochs")  # type: ignore[attr-defined]
    epochs.focus()
    for _ in range(4):
        epochs.press("ArrowLeft")  # 5 -> 1 epoch
    page.wait_for_timeout(800)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Train", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Verdict").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]

    # 2. Verify the Explorer's default model with real Keras.
    open_page(page, "/Architecture_Explorer")
    page.get_by_role("button", name="Verify with real Keras").click()  # type: ignore[attr-defined]
    page.get_by_text("verified with Keras", exact=False).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]

    # 3. Upload and convert a model on the Convert page.
    source = tmp_path / "my_model.keras"
    source.write_bytes(save_bytes(make_model("sequential", 2)))
    open_page(page, "/Convert")
    page.get_by_text("Upload a .keras file", exact=True).click()  # type: ignore[attr-defined]
    wait_for_app(page)
    upload = page.locator('input[type="file"]')  # type: ignore[attr-defined]
    upload.wait_for(state="attached", timeout=60_000)
    upload.set_input_files(str(source))
    page.get_by_text("loaded back with safe_mode=True").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert "Traceback" not in page.inner_text("body")  # type: ignore[attr-defined]
    screenshot(page, "process-split-convert")

    # The server process has no TensorFlow mapped; its workers do (so the check can see it).
    assert mapped_libraries(app_server.pid) == []
    workers = children(app_server.pid)
    assert any(mapped_libraries(worker) for worker in workers), workers
