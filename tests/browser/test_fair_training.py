"""Fair training over the websocket (issue 15): one client's many tabs hold one worker.

No browser: `labharness.ws_training` speaks Streamlit's protocol from two client addresses.
The shared server runs with the default cap: one queued-or-running training per address.
"""

from __future__ import annotations

import time

from bilstm_lab.core import explain
from labharness.async_run import run_async
from labharness.server import StreamlitServer
from labharness.ws_training import open_training

#: The start of the sentence a refused Train shows.
REFUSED = explain.training_refused("address", 1)[:40]


def _query(seed: int) -> str:
    return f"task=look_ahead&samples=500&epochs=2&seed={seed}"


async def _scenario(port: int) -> dict[str, object]:
    # Distinct run numbers: six different runs, not one shared one.
    tabs = [await open_training(port, _query(seed), "127.0.0.2") for seed in range(101, 107)]
    other = await open_training(port, _query(201), "127.0.0.3")
    try:
        started = time.monotonic()
        answers = [await tab.press("Train") for tab in tabs]
        refused = [any(REFUSED in w for w in run.warnings) for run in answers]
        first = tabs[refused.index(False)] if refused.count(False) else tabs[0]
        await other.press("Train")
        other_wait = await other.until(lambda tab: tab.running)
        await first.until(lambda tab: tab.finished)
        return {
            "refused": refused,
            "other_wait": other_wait,
            "first_length": time.monotonic() - started,
        }
    finally:
        for tab in (*tabs, other):
            await tab.close()


def test_six_tabs_of_one_client_hold_one_worker_and_another_client_starts_at_once(
    app_server: StreamlitServer,
) -> None:
    outcome = run_async(_scenario(app_server.port))
    print(f"fair training: {outcome}")
    refused = outcome["refused"]
    assert isinstance(refused, list)
    assert refused.count(False) == 1 and refused.count(True) == 5, refused
    # The other client's run started before the first client's run was over.
    assert outcome["other_wait"] < outcome["first_length"], outcome  # type: ignore[operator]


async def _class(port: int, size: int) -> tuple[list[str], list[dict[str, str]]]:
    link = _query(301)  # the teacher's link: the same settings and run number for everyone
    tabs = [await open_training(port, link, f"127.0.1.{i + 1}") for i in range(size)]
    try:
        captions = []
        for tab in tabs:
            run = await tab.press("Train")
            captions.extend(run.captions)
        for tab in tabs:
            await tab.until(lambda t: t.finished)
        return captions, [tab.run.metrics for tab in tabs]
    finally:
        for tab in tabs:
            await tab.close()


def test_a_class_pressing_train_on_the_teachers_link_costs_one_training(
    app_server: StreamlitServer,
) -> None:
    captions, metrics = run_async(_class(app_server.port, 5))
    # Every later page joined the first one's run, and all show the same numbers.
    assert any(explain.watching_shared_run(5) == c for c in captions), captions
    assert all(m == metrics[0] for m in metrics) and metrics[0], metrics
