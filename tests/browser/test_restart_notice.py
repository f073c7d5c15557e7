"""After a server restart, a Training Lab page that had a training says so (issue 15).

A real restart: the page (over the websocket, as a browser) presses Train, the server is
stopped and started again on the same port, and the page reconnects with the URL it had.
"""

from __future__ import annotations

import sys

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bilstm_lab.core import explain
from bilstm_lab.core.train_fields import JOB_MARKER
from labharness.async_run import run_async
from labharness.paths import ARTIFACTS, ROOT
from labharness.server import free_port, start_streamlit, stop_process
from labharness.ws_protocol import connect, read_run, rerun_message

PAGE = "Training_Lab"
QUERY = "task=look_ahead&samples=200&epochs=1&seed=7"


async def _press_train(port: int) -> str:
    async with connect(port) as ws:
        await ws.send(rerun_message(PAGE, QUERY, []))
        run = await read_run(ws)
        query = run.query_string or QUERY
        train = WidgetState(id=run.labels["Train"], trigger_value=True)
        await ws.send(rerun_message(PAGE, query, [train]))
        after = await read_run(ws)
        return after.query_string or query


async def _reconnect(port: int, query: str) -> tuple[list[str], str]:
    async with connect(port) as ws:
        await ws.send(rerun_message(PAGE, query, []))
        run = await read_run(ws)
        await ws.send(rerun_message(PAGE, run.query_string or "", []))
        again = await read_run(ws)
        return run.warnings, "\n".join(again.warnings)


#: A bare `streamlit run`: its worker pool starts only when the page first needs it, so the two
#: starts are quick (the marker and the notice do not depend on the launcher's guards).
BARE = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]


def test_a_page_that_had_a_training_says_the_server_restarted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BILSTM_LAB_WORKERS", "1")
    port = free_port()
    log = ARTIFACTS / "restart-server.log"
    server = start_streamlit(port, log, command=BARE)
    try:
        query = run_async(_press_train(port))
    finally:
        stop_process(server)
    assert f"{JOB_MARKER}=" in query, query
    server = start_streamlit(port, log, command=BARE)
    try:
        warnings, later = run_async(_reconnect(port, query))
    finally:
        stop_process(server)
    assert any(explain.SERVER_RESTARTED in text for text in warnings), warnings
    # The notice stays until the next Train; the stale marker itself has left the URL.
    assert explain.SERVER_RESTARTED in later
