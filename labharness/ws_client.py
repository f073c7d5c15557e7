"""Simulated students speaking Streamlit's own websocket protocol (no browser).

A browser on a 2-core machine spends most of its time rendering, so a load test made of 40
Chromium tabs would measure Chromium, not the server. Real students bring their own machines;
this client does what their browsers send — a `rerun_script` BackMsg with the URL's query
string, then one with the changed widget value — and times the server until it reports
`script_finished` with the new totals in the page's metric elements.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.async_run import run_async
from labharness.sessions import (
    EXPLORER_PAGE,
    TOTAL_LABELS,
    UNITS_LABEL,
    SessionResult,
    expected_totals,
    session_spec,
)
from labharness.ws_protocol import Run, connect, read_run, rerun_message

#: Longest wait for the server's next message: 40 students at once on 2 cores are slow.
TIMEOUT_S = 300


def _check_totals(run: Run, units: int, index: int) -> None:
    uni, bi = expected_totals(session_spec(index, units))
    seen = (run.metrics.get(TOTAL_LABELS[0]), run.metrics.get(TOTAL_LABELS[1]))
    if seen != (uni, bi):
        raise AssertionError(f"session {index}: expected totals {(uni, bi)}, server sent {seen}")


async def _one_change(port: int, index: int, units: int, result: SessionResult) -> None:
    """Open a session on the Explorer with ``units``, then change the units box to ``units + 1``.

    Each change gets its own connection: this client sends only the widget it changes, not the
    full widget state a browser keeps, so one change per visit is what it can do faithfully.
    """
    spec = session_spec(index, units)
    async with connect(port) as ws:
        query = urlencode(spec.to_query())
        started = time.monotonic()
        await ws.send(rerun_message(EXPLORER_PAGE, query, []))
        run = await read_run(ws, TIMEOUT_S)
        _check_totals(run, units, index)
        if not result.first_paint_s:
            result.first_paint_s = time.monotonic() - started
        state = WidgetState(id=run.labels[UNITS_LABEL], double_value=float(units + 1))
        query = run.query_string if run.query_string is not None else query
        started = time.monotonic()
        await ws.send(rerun_message(EXPLORER_PAGE, query, [state]))
        run = await read_run(ws, TIMEOUT_S)
        _check_totals(run, units + 1, index)
        result.latencies_s.append(time.monotonic() - started)


async def ws_session(port: int, index: int, changes: int) -> SessionResult:
    """One student: ``changes`` visits to the Explorer, each changing the units once."""
    result = SessionResult(index)
    try:
        for change in range(changes):
            await _one_change(port, index, session_spec(index).units[0] + 2 * change, result)
    except Exception as error:  # reported by the caller
        result.error = f"{type(error).__name__}: {error}"[:500]
    return result


async def ws_sessions(port: int, sessions: int, changes: int) -> list[SessionResult]:
    """``sessions`` simulated students at once (inside a running event loop)."""
    return list(await asyncio.gather(*(ws_session(port, i, changes) for i in range(sessions))))


def run_ws_sessions(port: int, sessions: int, changes: int = 5) -> list[SessionResult]:
    """Run ``sessions`` simulated students at once against the server on ``port``."""
    return run_async(ws_sessions(port, sessions, changes))
