"""Hand-made websocket messages (issue 15): hostile widget values, and a 20 MB one.

No browser: `labharness.ws_hostile` speaks Streamlit's protocol to the shared server.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.error
import urllib.request

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.async_run import run_async
from labharness.server import StreamlitServer
from labharness.ws_hostile import PAGES, fuzz
from labharness.ws_protocol import connect, read_run, rerun_message

SEED = 15


#: Issue 14 asks for a seeded sample of at least 500 cases in CI (bench/ws_fuzz.py runs 10,000).
CASES = 500


def test_hostile_messages_never_show_streamlits_error_box(app_server: StreamlitServer) -> None:
    """Hostile widget values, query strings and malformed frames over every page: each ends in
    the lab's page (no error box, title drawn, no hang), and a bystander keeps its model."""
    tally = fuzz(app_server.port, cases=CASES, seed=SEED, pages=PAGES)
    assert tally.cases >= CASES
    assert tally.by_kind["values"] and tally.by_kind["query"] and tally.by_kind["malformed"]
    assert not tally.failures, (tally.exceptions, tally.missing_title, tally.hung, tally.failures)


async def _rerun_times(port: int, count: int, stop: asyncio.Event | None = None) -> list[float]:
    """A bystander on the Explorer: plain reruns, each timed until its script finishes."""
    times: list[float] = []
    async with connect(port) as ws:
        await ws.send(rerun_message("Architecture_Explorer", "", []))
        first = await read_run(ws)
        query = first.query_string or ""
        while len(times) < count or (stop is not None and not stop.is_set()):
            started = time.monotonic()
            await ws.send(rerun_message("Architecture_Explorer", query, []))
            await read_run(ws)
            times.append(time.monotonic() - started)
    return times


async def _attack(port: int, stop: asyncio.Event) -> str:
    """Send a 20 MB Preset value; how the server answered."""
    try:
        async with connect(port) as ws:
            await ws.send(rerun_message("Architecture_Explorer", "", []))
            run = await read_run(ws)
            preset = next(w.id for w in run.widgets.values() if w.kind == "selectbox")
            state = WidgetState(id=preset, string_value="x" * 20_000_000)
            try:  # the server may close the connection while the message is still going out
                await ws.send(rerun_message("Architecture_Explorer", "", [state]))
                run = await read_run(ws)
            except websockets.ConnectionClosed as closed:
                return f"closed {closed.rcvd.code if closed.rcvd else None}"
            return "dropped" if not run.exceptions else "exception element"
    finally:
        stop.set()


async def _measure(port: int) -> tuple[list[float], list[float], str]:
    idle = await _rerun_times(port, 8)
    stop = asyncio.Event()
    during, answer = await asyncio.gather(_rerun_times(port, 8, stop), _attack(port, stop))
    return idle, during, answer


def test_a_20_mb_widget_value_is_refused_without_slowing_a_bystander(
    app_server: StreamlitServer,
) -> None:
    idle, during, answer = run_async(_measure(app_server.port))
    assert answer.startswith("closed") or answer == "dropped", answer
    ratio = statistics.median(during) / statistics.median(idle)
    assert ratio <= 2.0, (ratio, idle, during)


def test_the_metrics_endpoint_is_closed(app_server: StreamlitServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app_server.url}/_stcore/metrics", timeout=10)
    assert refused.value.code == 404


async def _totals_after_clear_cache(port: int) -> tuple[dict[str, str], dict[str, str]]:
    page = "Architecture_Explorer"
    async with connect(port) as ws:
        await ws.send(rerun_message(page, "", []))
        run = await read_run(ws)
        units = WidgetState(id=run.labels["units, layer 1"], double_value=65.0)
        await ws.send(rerun_message(page, run.query_string or "", [units]))
        changed = await read_run(ws)
        clear = BackMsg()
        clear.clear_cache = True
        await ws.send(clear.SerializeToString())
        # No query string: a cleared session state would fall back to the default model.
        await ws.send(rerun_message(page, "", []))
        after = await read_run(ws)
    return changed.metrics, after.metrics


def test_a_client_cannot_clear_the_servers_caches(app_server: StreamlitServer) -> None:
    """Streamlit's clear_cache message also clears the session state: the change survives."""
    changed, after = run_async(_totals_after_clear_cache(app_server.port))
    assert changed and after == changed, (changed, after)
